/*
 * audit.h - Edge-View audit events from edgeviewd's audit file to the
 * controller, as newlog entries (edgeview-protocol.md 7.7).
 *
 * edgeviewd appends one line per accepted command to
 * <root>/persist/edgeview/audit.log ("recv[ep...] cmd: ...").  In EVE the
 * same text goes through logrus with the fields obj_type="newlog-gen-event"
 * and obj_name="edgeview-cmd"; newlogd keeps logrus's JSON as the entry's
 * content and sets no tags, so the two fields travel only inside content
 * (pkg/edgeview/src/policy.go, pkg/newlog/cmd/getMemlogMsg.go).  Each line
 * becomes exactly that entry:
 *
 *	{"severity":"info","source":"edgeview","iid":"<pid>","content":
 *	 "{\"level\":\"info\",\"msg\":\"recv[...] cmd: ...\",
 *	   \"obj_name\":\"edgeview-cmd\",\"obj_type\":\"newlog-gen-event\",
 *	   \"pid\":<pid>,\"source\":\"edgeview\",\"time\":\"<RFC3339Nano>\"}",
 *	 "msgid":N,"timestamp":{"seconds":..,"nanos":..}}
 *
 * (EVE's Noticef is logrus's info level; edgeview sets no ReportCaller, so
 * no file/func; pid and iid are left out when edgeviewd's pid is unknown.)
 * The audit file carries no time, so an event is stamped with the file's
 * modification time when it was read, unless the line starts with an
 * RFC 3339 time and a space, which is then used and removed.
 *
 * Exactly once: the read offset is kept in a state file (dev, inode,
 * offset, and a digest of the bytes just before the offset) written
 * atomically only after the batch holding those lines is in the spool.
 * Each batch goes to the spool with the key "audit-<inode>-<offset of its
 * first line>", so if the agent dies between the two writes the re-read
 * batch replaces the queued one instead of doubling it.  A file that
 * shrank, whose bytes before the offset changed, or that was replaced
 * (other inode) is read again from the start; before that, the rest of the
 * old file is read if it was renamed to "<path>.1" (logrotate).  A last
 * line without its newline waits for the rest; a line longer than
 * AG_AUDIT_MAX_LINE is cut, and the rest of it skipped.
 */
#ifndef AG_AUDIT_H
#define AG_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "ev_attr.h"

#define AG_AUDIT_MAX_LINE   4096u         /* bytes of one audit line used */
#define AG_AUDIT_MAX_READ   (256u * 1024) /* bytes read per poll */
#define AG_AUDIT_FP_LEN     64u           /* bytes before the offset that are checked */
#define AG_AUDIT_OBJ_TYPE   "newlog-gen-event"
#define AG_AUDIT_OBJ_NAME   "edgeview-cmd"
#define AG_AUDIT_SOURCE     "edgeview"
#define AG_AUDIT_SPOOL_KIND "newlogs"

struct ag_spool;

struct ag_audit_opts {
	const char *path;       /* the audit file */
	const char *state_path; /* where the offset is kept */
	int64_t edgeview_pid;   /* 0 = unknown */
	/* header of the batches (see newlog.h) */
	const char *dev_id, *image, *eve_version;
	uint64_t *msgid; /* the device's shared msgid counter, or NULL */
};

struct ag_audit;

/* A missing or unreadable state file starts at offset 0 of the audit file
 * (everything in it is sent once); a malformed one is logged and also
 * starts at 0. */
int ag_audit_open(const struct ag_audit_opts *o, struct ag_audit **out) EV_WARN_UNUSED;
void ag_audit_free(struct ag_audit *a);
int ag_audit_set_pid(struct ag_audit *a, int64_t pid) EV_WARN_UNUSED;
int ag_audit_set_meta(struct ag_audit *a, const char *dev_id, const char *image,
                      const char *eve_version) EV_WARN_UNUSED;

/* Read what was appended since the last poll (at most AG_AUDIT_MAX_READ
 * bytes; call again while *more is set), queue the events in sp and move
 * the offset on.  *nevents (may be NULL) = events queued.  On failure the
 * offset stays where it was and the same lines are read next time. */
int ag_audit_poll(struct ag_audit *a, struct ag_spool *sp, size_t *nevents,
                  int *more) EV_WARN_UNUSED;

/* Where the next read starts (tests, health). */
uint64_t ag_audit_offset(const struct ag_audit *a);

#endif
