/* test_evx.c - the EVX1 channel: Python-made vectors byte for byte, hellos,
 * channel round trips, and every way a frame must be refused. */
#include "ev_test.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "ev_buf.h"
#include "ev_encoding.h"
#include "ev_envelope.h"
#include "ev_err.h"
#include "ev_evx.h"
#include "ev_mem.h"

/* ---- evx_vectors.json (made by tests/data/evx_vectors.py) ---- */
static json_t *evx_vectors;

static const char *
xv(const char *obj, const char *name)
{
	json_t *v = evx_vectors;

	if (v == NULL) {
		json_error_t err;
		char *text;
		size_t len;

		text = tv_read_data_file("evx_vectors.json", &len);
		assert_non_null(text);
		evx_vectors = json_loadb(text, len, 0, &err);
		free(text);
		if (evx_vectors == NULL)
			fail_msg("evx_vectors.json: %s", err.text);
		v = evx_vectors;
	}
	if (obj != NULL)
		v = json_object_get(v, obj);
	v = v != NULL ? json_object_get(v, name) : NULL;
	if (!json_is_string(v))
		fail_msg("no string vector %s.%s", obj != NULL ? obj : "", name);
	return json_string_value(v);
}

static uint8_t *
xv_hex(const char *obj, const char *name, size_t *len)
{
	const char *s = xv(obj, name);
	size_t n = strlen(s) / 2;
	uint8_t *out = malloc(n + 1);

	assert_non_null(out);
	assert_ev_ok(ev_hex_decode(s, strlen(s), out, n));
	*len = n;
	return out;
}

#define VKEY() ((const uint8_t *)xv(NULL, "key")), strlen(xv(NULL, "key"))

/* Fixed ids for tests that do not need the vector's. */
#define SESS "AAECAwQFBgcICQoLDA0ODw"
#define CN   "EBESExQVFhcYGRobHB0eHw"
#define DN   "8PHy8_T19vf4-fr7_P3-_w"
#define KEY  "Zk3p9QvXr2LmN8sT"
#define JWT1 "header.payload.signature-one"
#define JWT2 "header.payload.signature-two"

static int
parse(const char *json, struct ev_envelope *e)
{
	return ev_envelope_parse(json, strlen(json), e);
}

/* A client and a device channel over the same hellos. */
static void
pair(struct ev_evx_chan *cl, struct ev_evx_chan *dev)
{
	assert_ev_ok(ev_evx_chan_init(cl, true, JWT1, strlen(JWT1), (const uint8_t *)KEY,
	                              strlen(KEY), SESS, CN, DN));
	assert_ev_ok(ev_evx_chan_init(dev, false, JWT1, strlen(JWT1), (const uint8_t *)KEY,
	                              strlen(KEY), SESS, CN, DN));
}

/* Seal one frame into a parsed envelope. */
static void
seal_env(struct ev_evx_chan *c, bool binary, const char *text, struct ev_envelope *e)
{
	struct ev_buf *b = ev_buf_new(EV_MAX_ENVELOPE);

	assert_non_null(b);
	assert_ev_ok(ev_evx_seal(c, binary, (const uint8_t *)text, strlen(text), b));
	assert_ev_ok(ev_envelope_parse(ev_buf_str(b), ev_buf_len(b), e));
	ev_buf_free(b);
}

/* Open and compare with the expected text. */
static void
open_expect(struct ev_evx_chan *c, const struct ev_envelope *e, bool binary, const char *want)
{
	uint8_t *pt = NULL;
	size_t n = 0;

	assert_ev_ok(ev_evx_open(c, e, binary, &pt, &n));
	assert_int_equal(n, strlen(want));
	assert_memory_equal(pt, want, n);
	assert_int_equal(pt[n], 0);
	ev_freezero(pt, n);
}

static int
open_err(struct ev_evx_chan *c, const struct ev_envelope *e, bool binary)
{
	uint8_t *pt = (uint8_t *)"x";
	size_t n = 99;
	int r = ev_evx_open(c, e, binary, &pt, &n);

	if (r == 0) {
		ev_freezero(pt, n);
		return 0;
	}
	assert_null(pt);
	assert_int_equal(n, 0);
	return r;
}

/* ---- ids ---- */

static void
test_ids(void **state)
{
	char a[EV_EVX_ID_LEN + 1], b[EV_EVX_ID_LEN + 1];

	(void)state;
	assert_ev_ok(ev_evx_random_id(a));
	assert_ev_ok(ev_evx_random_id(b));
	assert_int_equal(strlen(a), EV_EVX_ID_LEN);
	assert_true(ev_evx_id_valid(a));
	assert_true(ev_evx_id_valid(b));
	assert_string_not_equal(a, b);
	assert_true(ev_evx_id_valid(SESS));
	assert_true(ev_evx_id_valid(DN));
	assert_false(ev_evx_id_valid(NULL));
	assert_false(ev_evx_id_valid(""));
	assert_false(ev_evx_id_valid("AAECAwQFBgcICQoLDA0OD"));    /* 21 */
	assert_false(ev_evx_id_valid("AAECAwQFBgcICQoLDA0ODwA"));  /* 23 */
	assert_false(ev_evx_id_valid("AAECAwQFBgcICQoLDA0ODx"));   /* bits past 16 bytes */
	assert_false(ev_evx_id_valid("AAECAwQFBgcICQoLDA0OD+"));   /* standard alphabet */
	assert_false(ev_evx_id_valid("AAECAwQFBgcICQoLDA0O/w"));   /* standard alphabet */
	assert_false(ev_evx_id_valid("AAECAwQFBgcICQoLDA0ODw==")); /* padded */
	assert_false(ev_evx_id_valid("AAECAwQFBgcI CQoLDA0ODw"));  /* space */
}

/* ---- hellos ---- */

static void
test_hello_vectors(void **state)
{
	struct ev_buf *b = ev_buf_new(4096);
	struct ev_evx_hello h;
	struct ev_envelope e;

	(void)state;
	assert_ev_ok(ev_evx_hello_seal(VKEY(), xv(NULL, "session"), xv(NULL, "client_nonce"), b));
	assert_string_equal(ev_buf_str(b), xv("hello_client", "envelope"));
	ev_buf_reset(b);
	assert_ev_ok(ev_evx_hello_seal(VKEY(), xv(NULL, "session"), xv(NULL, "device_nonce"), b));
	assert_string_equal(ev_buf_str(b), xv("hello_device", "envelope"));
	ev_buf_free(b);

	assert_ev_ok(parse(xv("hello_client", "envelope"), &e));
	assert_true(ev_evx_is_hello(&e));
	assert_false(ev_evx_is_data(&e));
	assert_ev_ok(ev_evx_hello_open(&e, VKEY(), &h));
	assert_string_equal(h.session, xv(NULL, "session"));
	assert_string_equal(h.nonce, xv(NULL, "client_nonce"));
	ev_envelope_free(&e);
	assert_ev_ok(parse(xv("hello_device", "envelope"), &e));
	assert_ev_ok(ev_evx_hello_open(&e, VKEY(), &h));
	assert_string_equal(h.nonce, xv(NULL, "device_nonce"));
	ev_envelope_free(&e);
}

static void
test_hello_round_trip(void **state)
{
	char sess[EV_EVX_ID_LEN + 1], nonce[EV_EVX_ID_LEN + 1];
	struct ev_buf *b = ev_buf_new(4096);
	struct ev_evx_hello h;
	struct ev_envelope e;

	(void)state;
	assert_ev_ok(ev_evx_random_id(sess));
	assert_ev_ok(ev_evx_random_id(nonce));
	assert_ev_ok(ev_evx_hello_seal((const uint8_t *)KEY, strlen(KEY), sess, nonce, b));
	assert_ev_ok(ev_envelope_parse(ev_buf_str(b), ev_buf_len(b), &e));
	assert_ev_ok(ev_evx_hello_open(&e, (const uint8_t *)KEY, strlen(KEY), &h));
	assert_string_equal(h.session, sess);
	assert_string_equal(h.nonce, nonce);
	/* A hello is not the legacy HMAC envelope: that check calls it 0.8.8 GCM. */
	assert_ev_err(ev_envelope_check_hmac(&e, (const uint8_t *)KEY, strlen(KEY), true),
	              EV_ERR_ENV_GCM_UNSUPPORTED);
	ev_envelope_free(&e);

	/* The sealer refuses what the opener would refuse. */
	ev_buf_reset(b);
	assert_ev_err(ev_evx_hello_seal((const uint8_t *)KEY, strlen(KEY), "short", nonce, b),
	              EV_ERR_EVX_ID);
	assert_ev_err(ev_evx_hello_seal((const uint8_t *)KEY, strlen(KEY), sess, NULL, b),
	              EV_ERR_EVX_ID);
	assert_ev_err(ev_evx_hello_seal((const uint8_t *)"", 0, sess, nonce, b),
	              EV_ERR_INVALID_ARG);
	assert_int_equal(ev_buf_len(b), 0);
	ev_buf_free(b);
}

/* A hello-shaped envelope around any message, HMACed with KEY. */
static int
craft_hello_open(const char *msg, const uint8_t *iv, size_t ivlen, const char *cipher,
                 const uint8_t *sig, size_t siglen)
{
	uint8_t mac[EV_HMAC_LEN];
	struct ev_buf *b = ev_buf_new(EV_MAX_ENVELOPE);
	struct ev_evx_hello h;
	struct ev_envelope e;
	int r;

	assert_non_null(b);
	assert_ev_ok(ev_hmac_sha256(KEY, strlen(KEY), msg, strlen(msg), mac));
	assert_ev_ok(ev_envelope_seal_fields((const uint8_t *)msg, strlen(msg), mac, sig, siglen,
	                                     iv, ivlen, cipher, b));
	assert_ev_ok(ev_envelope_parse(ev_buf_str(b), ev_buf_len(b), &e));
	r = ev_evx_hello_open(&e, (const uint8_t *)KEY, strlen(KEY), &h);
	if (r != 0) {
		assert_int_equal(h.session[0], 0);
		assert_int_equal(h.nonce[0], 0);
	}
	ev_envelope_free(&e);
	ev_buf_free(b);
	return r;
}

static int
hello_msg(const char *msg)
{
	static const uint8_t iv0[12];

	return craft_hello_open(msg, iv0, sizeof(iv0), "EVX1-HELLO", NULL, 0);
}

static void
test_hello_refusals(void **state)
{
	static const uint8_t iv0[12], iv16[16];
	static const uint8_t iv1[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	const char *good = "{\"evx\":1,\"session\":\"" SESS "\",\"nonce\":\"" CN "\"}";
	struct ev_evx_hello h;
	struct ev_envelope e;
	char big[EV_MAX_EVX_HELLO + 64];

	(void)state;
	assert_ev_ok(hello_msg(good));
	/* Wrong HMAC key. */
	assert_ev_ok(parse(xv("hello_client", "envelope"), &e));
	assert_ev_err(ev_evx_hello_open(&e, (const uint8_t *)"Yq7Hd2Vx9BnM4cKe", 16, &h),
	              EV_ERR_ENV_HMAC);
	assert_int_equal(h.session[0], 0);
	assert_ev_err(ev_evx_hello_open(&e, (const uint8_t *)"", 0, &h), EV_ERR_INVALID_ARG);
	/* A hello is not a data frame. */
	{
		struct ev_evx_chan cl, dev;

		pair(&cl, &dev);
		assert_ev_err(open_err(&dev, &e, false), EV_ERR_EVX_CIPHER);
		ev_evx_chan_wipe(&cl);
		ev_evx_chan_wipe(&dev);
	}
	/* One flipped bit of the message breaks the HMAC. */
	e.message.p[10] ^= 1;
	assert_ev_err(ev_evx_hello_open(&e, VKEY(), &h), EV_ERR_ENV_HMAC);
	ev_envelope_free(&e);

	/* Cipher. */
	assert_ev_err(craft_hello_open(good, iv0, 12, "AES-GCM", NULL, 0), EV_ERR_EVX_CIPHER);
	assert_ev_err(craft_hello_open(good, iv0, 12, "evx1-hello", NULL, 0), EV_ERR_EVX_CIPHER);
	assert_ev_err(craft_hello_open(good, iv0, 12, "EVX1-AES-256-GCM", NULL, 0),
	              EV_ERR_EVX_CIPHER);
	assert_ev_err(craft_hello_open(good, iv0, 12, NULL, NULL, 0), EV_ERR_EVX_CIPHER);
	/* iv: 12 zero bytes, nothing else. */
	assert_ev_err(craft_hello_open(good, iv1, 12, "EVX1-HELLO", NULL, 0), EV_ERR_EVX_IV);
	assert_ev_err(craft_hello_open(good, iv16, 16, "EVX1-HELLO", NULL, 0), EV_ERR_EVX_IV);
	assert_ev_err(craft_hello_open(good, NULL, 0, "EVX1-HELLO", NULL, 0), EV_ERR_EVX_IV);
	/* No Signature. */
	assert_ev_err(craft_hello_open(good, iv0, 12, "EVX1-HELLO", (const uint8_t *)"sig", 3),
	              EV_ERR_EVX_FIELDS);

	/* Ids. */
	assert_ev_err(
	        hello_msg("{\"evx\":1,\"session\":\"AAECAwQFBgcICQoLDA0OD\",\"nonce\":\"" CN "\"}"),
	        EV_ERR_EVX_ID);
	assert_ev_err(hello_msg("{\"evx\":1,\"session\":\"" SESS
	                        "\",\"nonce\":\"EBESExQVFhcYGRobHB0eHx\"}"),
	              EV_ERR_EVX_ID);
	assert_ev_err(hello_msg("{\"evx\":1,\"session\":\"" SESS
	                        "\",\"nonce\":\"EBESExQVFhcYGRobHB0eHw==\"}"),
	              EV_ERR_EVX_ID);
	assert_ev_err(hello_msg("{\"evx\":1,\"session\":\"" SESS
	                        "\",\"nonce\":\"EBESExQVFhcYGRobHB0e/w\"}"),
	              EV_ERR_EVX_ID);
	assert_ev_err(hello_msg("{\"evx\":1,\"session\":\"\",\"nonce\":\"" CN "\"}"),
	              EV_ERR_EVX_ID);

	/* Shape. */
	assert_ev_err(hello_msg(""), EV_ERR_EVX_HELLO);
	assert_ev_err(hello_msg("not json"), EV_ERR_EVX_HELLO);
	assert_ev_err(hello_msg("null"), EV_ERR_EVX_HELLO);
	assert_ev_err(hello_msg("[1,2]"), EV_ERR_EVX_HELLO);
	assert_ev_err(hello_msg("{}"), EV_ERR_EVX_HELLO);
	assert_ev_err(hello_msg("{\"session\":\"" SESS "\",\"nonce\":\"" CN "\"}"),
	              EV_ERR_EVX_HELLO);
	assert_ev_err(hello_msg("{\"evx\":2,\"session\":\"" SESS "\",\"nonce\":\"" CN "\"}"),
	              EV_ERR_EVX_HELLO);
	assert_ev_err(hello_msg("{\"evx\":\"1\",\"session\":\"" SESS "\",\"nonce\":\"" CN "\"}"),
	              EV_ERR_EVX_HELLO);
	assert_ev_err(hello_msg("{\"evx\":1.5,\"session\":\"" SESS "\",\"nonce\":\"" CN "\"}"),
	              EV_ERR_EVX_HELLO);
	assert_ev_err(hello_msg("{\"evx\":1,\"nonce\":\"" CN "\"}"), EV_ERR_EVX_HELLO);
	assert_ev_err(hello_msg("{\"evx\":1,\"session\":null,\"nonce\":\"" CN "\"}"),
	              EV_ERR_EVX_HELLO);
	assert_ev_err(hello_msg("{\"evx\":1,\"session\":7,\"nonce\":\"" CN "\"}"),
	              EV_ERR_EVX_HELLO);
	assert_ev_err(hello_msg("{\"evx\":1,\"session\":\"" SESS "\",\"nonce\":\"" CN "\"} x"),
	              EV_ERR_EVX_HELLO);
	assert_ev_err(hello_msg("{\"evx\":1,\"session\":\"" SESS "\",\"nonce\":\"" CN "\"}{}"),
	              EV_ERR_EVX_HELLO);
	/* Unknown keys are ignored; keys match as Go matches them. */
	assert_ev_ok(hello_msg("{\"evx\":1,\"v2\":{\"a\":[1]},\"session\":\"" SESS
	                       "\",\"nonce\":\"" CN "\"}"));
	assert_ev_ok(hello_msg("{\"EVX\":1,\"Session\":\"" SESS "\",\"NONCE\":\"" CN "\"}"));
	/* Over the cap (an HMAC-valid but huge message). */
	memset(big, ' ', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, good, strlen(good));
	assert_ev_err(hello_msg(big), EV_ERR_TOO_BIG);
}

/* ---- keys ---- */

static void
test_keys_vector(void **state)
{
	struct ev_evx_chan cl, dev;
	uint8_t *kc, *kd;
	size_t kcl, kdl;

	(void)state;
	kc = xv_hex(NULL, "key_c2d_hex", &kcl);
	kd = xv_hex(NULL, "key_d2c_hex", &kdl);
	assert_int_equal(kcl, 32);
	assert_int_equal(kdl, 32);
	assert_ev_ok(ev_evx_chan_init(&cl, true, xv(NULL, "jwt"), strlen(xv(NULL, "jwt")), VKEY(),
	                              xv(NULL, "session"), xv(NULL, "client_nonce"),
	                              xv(NULL, "device_nonce")));
	assert_ev_ok(ev_evx_chan_init(&dev, false, xv(NULL, "jwt"), strlen(xv(NULL, "jwt")), VKEY(),
	                              xv(NULL, "session"), xv(NULL, "client_nonce"),
	                              xv(NULL, "device_nonce")));
	assert_true(ev_evx_chan_ready(&cl));
	assert_memory_equal(cl.tx_key, kc, 32);
	assert_memory_equal(cl.rx_key, kd, 32);
	assert_memory_equal(dev.tx_key, kd, 32);
	assert_memory_equal(dev.rx_key, kc, 32);
	assert_int_equal(cl.tx_seq, 0);
	assert_int_equal(cl.rx_seq, 0);
	ev_evx_chan_wipe(&cl);
	ev_evx_chan_wipe(&dev);
	assert_false(ev_evx_chan_ready(&cl));
	assert_true(ev_timingsafe_eq(cl.tx_key, (const uint8_t[32]){0}, 32));
	free(kc);
	free(kd);
}

/* Seal plaintext_hex of a vector on c and compare the envelope byte for byte. */
static void
seal_vector(struct ev_evx_chan *c, const char *name, bool binary)
{
	struct ev_buf *b = ev_buf_new(EV_MAX_ENVELOPE);
	uint8_t *pt;
	size_t n;

	pt = xv_hex(name, "plaintext_hex", &n);
	assert_ev_ok(ev_evx_seal(c, binary, pt, n, b));
	assert_string_equal(ev_buf_str(b), xv(name, "envelope"));
	free(pt);
	ev_buf_free(b);
}

static void
open_vector(struct ev_evx_chan *c, const char *name, bool binary)
{
	struct ev_envelope e;
	uint8_t *want, *pt = NULL;
	size_t wn, n = 0;

	want = xv_hex(name, "plaintext_hex", &wn);
	assert_ev_ok(parse(xv(name, "envelope"), &e));
	assert_true(ev_evx_is_data(&e));
	assert_ev_ok(ev_evx_open(c, &e, binary, &pt, &n));
	assert_int_equal(n, wn);
	if (n > 0)
		assert_memory_equal(pt, want, n);
	ev_freezero(pt, n);
	ev_envelope_free(&e);
	free(want);
}

static void
vector_chans(struct ev_evx_chan *cl, struct ev_evx_chan *dev)
{
	assert_ev_ok(ev_evx_chan_init(cl, true, xv(NULL, "jwt"), strlen(xv(NULL, "jwt")), VKEY(),
	                              xv(NULL, "session"), xv(NULL, "client_nonce"),
	                              xv(NULL, "device_nonce")));
	assert_ev_ok(ev_evx_chan_init(dev, false, xv(NULL, "jwt"), strlen(xv(NULL, "jwt")), VKEY(),
	                              xv(NULL, "session"), xv(NULL, "client_nonce"),
	                              xv(NULL, "device_nonce")));
}

static void
test_frame_vectors(void **state)
{
	struct ev_evx_chan cl, dev;

	(void)state;
	vector_chans(&cl, &dev);
	seal_vector(&cl, "c2d_text_1", false);
	seal_vector(&cl, "c2d_text_2", false);
	seal_vector(&dev, "d2c_text_1", false);
	seal_vector(&dev, "d2c_binary_2", true);
	seal_vector(&dev, "d2c_text_3_empty", false);
	ev_evx_chan_wipe(&cl);
	ev_evx_chan_wipe(&dev);

	vector_chans(&cl, &dev);
	open_vector(&dev, "c2d_text_1", false);
	open_vector(&dev, "c2d_text_2", false);
	open_vector(&cl, "d2c_text_1", false);
	open_vector(&cl, "d2c_binary_2", true);
	open_vector(&cl, "d2c_text_3_empty", false);
	assert_int_equal(dev.rx_seq, 2);
	assert_int_equal(cl.rx_seq, 3);
	ev_evx_chan_wipe(&cl);
	ev_evx_chan_wipe(&dev);
}

/* ---- channel ---- */

static void
test_round_trip(void **state)
{
	struct ev_evx_chan cl, dev;
	struct ev_envelope e;
	uint8_t bin[300], *pt = NULL;
	struct ev_buf *b = ev_buf_new(EV_MAX_ENVELOPE);
	size_t n = 0;

	(void)state;
	pair(&cl, &dev);
	for (int i = 0; i < 5; i++) {
		seal_env(&cl, false, "{\"version\":\"0.8.8\",\"system\":\"ps\"}", &e);
		open_expect(&dev, &e, false, "{\"version\":\"0.8.8\",\"system\":\"ps\"}");
		ev_envelope_free(&e);
		seal_env(&dev, false, "PID TTY\n1 ?\n", &e);
		open_expect(&cl, &e, false, "PID TTY\n1 ?\n");
		ev_envelope_free(&e);
		seal_env(&dev, true,
		         "\x01\x02"
		         "binary",
		         &e);
		open_expect(&cl, &e, true,
		            "\x01\x02"
		            "binary");
		ev_envelope_free(&e);
		seal_env(&cl, true, "tcpData", &e);
		open_expect(&dev, &e, true, "tcpData");
		ev_envelope_free(&e);
	}
	assert_int_equal(cl.tx_seq, 10);
	assert_int_equal(dev.rx_seq, 10);
	assert_int_equal(dev.tx_seq, 10);
	assert_int_equal(cl.rx_seq, 10);

	/* Binary data with every byte value, and an empty payload. */
	for (size_t i = 0; i < sizeof(bin); i++)
		bin[i] = (uint8_t)i;
	assert_ev_ok(ev_evx_seal(&cl, true, bin, sizeof(bin), b));
	assert_ev_ok(ev_envelope_parse(ev_buf_str(b), ev_buf_len(b), &e));
	assert_ev_ok(ev_evx_open(&dev, &e, true, &pt, &n));
	assert_int_equal(n, sizeof(bin));
	assert_memory_equal(pt, bin, n);
	ev_freezero(pt, n);
	ev_envelope_free(&e);
	ev_buf_reset(b);
	assert_ev_ok(ev_evx_seal(&cl, false, NULL, 0, b));
	assert_ev_ok(ev_envelope_parse(ev_buf_str(b), ev_buf_len(b), &e));
	open_expect(&dev, &e, false, "");
	ev_envelope_free(&e);
	ev_buf_free(b);
	ev_evx_chan_wipe(&cl);
	ev_evx_chan_wipe(&dev);
}

static void
test_sequence_refusals(void **state)
{
	struct ev_evx_chan cl, dev;
	struct ev_envelope f1, f2, f3;

	(void)state;
	pair(&cl, &dev);
	seal_env(&cl, false, "one", &f1);
	seal_env(&cl, false, "two", &f2);
	seal_env(&cl, false, "three", &f3);
	/* Reordered: 2 before 1. */
	assert_ev_err(open_err(&dev, &f2, false), EV_ERR_EVX_SEQ);
	assert_int_equal(dev.rx_seq, 0);
	open_expect(&dev, &f1, false, "one");
	/* Replayed. */
	assert_ev_err(open_err(&dev, &f1, false), EV_ERR_EVX_SEQ);
	/* Skipped (2 dropped). */
	assert_ev_err(open_err(&dev, &f3, false), EV_ERR_EVX_SEQ);
	assert_int_equal(dev.rx_seq, 1);
	/* Refusals do not advance: the right frames still open in order. */
	open_expect(&dev, &f2, false, "two");
	open_expect(&dev, &f3, false, "three");
	assert_ev_err(open_err(&dev, &f3, false), EV_ERR_EVX_SEQ);
	assert_ev_err(open_err(&dev, &f1, false), EV_ERR_EVX_SEQ);
	ev_envelope_free(&f1);
	ev_envelope_free(&f2);
	ev_envelope_free(&f3);
	ev_evx_chan_wipe(&cl);
	ev_evx_chan_wipe(&dev);
}

static void
test_frame_type_swap(void **state)
{
	struct ev_evx_chan cl, dev;
	struct ev_envelope e;

	(void)state;
	pair(&cl, &dev);
	seal_env(&cl, false, "text", &e);
	assert_ev_err(open_err(&dev, &e, true), EV_ERR_ENV_DECRYPT);
	assert_int_equal(dev.rx_seq, 0);
	open_expect(&dev, &e, false, "text");
	ev_envelope_free(&e);
	seal_env(&dev, true, "bin", &e);
	assert_ev_err(open_err(&cl, &e, false), EV_ERR_ENV_DECRYPT);
	open_expect(&cl, &e, true, "bin");
	ev_envelope_free(&e);
	ev_evx_chan_wipe(&cl);
	ev_evx_chan_wipe(&dev);
}

static void
test_bit_flips(void **state)
{
	struct ev_evx_chan cl, dev;
	struct ev_envelope e;
	const char *text = "{\"version\":\"0.8.8\",\"network\":\"ping 8.8.8.8\"}";

	(void)state;
	pair(&cl, &dev);
	seal_env(&cl, false, text, &e);
	/* Every bit of ciphertext and tag. */
	assert_int_equal(e.message.len, strlen(text) + EV_GCM_TAG_LEN);
	for (size_t i = 0; i < e.message.len; i++) {
		for (int bit = 0; bit < 8; bit++) {
			e.message.p[i] ^= (uint8_t)(1u << bit);
			assert_ev_err(open_err(&dev, &e, false), EV_ERR_ENV_DECRYPT);
			e.message.p[i] ^= (uint8_t)(1u << bit);
		}
	}
	/* iv: the prefix must be zero, the seq must be the next one. */
	for (size_t i = 0; i < e.iv.len; i++) {
		e.iv.p[i] ^= 0x80;
		assert_ev_err(open_err(&dev, &e, false), i < 4 ? EV_ERR_EVX_IV : EV_ERR_EVX_SEQ);
		e.iv.p[i] ^= 0x80;
	}
	e.iv.p[11] ^= 1; /* seq 1 -> 0 */
	assert_ev_err(open_err(&dev, &e, false), EV_ERR_EVX_SEQ);
	e.iv.p[11] ^= 1;
	/* Truncated below a tag. */
	{
		size_t keep = e.message.len;

		e.message.len = EV_GCM_TAG_LEN - 1;
		assert_ev_err(open_err(&dev, &e, false), EV_ERR_TRUNCATED);
		e.message.len = EV_GCM_TAG_LEN;
		assert_ev_err(open_err(&dev, &e, false), EV_ERR_ENV_DECRYPT);
		e.message.len = keep - 1;
		assert_ev_err(open_err(&dev, &e, false), EV_ERR_ENV_DECRYPT);
		e.message.len = keep;
	}
	assert_int_equal(dev.rx_seq, 0);
	open_expect(&dev, &e, false, text);
	ev_envelope_free(&e);
	ev_evx_chan_wipe(&cl);
	ev_evx_chan_wipe(&dev);
}

static void
test_reflection(void **state)
{
	struct ev_evx_chan cl, dev;
	struct ev_envelope e, f;

	(void)state;
	pair(&cl, &dev);
	/* Each side's own frame sent back to it, at the seq it expects next. */
	seal_env(&cl, false, "+++Done+++", &e);
	seal_env(&dev, false, "output", &f);
	assert_ev_err(open_err(&cl, &e, false), EV_ERR_ENV_DECRYPT);
	assert_ev_err(open_err(&dev, &f, false), EV_ERR_ENV_DECRYPT);
	open_expect(&dev, &e, false, "+++Done+++");
	open_expect(&cl, &f, false, "output");
	ev_envelope_free(&e);
	ev_envelope_free(&f);
	ev_evx_chan_wipe(&cl);
	ev_evx_chan_wipe(&dev);
}

static void
test_wrong_token(void **state)
{
	struct ev_evx_chan cl, dev;
	struct ev_envelope e;

	(void)state;
	/* Same key claim, another JWT: another salt. */
	assert_ev_ok(ev_evx_chan_init(&cl, true, JWT1, strlen(JWT1), (const uint8_t *)KEY,
	                              strlen(KEY), SESS, CN, DN));
	assert_ev_ok(ev_evx_chan_init(&dev, false, JWT2, strlen(JWT2), (const uint8_t *)KEY,
	                              strlen(KEY), SESS, CN, DN));
	seal_env(&cl, false, "cmd", &e);
	assert_ev_err(open_err(&dev, &e, false), EV_ERR_ENV_DECRYPT);
	ev_envelope_free(&e);
	/* Same JWT string, another key. */
	assert_ev_ok(ev_evx_chan_init(&dev, false, JWT1, strlen(JWT1),
	                              (const uint8_t *)"Yq7Hd2Vx9BnM4cKe", 16, SESS, CN, DN));
	cl.tx_seq = 0;
	seal_env(&cl, false, "cmd", &e);
	assert_ev_err(open_err(&dev, &e, false), EV_ERR_ENV_DECRYPT);
	ev_envelope_free(&e);
	ev_evx_chan_wipe(&cl);
	ev_evx_chan_wipe(&dev);
}

static void
test_keys_differ(void **state)
{
	static const char *ids[] = {SESS, CN, DN, "AAAAAAAAAAAAAAAAAAAAAA"};
	struct ev_evx_chan base, c;

	(void)state;
	assert_ev_ok(ev_evx_chan_init(&base, true, JWT1, strlen(JWT1), (const uint8_t *)KEY,
	                              strlen(KEY), SESS, CN, DN));
	assert_memory_not_equal(base.tx_key, base.rx_key, 32);
	/* Changing any one of session, client nonce, device nonce changes both keys. */
	for (int which = 0; which < 3; which++) {
		const char *s = which == 0 ? ids[3] : SESS;
		const char *cn = which == 1 ? ids[3] : CN;
		const char *dn = which == 2 ? ids[3] : DN;

		assert_ev_ok(ev_evx_chan_init(&c, true, JWT1, strlen(JWT1), (const uint8_t *)KEY,
		                              strlen(KEY), s, cn, dn));
		assert_memory_not_equal(c.tx_key, base.tx_key, 32);
		assert_memory_not_equal(c.rx_key, base.rx_key, 32);
	}
	/* Swapping the nonces is another channel too. */
	assert_ev_ok(ev_evx_chan_init(&c, true, JWT1, strlen(JWT1), (const uint8_t *)KEY,
	                              strlen(KEY), SESS, DN, CN));
	assert_memory_not_equal(c.tx_key, base.tx_key, 32);
	/* Same inputs, same keys. */
	assert_ev_ok(ev_evx_chan_init(&c, true, JWT1, strlen(JWT1), (const uint8_t *)KEY,
	                              strlen(KEY), SESS, CN, DN));
	assert_memory_equal(c.tx_key, base.tx_key, 32);
	ev_evx_chan_wipe(&c);
	ev_evx_chan_wipe(&base);
}

static void
test_chan_init_refusals(void **state)
{
	struct ev_evx_chan c;
	char *longjwt;

	(void)state;
	assert_ev_err(ev_evx_chan_init(&c, true, JWT1, strlen(JWT1), (const uint8_t *)KEY,
	                               strlen(KEY), "bad", CN, DN),
	              EV_ERR_EVX_ID);
	assert_false(ev_evx_chan_ready(&c));
	assert_ev_err(ev_evx_chan_init(&c, true, JWT1, strlen(JWT1), (const uint8_t *)KEY,
	                               strlen(KEY), SESS, CN, "8PHy8_T19vf4-fr7_P3-_x"),
	              EV_ERR_EVX_ID);
	assert_ev_err(ev_evx_chan_init(&c, true, JWT1, strlen(JWT1), (const uint8_t *)"", 0, SESS,
	                               CN, DN),
	              EV_ERR_INVALID_ARG);
	assert_ev_err(
	        ev_evx_chan_init(&c, true, "", 0, (const uint8_t *)KEY, strlen(KEY), SESS, CN, DN),
	        EV_ERR_INVALID_ARG);
	longjwt = calloc(1, EV_MAX_JWT + 2);
	assert_non_null(longjwt);
	memset(longjwt, 'a', EV_MAX_JWT + 1);
	assert_ev_err(ev_evx_chan_init(&c, true, longjwt, EV_MAX_JWT + 1, (const uint8_t *)KEY,
	                               strlen(KEY), SESS, CN, DN),
	              EV_ERR_TOO_BIG);
	free(longjwt);
	/* A ready channel that fails to re-init is not ready any more. */
	assert_ev_ok(ev_evx_chan_init(&c, true, JWT1, strlen(JWT1), (const uint8_t *)KEY,
	                              strlen(KEY), SESS, CN, DN));
	assert_ev_err(ev_evx_chan_init(&c, true, JWT1, strlen(JWT1), (const uint8_t *)KEY,
	                               strlen(KEY), SESS, CN, NULL),
	              EV_ERR_EVX_ID);
	assert_false(ev_evx_chan_ready(&c));
}

/* A data envelope built by hand from a real one with one field changed. */
static int
open_modified(struct ev_evx_chan *dev, const struct ev_envelope *src, const uint8_t *hash,
              const uint8_t *sig, size_t siglen, const uint8_t *iv, size_t ivlen,
              const char *cipher)
{
	struct ev_buf *b = ev_buf_new(EV_MAX_ENVELOPE);
	struct ev_envelope e;
	int r;

	assert_ev_ok(ev_envelope_seal_fields(src->message.p, src->message.len, hash, sig, siglen,
	                                     iv, ivlen, cipher, b));
	assert_ev_ok(ev_envelope_parse(ev_buf_str(b), ev_buf_len(b), &e));
	r = open_err(dev, &e, false);
	ev_envelope_free(&e);
	ev_buf_free(b);
	return r;
}

static void
test_field_refusals(void **state)
{
	static const uint8_t zero32[32];
	uint8_t one32[32] = {0}, iv16[16] = {0};
	struct ev_evx_chan cl, dev, none;
	struct ev_envelope e;
	struct ev_buf *b = ev_buf_new(4096);
	const char *c = EV_EVX_CIPHER_DATA;

	(void)state;
	pair(&cl, &dev);
	seal_env(&cl, false, "cmd", &e);
	one32[31] = 1;
	assert_ev_ok(open_modified(&dev, &e, zero32, NULL, 0, e.iv.p, e.iv.len, c));
	dev.rx_seq = 0;
	assert_ev_err(open_modified(&dev, &e, one32, NULL, 0, e.iv.p, e.iv.len, c),
	              EV_ERR_EVX_FIELDS);
	assert_ev_err(open_modified(&dev, &e, zero32, (const uint8_t *)"s", 1, e.iv.p, e.iv.len, c),
	              EV_ERR_EVX_FIELDS);
	assert_ev_err(open_modified(&dev, &e, zero32, NULL, 0, e.iv.p, e.iv.len, "AES-GCM"),
	              EV_ERR_EVX_CIPHER);
	assert_ev_err(open_modified(&dev, &e, zero32, NULL, 0, e.iv.p, e.iv.len, "EVX1-HELLO"),
	              EV_ERR_EVX_CIPHER);
	assert_ev_err(open_modified(&dev, &e, zero32, NULL, 0, e.iv.p, e.iv.len, NULL),
	              EV_ERR_EVX_CIPHER);
	assert_ev_err(open_modified(&dev, &e, zero32, NULL, 0, NULL, 0, c), EV_ERR_EVX_IV);
	memcpy(iv16 + 4, e.iv.p, 12);
	assert_ev_err(open_modified(&dev, &e, zero32, NULL, 0, iv16, 16, c), EV_ERR_EVX_IV);
	assert_ev_err(open_modified(&dev, &e, zero32, NULL, 0, e.iv.p, 11, c), EV_ERR_EVX_IV);
	assert_int_equal(dev.rx_seq, 0);

	/* No channel: before init and after wipe, both ways. */
	memset(&none, 0, sizeof(none));
	assert_ev_err(open_err(&none, &e, false), EV_ERR_EVX_NO_CHANNEL);
	assert_ev_err(ev_evx_seal(&none, false, (const uint8_t *)"x", 1, b), EV_ERR_EVX_NO_CHANNEL);
	ev_evx_chan_wipe(&dev);
	assert_ev_err(open_err(&dev, &e, false), EV_ERR_EVX_NO_CHANNEL);
	assert_int_equal(ev_buf_len(b), 0);
	ev_envelope_free(&e);
	ev_buf_free(b);
	ev_evx_chan_wipe(&cl);
}

static void
test_seq_exhausted(void **state)
{
	struct ev_evx_chan cl, dev;
	struct ev_envelope e;
	struct ev_buf *b = ev_buf_new(4096);

	(void)state;
	pair(&cl, &dev);
	cl.tx_seq = UINT64_MAX - 1;
	dev.rx_seq = UINT64_MAX - 1;
	seal_env(&cl, false, "last", &e);
	assert_true(e.iv.p[4] == 0xff && e.iv.p[11] == 0xff);
	open_expect(&dev, &e, false, "last");
	assert_ev_err(open_err(&dev, &e, false), EV_ERR_EVX_EXHAUSTED);
	assert_ev_err(ev_evx_seal(&cl, false, (const uint8_t *)"x", 1, b), EV_ERR_EVX_EXHAUSTED);
	assert_int_equal(ev_buf_len(b), 0);
	ev_envelope_free(&e);
	ev_buf_free(b);
	ev_evx_chan_wipe(&cl);
	ev_evx_chan_wipe(&dev);
}

static void
test_sizes(void **state)
{
	struct ev_evx_chan cl, dev;
	struct ev_envelope e;
	struct ev_buf *b = ev_buf_new(EV_MAX_ENVELOPE), *small = ev_buf_new(64);
	uint8_t *big, *pt = NULL;
	size_t n = 0;

	(void)state;
	pair(&cl, &dev);
	big = calloc(1, EV_MAX_EVX_PLAINTEXT + 1);
	assert_non_null(big);
	big[0] = 'A';
	big[EV_MAX_EVX_PLAINTEXT - 1] = 'Z';
	assert_ev_err(ev_evx_seal(&cl, true, big, EV_MAX_EVX_PLAINTEXT + 1, b), EV_ERR_TOO_BIG);
	assert_int_equal(cl.tx_seq, 0);
	/* Too small an output buffer: nothing appended, seq not used. */
	assert_ev_ok(ev_buf_put_str(small, "prefix"));
	assert_ev_err(ev_evx_seal(&cl, false, (const uint8_t *)"hello", 5, small), EV_ERR_BUF_FULL);
	assert_string_equal(ev_buf_str(small), "prefix");
	assert_int_equal(cl.tx_seq, 0);
	/* The largest plaintext still makes an envelope the peer can parse. */
	assert_ev_ok(ev_evx_seal(&cl, true, big, EV_MAX_EVX_PLAINTEXT, b));
	assert_true(ev_buf_len(b) <= EV_MAX_ENVELOPE);
	assert_ev_ok(ev_envelope_parse(ev_buf_str(b), ev_buf_len(b), &e));
	assert_ev_ok(ev_evx_open(&dev, &e, true, &pt, &n));
	assert_int_equal(n, EV_MAX_EVX_PLAINTEXT);
	assert_memory_equal(pt, big, n);
	ev_freezero(pt, n);
	ev_envelope_free(&e);
	free(big);
	ev_buf_free(b);
	ev_buf_free(small);
	ev_evx_chan_wipe(&cl);
	ev_evx_chan_wipe(&dev);
}

static void
test_seal_fields(void **state)
{
	static const uint8_t iv0[12];
	struct ev_buf *b = ev_buf_new(4096), *small = ev_buf_new(40);
	uint8_t *mac;
	size_t n;

	(void)state;
	/* Without iv and cipher it is exactly the HMAC envelope (Go omitempty). */
	mac = tv_hex("done_hmac_hex", &n);
	assert_ev_ok(ev_envelope_seal_fields((const uint8_t *)"+++Done+++", 10, mac, NULL, 0, NULL,
	                                     0, NULL, b));
	assert_string_equal(ev_buf_str(b), tv_str("env_hmac_done"));
	ev_buf_reset(b);
	assert_ev_ok(ev_envelope_seal_fields((const uint8_t *)"+++Done+++", 10, mac, NULL, 0, iv0,
	                                     0, "", b));
	assert_string_equal(ev_buf_str(b), tv_str("env_hmac_done"));
	ev_buf_reset(b);
	assert_ev_ok(ev_envelope_seal_fields(NULL, 0, mac, (const uint8_t *)"\xff", 1, iv0, 3,
	                                     "a\"<", b));
	assert_string_equal(ev_buf_str(b),
	                    "{\"message\":\"\",\"sha256Hash\":[144,87,237,182,226,100,61,162,51,"
	                    "191,142,240,254,162,67,99,247,213,135,28,85,39,192,233,50,84,191,244,"
	                    "34,104,126,112],\"Signature\":\"/w==\",\"iv\":\"AAAA\",\"cipher\":"
	                    "\"a\\\"\\u003c\"}");
	/* A failed seal leaves the buffer as it was. */
	assert_ev_ok(ev_buf_put_str(small, "ab"));
	assert_ev_err(ev_envelope_seal_fields((const uint8_t *)"+++Done+++", 10, mac, NULL, 0, NULL,
	                                      0, NULL, small),
	              EV_ERR_BUF_FULL);
	assert_string_equal(ev_buf_str(small), "ab");
	free(mac);
	ev_buf_free(b);
	ev_buf_free(small);
}

static int
teardown(void **state)
{
	(void)state;
	json_decref(evx_vectors);
	evx_vectors = NULL;
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_ids),
	        cmocka_unit_test(test_hello_vectors),
	        cmocka_unit_test(test_hello_round_trip),
	        cmocka_unit_test(test_hello_refusals),
	        cmocka_unit_test(test_keys_vector),
	        cmocka_unit_test(test_frame_vectors),
	        cmocka_unit_test(test_round_trip),
	        cmocka_unit_test(test_sequence_refusals),
	        cmocka_unit_test(test_frame_type_swap),
	        cmocka_unit_test(test_bit_flips),
	        cmocka_unit_test(test_reflection),
	        cmocka_unit_test(test_wrong_token),
	        cmocka_unit_test(test_keys_differ),
	        cmocka_unit_test(test_chan_init_refusals),
	        cmocka_unit_test(test_field_refusals),
	        cmocka_unit_test(test_seq_exhausted),
	        cmocka_unit_test(test_sizes),
	        cmocka_unit_test(test_seal_fields),
	};

	return cmocka_run_group_tests(tests, NULL, teardown);
}
