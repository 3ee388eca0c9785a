/*
 * report_pb.h - building protobuf-c messages from untrusted-ish host data:
 * every allocation goes into one arena freed at once, strings are copied
 * as valid UTF-8 (what a proto3 string must be) and capped.  Internal to
 * the report builders.
 */
#ifndef AG_REPORT_PB_H
#define AG_REPORT_PB_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>
#include <stdint.h>

#include "ev_attr.h"
#include "google/protobuf/timestamp.pb-c.h"

struct pbx {
	void **p;
	size_t n, cap;
	int err; /* first failure; later calls return NULL */
};

/* Zeroed memory owned by the arena (NULL on failure, err set). */
void *pbx_alloc(struct pbx *a, size_t size);
/* An array of n pointers (n may be 0: returns NULL without an error). */
void *pbx_array(struct pbx *a, size_t n, size_t elem);
/* s as valid UTF-8 (invalid bytes -> U+FFFD), at most max bytes, cut at a
 * character boundary; NULL -> "". */
char *pbx_str(struct pbx *a, const char *s, size_t max);
Google__Protobuf__Timestamp *pbx_ts(struct pbx *a, int64_t sec, int32_t nsec);
/* The wall clock now. */
void pbx_now(int64_t *sec, int32_t *nsec);
void pbx_free(struct pbx *a);
/* Serialize into a malloc'd buffer (EV_ERR_TOO_BIG above max). */
int pbx_pack(const ProtobufCMessage *m, size_t max, uint8_t **out, size_t *outlen) EV_WARN_UNUSED;

#endif
