/* test_evcfg.c - /run/edgeview/edge-view-config parse, format, write, load. */
#include "ev_test.h"

#include <dirent.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ev_buf.h"
#include "ev_err.h"
#include "ev_evcfg.h"
#include "ev_file.h"
#include "ev_limits.h"

#define TOK "EvJWToken:aaa.bbb.ccc\n"

static void
parse_ok(const char *text, struct ev_evcfg *c)
{
	assert_ev_ok(ev_evcfg_parse(text, strlen(text), c));
}

/* Format c into a fresh string (free it). */
static char *
format_str(const struct ev_evcfg *c)
{
	struct ev_buf *b = ev_buf_new(EV_MAX_EVCFG_FILE);
	uint8_t *p = NULL;

	assert_non_null(b);
	assert_ev_ok(ev_evcfg_format(c, b));
	assert_ev_ok(ev_buf_take(b, &p, NULL));
	ev_buf_free(b);
	return (char *)p;
}

static void
assert_same(const struct ev_evcfg *a, const struct ev_evcfg *b)
{
	assert_string_equal(a->token, b->token);
	assert_int_equal(a->multi_inst, b->multi_inst);
	assert_true(a->exp == b->exp);
	if (a->dep_certs == NULL || b->dep_certs == NULL)
		assert_true(a->dep_certs == b->dep_certs);
	else
		assert_string_equal(a->dep_certs, b->dep_certs);
	assert_int_equal(a->dev_policy, b->dev_policy);
	assert_int_equal(a->app_policy, b->app_policy);
	assert_int_equal(a->ext_policy, b->ext_policy);
	assert_int_equal(a->has_gen_id, b->has_gen_id);
	assert_int_equal(a->gen_id, b->gen_id);
}

/* format(c) parses back to c (c must have has_gen_id set). */
static void
assert_round_trip(const struct ev_evcfg *c)
{
	struct ev_evcfg back;
	char *text = format_str(c);

	parse_ok(text, &back);
	assert_same(c, &back);
	ev_evcfg_free(&back);
	free(text);
}

static void
test_vector_parse(void **state)
{
	const char *file = tv_str("config_file");
	struct ev_evcfg c;

	(void)state;
	parse_ok(file, &c);
	assert_string_equal(c.token, tv_str("jwtA.token"));
	assert_int_equal(c.multi_inst, 0);
	assert_true(c.exp == 1893456000u);
	assert_null(c.dep_certs);
	assert_true(c.dev_policy);
	assert_false(c.app_policy);
	assert_false(c.ext_policy);
	assert_true(c.has_gen_id);
	assert_int_equal(c.gen_id, 7);
	ev_evcfg_free(&c);
	assert_null(c.token);
	ev_evcfg_free(&c); /* a freed struct is zeroed and may be freed again */
	ev_evcfg_free(NULL);
}

static void
test_vector_format(void **state)
{
	const char *file = tv_str("config_file");
	struct ev_evcfg c = {0};
	char *text;

	(void)state;
	c.token = (char *)tv_str("jwtA.token");
	c.exp = 1893456000u;
	c.dev_policy = true;
	c.has_gen_id = true;
	c.gen_id = 7;
	text = format_str(&c);
	assert_string_equal(text, file);
	free(text);
	assert_round_trip(&c);
}

/* The file on disk: directory 0755 created, file 0600, no temp file left. */
static void
test_write_load(void **state)
{
	char *tmp = tv_tmpdir();
	char dir[PATH_MAX], path[PATH_MAX];
	struct ev_evcfg c, back;
	struct stat st;
	char *got = NULL;
	size_t len = 0;
	DIR *d;
	struct dirent *e;
	int n = 0;
	mode_t old_umask = umask(022);

	(void)state;
	assert_ev_ok(ev_path_join(dir, sizeof(dir), tmp, "run/edgeview"));
	assert_ev_ok(ev_path_join(path, sizeof(path), dir, EV_EVCFG_FILE_NAME));
	parse_ok(tv_str("config_file"), &c);
	assert_ev_ok(ev_evcfg_write(dir, &c));
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_ev_ok(ev_file_read_capped(path, EV_MAX_EVCFG_FILE, &got, &len));
	assert_int_equal(len, strlen(tv_str("config_file")));
	assert_string_equal(got, tv_str("config_file"));
	free(got);

	/* Rewrite with other values: replaced, still one file. */
	c.gen_id = 8;
	assert_ev_ok(ev_evcfg_write(dir, &c));
	assert_ev_ok(ev_evcfg_load(path, &back));
	assert_same(&c, &back);
	ev_evcfg_free(&back);
	assert_non_null(d = opendir(dir));
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	assert_int_equal(n, 1);

	/* An invalid struct writes nothing and keeps the old file. */
	c.multi_inst = 6;
	assert_ev_err(ev_evcfg_write(dir, &c), EV_ERR_INVALID_ARG);
	assert_ev_ok(ev_evcfg_load(path, &back));
	assert_int_equal(back.gen_id, 8);
	ev_evcfg_free(&back);
	ev_evcfg_free(&c);
	umask(old_umask);
	tv_rmrf(tmp);
	free(tmp);
}

static void
test_write_load_errors(void **state)
{
	char *tmp = tv_tmpdir();
	char path[PATH_MAX], big[PATH_MAX];
	struct ev_evcfg c;
	FILE *f;

	(void)state;
	parse_ok(TOK, &c);
	assert_ev_err(ev_evcfg_write("", &c), EV_ERR_INVALID_ARG);
	/* A regular file where the directory should be. */
	assert_ev_ok(ev_path_join(path, sizeof(path), tmp, "file"));
	assert_non_null(f = fopen(path, "w"));
	fclose(f);
	assert_ev_err(ev_evcfg_write(path, &c), EV_ERR_NOT_DIR);
	ev_evcfg_free(&c);

	assert_ev_ok(ev_path_join(path, sizeof(path), tmp, "missing"));
	assert_ev_err(ev_evcfg_load(path, &c), EV_ERR_NOT_FOUND);
	assert_ev_err(ev_evcfg_load(tmp, &c), EV_ERR_NOT_REGULAR);
	/* One byte over the cap is refused before parsing. */
	assert_ev_ok(ev_path_join(big, sizeof(big), tmp, "big"));
	assert_non_null(f = fopen(big, "w"));
	assert_int_equal(fputs(TOK, f) >= 0, 1);
	assert_int_equal(fseek(f, EV_MAX_EVCFG_FILE, SEEK_SET), 0);
	assert_int_equal(fputc('\n', f), '\n');
	fclose(f);
	assert_ev_err(ev_evcfg_load(big, &c), EV_ERR_TOO_BIG);
	assert_null(c.token);
	tv_rmrf(tmp);
	free(tmp);
}

static void
test_multi_instance(void **state)
{
	struct ev_evcfg c = {0}, back;
	char *text;

	(void)state;
	c.token = (char *)"aaa.bbb.ccc";
	c.multi_inst = 3;
	c.exp = 1893456000u;
	c.app_policy = true;
	c.has_gen_id = true;
	text = format_str(&c);
	assert_string_equal(text, "EvJWToken:aaa.bbb.ccc\n"
	                          "EdgeViewMultiInst:3\n"
	                          "EvJWTExp:1893456000\n"
	                          "EvDevPolicy:{\"enabled\":false}\n"
	                          "EvAppPolicy:{\"enabled\":true}\n"
	                          "EvExtPolicy:{\"enabled\":false}\n"
	                          "EvGenID:0\n");
	free(text);
	assert_round_trip(&c);
	c.multi_inst = EV_MAX_INSTANCES;
	assert_round_trip(&c);

	/* 0 and 1 are both single instance; neither is written back. */
	parse_ok(TOK "EdgeViewMultiInst:1\n", &back);
	assert_int_equal(back.multi_inst, 0);
	text = format_str(&back);
	assert_null(strstr(text, "MultiInst"));
	free(text);
	ev_evcfg_free(&back);
	parse_ok(TOK "EdgeViewMultiInst:0\n", &back);
	assert_int_equal(back.multi_inst, 0);
	ev_evcfg_free(&back);
	parse_ok(TOK "EdgeViewMultiInst:2\n", &back);
	assert_int_equal(back.multi_inst, 2);
	ev_evcfg_free(&back);
}

static void
test_dep_certs(void **state)
{
	size_t plen = 0;
	char *pem = tv_read_data_file("evcfg/dep-certs.pem", &plen);
	struct ev_evcfg c = {0}, back;
	struct ev_buf *want = ev_buf_new(EV_MAX_EVCFG_FILE);
	char *text;

	(void)state;
	assert_non_null(want);
	/* Two certificates, and the bundle ends with a newline. */
	assert_true(plen > 0 && pem[plen - 1] == '\n');
	assert_non_null(strstr(strstr(pem, "-----END CERTIFICATE-----") + 1, "BEGIN CERTIFICATE"));
	c.token = (char *)"aaa.bbb.ccc";
	c.exp = 5;
	c.dep_certs = pem;
	c.ext_policy = true;
	c.has_gen_id = true;
	c.gen_id = 4294967295u;
	text = format_str(&c);
	/* Prefix, the PEM as is, then the item's own \n: an empty line. */
	assert_ev_ok(ev_buf_put_str(want, "EvJWToken:aaa.bbb.ccc\nEvJWTExp:5\nEvDepCerts:"));
	assert_ev_ok(ev_buf_put_str(want, pem));
	assert_ev_ok(ev_buf_put_str(want, "\nEvDevPolicy:{\"enabled\":false}\n"
	                                  "EvAppPolicy:{\"enabled\":false}\n"
	                                  "EvExtPolicy:{\"enabled\":true}\n"
	                                  "EvGenID:4294967295\n"));
	assert_string_equal(text, ev_buf_str(want));
	assert_non_null(strstr(text, "-----END CERTIFICATE-----\n\nEvDevPolicy:"));
	free(text);
	assert_round_trip(&c);

	/* Without the final newline, and as the last item of the file. */
	pem[plen - 1] = '\0';
	assert_round_trip(&c);
	ev_buf_reset(want);
	assert_ev_ok(ev_buf_put_str(want, TOK "EvDepCerts:"));
	assert_ev_ok(ev_buf_put_str(want, pem));
	parse_ok(ev_buf_str(want), &back);
	assert_string_equal(back.dep_certs, pem);
	ev_evcfg_free(&back);

	/* Lines of another, unknown item inside the bundle stay in it. */
	c.dep_certs = (char *)"line1\nEvKubPolicy:{}\n\nline4";
	assert_round_trip(&c);
	/* A single empty line is a non-empty value. */
	c.dep_certs = (char *)"\n";
	assert_round_trip(&c);

	/* An empty value is the same as no line. */
	parse_ok(TOK "EvDepCerts:\nEvGenID:1\n", &back);
	assert_null(back.dep_certs);
	ev_evcfg_free(&back);
	ev_buf_free(want);
	free(pem);
}

/* CRLF everywhere, including inside the certificates. */
static void
test_crlf(void **state)
{
	const char *file = tv_str("config_file");
	struct ev_buf *b = ev_buf_new(EV_MAX_EVCFG_FILE);
	struct ev_evcfg want, got;

	(void)state;
	assert_non_null(b);
	for (const char *p = file; *p != '\0'; p++)
		assert_ev_ok(*p == '\n' ? ev_buf_put_str(b, "\r\n")
		                        : ev_buf_put_u8(b, (uint8_t)*p));
	parse_ok(file, &want);
	parse_ok(ev_buf_str(b), &got);
	assert_same(&want, &got);
	ev_evcfg_free(&want);
	ev_evcfg_free(&got);
	ev_buf_free(b);

	parse_ok("EvJWToken:t\r\nEvDepCerts:A\r\nB\r\n\r\nEvGenID:1\r\n", &got);
	assert_string_equal(got.token, "t");
	assert_string_equal(got.dep_certs, "A\nB\n");
	ev_evcfg_free(&got);
}

static void
test_lenient_cases(void **state)
{
	struct ev_evcfg c;

	(void)state;
	/* Unknown items (EvKubPolicy is defined by EVE, never written) and blank lines. */
	parse_ok("\nEvKubPolicy:{\"enabled\":true}\nFuture_Item-2:x y z\n\n" TOK
	         "EvKubPolicy:{\"enabled\":true}\n",
	         &c);
	assert_string_equal(c.token, "aaa.bbb.ccc");
	assert_false(c.dev_policy);
	assert_false(c.has_gen_id);
	assert_true(c.exp == 0);
	ev_evcfg_free(&c);

	/* No final newline, any order, leading zeros, the largest numbers. */
	parse_ok("EvGenID:007\nEvJWTExp:18446744073709551615\nEvJWToken:x", &c);
	assert_string_equal(c.token, "x");
	assert_int_equal(c.gen_id, 7);
	assert_true(c.exp == UINT64_MAX);
	ev_evcfg_free(&c);
	parse_ok(TOK "EvGenID:4294967295", &c);
	assert_int_equal(c.gen_id, UINT32_MAX);
	ev_evcfg_free(&c);

	/* Go's json.Unmarshal rules for the policies. */
	parse_ok(TOK "EvDevPolicy:{\"ENABLED\":true}\nEvAppPolicy: { \"Enabled\" : true , "
	             "\"other\":[1,{}] } \nEvExtPolicy:null\n",
	         &c);
	assert_true(c.dev_policy);
	assert_true(c.app_policy);
	assert_false(c.ext_policy);
	ev_evcfg_free(&c);
	parse_ok(TOK "EvDevPolicy:{\"enabled\":null}\nEvAppPolicy:{}\n"
	             "EvExtPolicy:{\"enabled\":false,\"enabled\":true}\n",
	         &c);
	assert_false(c.dev_policy);
	assert_false(c.app_policy);
	assert_true(c.ext_policy); /* the last duplicate key wins, as in Go */
	ev_evcfg_free(&c);

	/* Stricter than Go: a prefix counts only at the start of a line. */
	parse_ok(TOK "XEvDevPolicy:{\"enabled\":true}\n", &c);
	assert_false(c.dev_policy);
	ev_evcfg_free(&c);

	/* A token as long as the cap. */
	{
		struct ev_buf *b = ev_buf_new(EV_MAX_EVCFG_FILE);

		assert_non_null(b);
		assert_ev_ok(ev_buf_put_str(b, "EvJWToken:"));
		for (size_t i = 0; i < EV_MAX_JWT; i++)
			assert_ev_ok(ev_buf_put_u8(b, 'a'));
		parse_ok(ev_buf_str(b), &c);
		assert_int_equal(strlen(c.token), EV_MAX_JWT);
		assert_round_trip(&(struct ev_evcfg){.token = c.token, .has_gen_id = true});
		ev_evcfg_free(&c);
		assert_ev_ok(ev_buf_put_u8(b, 'a'));
		assert_ev_err(ev_evcfg_parse(ev_buf_str(b), ev_buf_len(b), &c), EV_ERR_TOO_BIG);
		ev_buf_free(b);
	}
}

struct bad_case {
	const char *name;
	const char *text;
	size_t len; /* 0: strlen(text) */
	int want;
};

static const struct bad_case bad_cases[] = {
        {"empty file", "", 0, EV_ERR_CFG_NO_TOKEN},
        {"no token line", "EvJWTExp:1\nEvGenID:1\n", 0, EV_ERR_CFG_NO_TOKEN},
        {"lower-case token prefix", "evjwtoken:x\n", 0, EV_ERR_CFG_NO_TOKEN},
        {"duplicate token", TOK TOK, 0, EV_ERR_CFG_DUPLICATE},
        {"duplicate exp", TOK "EvJWTExp:1\nEvJWTExp:1\n", 0, EV_ERR_CFG_DUPLICATE},
        {"duplicate multi", TOK "EdgeViewMultiInst:2\nEdgeViewMultiInst:2\n", 0,
         EV_ERR_CFG_DUPLICATE},
        {"duplicate policy", TOK "EvDevPolicy:{}\nEvDevPolicy:{}\n", 0, EV_ERR_CFG_DUPLICATE},
        {"duplicate gen id", TOK "EvGenID:1\nEvGenID:2\n", 0, EV_ERR_CFG_DUPLICATE},
        {"duplicate certs", TOK "EvDepCerts:a\nEvDepCerts:b\n", 0, EV_ERR_CFG_DUPLICATE},
        {"exp 12a", TOK "EvJWTExp:12a\n", 0, EV_ERR_CFG_NUMBER},
        {"exp -1", TOK "EvJWTExp:-1\n", 0, EV_ERR_CFG_NUMBER},
        {"exp +1", TOK "EvJWTExp:+1\n", 0, EV_ERR_CFG_NUMBER},
        {"exp space", TOK "EvJWTExp: 1\n", 0, EV_ERR_CFG_NUMBER},
        {"exp trailing space", TOK "EvJWTExp:1 \n", 0, EV_ERR_CFG_NUMBER},
        {"exp empty", TOK "EvJWTExp:\n", 0, EV_ERR_CFG_NUMBER},
        {"exp 20 nines", TOK "EvJWTExp:99999999999999999999\n", 0, EV_ERR_CFG_NUMBER},
        {"exp 2^64", TOK "EvJWTExp:18446744073709551616\n", 0, EV_ERR_CFG_NUMBER},
        {"exp hex", TOK "EvJWTExp:0x10\n", 0, EV_ERR_CFG_NUMBER},
        {"gen id 2^32", TOK "EvGenID:4294967296\n", 0, EV_ERR_CFG_NUMBER},
        {"gen id float", TOK "EvGenID:1.0\n", 0, EV_ERR_CFG_NUMBER},
        {"multi 6", TOK "EdgeViewMultiInst:6\n", 0, EV_ERR_CFG_NUMBER},
        {"multi 2^64+2", TOK "EdgeViewMultiInst:18446744073709551618\n", 0, EV_ERR_CFG_NUMBER},
        {"multi -2", TOK "EdgeViewMultiInst:-2\n", 0, EV_ERR_CFG_NUMBER},
        {"token empty", "EvJWToken:\n", 0, EV_ERR_CFG_TOKEN},
        {"token space", "EvJWToken:aaa bbb\n", 0, EV_ERR_CFG_TOKEN},
        {"token leading space", "EvJWToken: aaa\n", 0, EV_ERR_CFG_TOKEN},
        {"token tab", "EvJWToken:aaa\t\n", 0, EV_ERR_CFG_TOKEN},
        {"token non-ascii", "EvJWToken:a\xc3\xa9\n", 0, EV_ERR_CFG_TOKEN},
        {"policy bare key", TOK "EvDevPolicy:{enabled:true}\n", 0, EV_ERR_CFG_POLICY},
        {"policy array", TOK "EvDevPolicy:[]\n", 0, EV_ERR_CFG_POLICY},
        {"policy string", TOK "EvAppPolicy:\"true\"\n", 0, EV_ERR_CFG_POLICY},
        {"policy bool", TOK "EvExtPolicy:true\n", 0, EV_ERR_CFG_POLICY},
        {"policy string value", TOK "EvDevPolicy:{\"enabled\":\"true\"}\n", 0, EV_ERR_CFG_POLICY},
        {"policy number value", TOK "EvDevPolicy:{\"enabled\":1}\n", 0, EV_ERR_CFG_POLICY},
        {"policy empty", TOK "EvDevPolicy:\n", 0, EV_ERR_CFG_POLICY},
        {"policy trailing", TOK "EvDevPolicy:{\"enabled\":true}x\n", 0, EV_ERR_CFG_POLICY},
        {"policy two values", TOK "EvDevPolicy:{} {}\n", 0, EV_ERR_CFG_POLICY},
        {"policy unterminated", TOK "EvDevPolicy:{\"enabled\":true\n", 0, EV_ERR_CFG_POLICY},
        {"NUL byte", TOK "EvGenID:1\0\n", sizeof(TOK "EvGenID:1\0\n") - 1, EV_ERR_NUL_BYTE},
        {"NUL in token", "EvJWToken:a\0b\n", sizeof("EvJWToken:a\0b\n") - 1, EV_ERR_NUL_BYTE},
        {"garbage line", TOK "hello world\n", 0, EV_ERR_CFG_SYNTAX},
        {"leading space", " EvJWToken:x\n", 0, EV_ERR_CFG_SYNTAX},
        {"colon first", TOK ":value\n", 0, EV_ERR_CFG_SYNTAX},
        {"digit first", TOK "1Item:value\n", 0, EV_ERR_CFG_SYNTAX},
        {"PEM outside certs", TOK "-----BEGIN CERTIFICATE-----\n", 0, EV_ERR_CFG_SYNTAX},
        {"bare CR", TOK "EvGenID:1\rEvJWTExp:2\n", 0, EV_ERR_CFG_SYNTAX},
        {"CR at end", TOK "EvGenID:1\r", 0, EV_ERR_CFG_SYNTAX},
        {"CR CR LF", TOK "EvGenID:1\r\r\n", 0, EV_ERR_CFG_SYNTAX},
        {"whitespace-only line", TOK " \n", 0, EV_ERR_CFG_SYNTAX},
};

static void
test_malformed(void **state)
{
	(void)state;
	for (size_t i = 0; i < EV_ARRAY_LEN(bad_cases); i++) {
		const struct bad_case *t = &bad_cases[i];
		size_t len = t->len != 0 ? t->len : strlen(t->text);
		struct ev_evcfg c;
		int r;

		memset(&c, 0xa5, sizeof(c));
		r = ev_evcfg_parse(t->text, len, &c);
		if (r != t->want)
			fail_msg("%s: got %s, want %s", t->name, ev_errname(r),
			         ev_errname(t->want));
		/* Nothing is handed over on failure. */
		assert_null(c.token);
		assert_null(c.dep_certs);
		assert_false(c.dev_policy);
	}
}

/* Caps: the whole file and each line outside EvDepCerts. */
static void
test_size_caps(void **state)
{
	size_t cap = EV_MAX_EVCFG_FILE + 1;
	char *text = malloc(cap);
	struct ev_evcfg c;
	size_t n;

	(void)state;
	assert_non_null(text);
	memcpy(text, TOK, strlen(TOK));
	memset(text + strlen(TOK), '\n', cap - strlen(TOK));
	/* Blank lines up to exactly the cap are fine. */
	assert_ev_ok(ev_evcfg_parse(text, EV_MAX_EVCFG_FILE, &c));
	ev_evcfg_free(&c);
	assert_ev_err(ev_evcfg_parse(text, EV_MAX_EVCFG_FILE + 1, &c), EV_ERR_TOO_BIG);

	/* An unknown item longer than a line may be. */
	n = strlen(TOK);
	memcpy(text + n, "Xx:", 3);
	memset(text + n + 3, 'y', EV_MAX_EVCFG_LINE);
	text[n + EV_MAX_EVCFG_LINE] = '\n'; /* "Xx:" + y... is exactly the cap */
	assert_ev_ok(ev_evcfg_parse(text, n + EV_MAX_EVCFG_LINE + 1, &c));
	ev_evcfg_free(&c);
	text[n + EV_MAX_EVCFG_LINE] = 'y';
	text[n + EV_MAX_EVCFG_LINE + 1] = '\n';
	assert_ev_err(ev_evcfg_parse(text, n + EV_MAX_EVCFG_LINE + 2, &c), EV_ERR_TOO_BIG);

	/* A certificate bundle is not bound by the line cap. */
	memcpy(text + n, "EvDepCerts:", 11);
	assert_ev_ok(ev_evcfg_parse(text, n + EV_MAX_EVCFG_LINE + 2, &c));
	assert_int_equal(strlen(c.dep_certs), EV_MAX_EVCFG_LINE + 1 - 11);
	ev_evcfg_free(&c);
	free(text);
}

static void
test_format_rejects(void **state)
{
	struct ev_buf *b = ev_buf_new(EV_MAX_EVCFG_FILE);
	struct ev_buf *small = ev_buf_new(40);
	struct ev_evcfg c = {0};
	static const char *const bad_certs[] = {
	        "A\nEvGenID:1",     /* would end the item early */
	        "A\nEvJWToken:x\n", /* ditto */
	        "A\r\nB",           /* CRs are stripped on input */
	        "A\rB",             /* bare CR */
	};

	(void)state;
	assert_non_null(b);
	assert_non_null(small);
	assert_ev_ok(ev_buf_put_str(b, "keep"));
	assert_ev_err(ev_evcfg_format(&c, b), EV_ERR_INVALID_ARG); /* no token */
	c.token = (char *)"";
	assert_ev_err(ev_evcfg_format(&c, b), EV_ERR_INVALID_ARG);
	c.token = (char *)"a b";
	assert_ev_err(ev_evcfg_format(&c, b), EV_ERR_INVALID_ARG);
	c.token = (char *)"a\nEvDevPolicy:{\"enabled\":true}";
	assert_ev_err(ev_evcfg_format(&c, b), EV_ERR_INVALID_ARG);
	c.token = (char *)"aaa.bbb.ccc";
	c.multi_inst = EV_MAX_INSTANCES + 1;
	assert_ev_err(ev_evcfg_format(&c, b), EV_ERR_INVALID_ARG);
	c.multi_inst = 0;
	for (size_t i = 0; i < EV_ARRAY_LEN(bad_certs); i++) {
		c.dep_certs = (char *)bad_certs[i];
		assert_ev_err(ev_evcfg_format(&c, b), EV_ERR_INVALID_ARG);
	}
	/* A certificate line merely containing a prefix is fine. */
	c.dep_certs = (char *)"EvGenID:1\nxEvGenID:2";
	c.has_gen_id = true;
	assert_round_trip(&c);
	c.dep_certs = NULL;
	assert_ev_err(ev_evcfg_format(NULL, b), EV_ERR_INVALID_ARG);
	assert_string_equal(ev_buf_str(b), "keep");

	/* Too small a buffer: nothing appended. */
	assert_ev_ok(ev_buf_put_str(small, "keep"));
	assert_ev_err(ev_evcfg_format(&c, small), EV_ERR_BUF_FULL);
	assert_string_equal(ev_buf_str(small), "keep");
	ev_buf_free(small);

	/* Appends after what is there. */
	assert_ev_ok(ev_evcfg_format(&c, b));
	assert_int_equal(strncmp(ev_buf_str(b), "keepEvJWToken:aaa.bbb.ccc\n", 26), 0);
	ev_buf_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_vector_parse),   cmocka_unit_test(test_vector_format),
	        cmocka_unit_test(test_write_load),     cmocka_unit_test(test_write_load_errors),
	        cmocka_unit_test(test_multi_instance), cmocka_unit_test(test_dep_certs),
	        cmocka_unit_test(test_crlf),           cmocka_unit_test(test_lenient_cases),
	        cmocka_unit_test(test_malformed),      cmocka_unit_test(test_size_caps),
	        cmocka_unit_test(test_format_rejects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
