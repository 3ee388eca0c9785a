/*
 * ev_test.h - shared helpers for the cmocka unit tests.
 *
 * Vectors come from tests/data/vectors.json, a copy of the spec's
 * ../shared/spec/vectors/vectors.json, addressed by dotted path:
 * tv_str("jwtA.token").
 */
#ifndef EV_TEST_H
#define EV_TEST_H

#include <setjmp.h> /* cmocka needs these first */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

/* The string at a dotted path of vectors.json; fails the test if absent. */
const char *tv_str(const char *path);
/* Hex string at path decoded into a malloc'd buffer (free it). */
uint8_t *tv_hex(const char *path, size_t *len);
/* A file under tests/data, NUL-terminated, malloc'd. */
char *tv_read_data_file(const char *name, size_t *len);
/* Absolute path of a file under tests/data (static buffer). */
const char *tv_data_path(const char *name);
/* A fresh temporary directory (removed by the caller with tv_rmrf). */
char *tv_tmpdir(void);
void tv_rmrf(const char *path);

#define assert_ev_ok(expr)                                                                   \
	do {                                                                                 \
		int ev_test_r_ = (expr);                                                     \
		if (ev_test_r_ != 0)                                                         \
			fail_msg("%s = %s (%d)", #expr, ev_errname(ev_test_r_), ev_test_r_); \
	} while (0)

#define assert_ev_err(expr, want)                                                        \
	do {                                                                             \
		int ev_test_r_ = (expr);                                                 \
		if (ev_test_r_ != (want))                                                \
			fail_msg("%s = %s (%d), want %s", #expr, ev_errname(ev_test_r_), \
			         ev_test_r_, #want);                                     \
	} while (0)

#endif
