/*
 * sys_pub.h - pub/<agent>[/<topic-substring>]: EVE's pubsub checkpoint
 * files under the root (commands spec 4 and 8.2), pretty-printed as Go's
 * json.Indent does.  Every matching topic is shown (EVE shows only the
 * first), and /persist/status is searched per item, not per whole list.
 */
#ifndef EV_SYS_PUB_H
#define EV_SYS_PUB_H

#include "cmd.h"
#include "ev_attr.h"

/* Biggest pubsub file shown pretty; bigger ones are cut (raw). */
#define SYS_PUB_MAX_FILE (4u * 1024 * 1024)
/* Directory levels walked below the topic. */
#define SYS_PUB_MAX_DEPTH 6
/* Files shown per item. */
#define SYS_PUB_MAX_FILES 20000u

/* arg is the whole item: "zedagent/config". */
int sys_pub(struct cmd_ctx *ctx, const char *arg) EV_WARN_UNUSED;

#endif
