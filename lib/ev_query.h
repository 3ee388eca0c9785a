/*
 * ev_query.h - the Edge-View query language: the command lists, the
 * character classes a query may use, and how a query word becomes a
 * cmdOpt field (edgeview-protocol.md 7.3-7.4, edgeview-commands.md 1.1-1.3).
 * Shared by the client (classification) and the device (validation).
 */
#ifndef EV_QUERY_H
#define EV_QUERY_H

#include <stdbool.h>
#include <stddef.h>

#include "ev_attr.h"

struct ev_cmd;

/* Which cmdOpt field a query goes to, and what the client must do. */
enum ev_query_field { EV_Q_NONE, EV_Q_NETWORK, EV_Q_SYSTEM, EV_Q_PUBSUB, EV_Q_LOGOPT };
enum ev_query_transfer {
	EV_XFER_NONE,
	EV_XFER_FILE,     /* cp/, collectinfo */
	EV_XFER_TAR,      /* tar/ */
	EV_XFER_LOGFILES, /* log/copy-logfiles */
	EV_XFER_TECHSUPPORT,
	EV_XFER_TCP, /* tcp/ */
};

extern const char *const ev_query_network_list[];
extern const char *const ev_query_system_list[];
extern const char *const ev_query_pubsub_list[];

/* rePattern: letters, digits, space and = - _ . : , / @ only. */
bool ev_query_chars_ok(const char *s, size_t len);
/* reDirPattern: letters, digits and - _ . only. */
bool ev_query_dirname_ok(const char *s, size_t len);
/* Is the base (text before the first '/') of item in the NULL-ended list? */
bool ev_query_base_in(const char *item, size_t len, const char *const *list);
/* Every comma item's base is in the list. */
bool ev_query_all_in(const char *s, const char *const *list);

/*
 * Client side: put a query word into the right cmdOpt field as the Go
 * client does (table in protocol 7.3).  The cmd fields it sets are
 * malloc'd.  EV_ERR_QUERY_UNKNOWN for a word that fits no list,
 * EV_ERR_QUERY_EMPTY for "" or "log/".
 */
int ev_query_classify(const char *query, struct ev_cmd *cmd, enum ev_query_field *field,
                      enum ev_query_transfer *xfer) EV_WARN_UNUSED;

#endif
