/*
 * status.h - the device's EdgeviewStatus for zedagent (edgeview-protocol.md
 * sections 11.1-11.3) and the sums across instances (11.2).
 *
 * Instance 0 or 1 publishes through EVE's pubsub "socket driver", topic
 * EdgeviewStatus, key "global": the JSON is written atomically to
 * ROOT/run/edgeview/EdgeviewStatus/global.json (directory 0700) and served on
 * the unixpacket socket ROOT/run/edgeview/EdgeviewStatus.sock
 * ("request EdgeviewStatus" -> "hello EdgeviewStatus false", one "update" per
 * key, "complete EdgeviewStatus", then an "update" whenever the value
 * changes).  Publication is debounced: it happens debounce_secs (15 s on a
 * device) after the first trigger since the last one; triggers are the start
 * of instance 0/1, each accepted command and, on instance 1, each report.
 * Everything runs on the device's libev loop; no threads.
 *
 * Where this departs from EVE, and why:
 * - Aggregation (11.2).  EVE's instance 1 serves an unauthenticated
 *   plain-HTTP POST /evStats on localhost:8234, reachable by every process
 *   of the host network namespace (section 13, item 15): anything could
 *   inflate or zero the counters the controller shows.  Here instance 1
 *   binds a unix datagram socket ROOT/run/edgeview/evStats.sock, mode 0600,
 *   and also checks the sender's uid (SO_PASSCRED) against its own, so only
 *   the device's own processes can report, and nothing listens on a TCP
 *   port.  A datagram carries exactly EVE's body {"instID":N,"stats":{...}}
 *   (ev_evstats_encode), at most EV_MAX_STATUS_JSON bytes, instID 2..5, as
 *   EVE checks.  Instances 2..5 send one after each debounce, as EVE POSTs;
 *   there is no report at start, as in EVE.
 * - Subscribers are bounded (STATUS_MAX_SUBSCRIBERS), must send their
 *   request within STATUS_REQUEST_SECS, and one that leaves
 *   STATUS_SUB_QUEUE messages unread is dropped (EVE keeps a goroutine per
 *   connection with no bound).  A malformed request closes that subscriber
 *   only, as in EVE.
 * - A pending publication is made at status_close(), so the last commands
 *   before the token expires are counted.
 *
 * Kept as EVE does it: the sums wrap as Go's uint32 arithmetic does, the
 * ExpireOn/StartedOn of instance 1 are published, an existing global.json
 * is served until the first publication (EVE's pubsub loads it at start), a
 * stale "restarted" marker is removed at start (ClearRestarted), and
 * global.json is left in place at close (EVE never unpublishes it; the
 * socket file goes away as Go's listener removes it on close).  A socket
 * that a live process still answers on is not taken over (EVE aborts).
 */
#ifndef EV_STATUS_MOD_H
#define EV_STATUS_MOD_H

#include <stdint.h>

#include "ev_attr.h"

struct ev_loop;
struct ev_time;
struct policy_counts;

#define STATUS_DEBOUNCE_SECS    15.0   /* section 11.3 */
#define STATUS_MAX_SUBSCRIBERS  16u    /* pubsub connections served at once */
#define STATUS_SUB_QUEUE        8u     /* unsent messages before a reader is dropped */
#define STATUS_REQUEST_SECS     10.0   /* time a subscriber has to send its request */
#define STATUS_REQUEST_MAX      256u   /* EVE reads the request into 256 bytes */
#define STATUS_PUBSUB_MSG_LIMIT 65535u /* EVE's maxsize: messages must be shorter */

struct status;

/* What happened so far, for logs and tests. */
struct status_info {
	unsigned subscribers;  /* connected pubsub subscribers */
	uint64_t publications; /* global.json writes (instance 0/1) */
	uint64_t reports_sent; /* evStats datagrams sent (instance >= 2) */
	uint64_t reports_ok;   /* evStats datagrams stored (instance 1) */
	uint64_t reports_bad;  /* evStats datagrams refused (instance 1) */
};

/*
 * Start the status of instance inst (0 single, 1..EV_MAX_INSTANCES) on loop.
 * root prefixes the EVE paths ("" for none); expire_on is the token's exp,
 * started the time the token was parsed; debounce_secs is
 * STATUS_DEBOUNCE_SECS on a device.  Instance 0/1 create the publication and
 * schedule the first publication; instance 1 also opens the report socket;
 * instances >= 2 only prepare to report.  EV_ERR_INST_RANGE for an instance
 * above EV_MAX_INSTANCES, EV_ERR_STATUS_IN_USE when a live process already
 * serves one of the sockets, EV_ERR_TOO_BIG when a socket path does not fit
 * sun_path, EV_ERR_SYSTEM otherwise.  Instance <= 1 should exit on failure
 * (EVE does).
 */
int status_open(struct ev_loop *loop, const char *root, unsigned inst, uint64_t expire_on,
                const struct ev_time *started, double debounce_secs,
                struct status **out) EV_WARN_UNUSED;

/* The instance's counters are now totals; schedules a publication (or a
 * report on instance >= 2).  Call after each accepted command. */
void status_count(struct status *st, const struct policy_counts *totals);

void status_get_info(const struct status *st, struct status_info *out);

/* Makes a pending publication or report now, closes every socket and removes
 * the socket files this instance created; keeps global.json.  NULL is
 * ignored. */
void status_close(struct status *st);

#endif
