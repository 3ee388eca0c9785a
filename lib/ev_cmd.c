/* ev_cmd.c - the cmdOpt command message. */
#include "ev_cmd.h"

#include <string.h>

#include "ev_codec.h"
#include "ev_err.h"
#include "ev_json.h"
#include "ev_limits.h"
#include "ev_mem.h"

/*
 * X(JSON key, member, type, omitempty) in Go's marshal order.  This list is
 * the only place that knows the keys: an extension key is one line here
 * plus its member in struct ev_cmd, and encode, decode and free follow.
 */
#define EV_CMD_FIELDS(X)                                     \
	X("version", version, EV_JSON_STRING, 0)             \
	X("clientEPAddr", client_ep_addr, EV_JSON_STRING, 0) \
	X("network", network, EV_JSON_STRING, 0)             \
	X("system", system, EV_JSON_STRING, 0)               \
	X("pubsub", pubsub, EV_JSON_STRING, 0)               \
	X("logopt", logopt, EV_JSON_STRING, 0)               \
	X("timerange", timerange, EV_JSON_STRING, 0)         \
	X("isJSON", is_json, EV_JSON_BOOL, 0)                \
	X("extraline", extraline, EV_JSON_I64, 0)            \
	X("logtype", logtype, EV_JSON_STRING, 0)             \
	X("userinfo", userinfo, EV_JSON_STRING, 0)           \
	X("appUUID", app_uuid, EV_JSON_STRING, 1)            \
	X("evx", evx, EV_JSON_I64, 1)                        \
	X("evxDevice", evx_device, EV_JSON_STRING, 1)        \
	X("evxToken", evx_token, EV_JSON_STRING, 1)          \
	X("evxSession", evx_session, EV_JSON_STRING, 1)      \
	X("evxSeq", evx_seq, EV_JSON_I64, 1)                 \
	X("evxTime", evx_time, EV_JSON_I64, 1)

#define CMD_FIELD_(key, member, type, omit)          \
	{key, type, offsetof(struct ev_cmd, member), \
	 (type) == EV_JSON_STRING ? EV_MAX_CMD_FIELD : 0, 0},
static const struct ev_json_field cmd_fields[] = {EV_CMD_FIELDS(CMD_FIELD_)};
#undef CMD_FIELD_

#define CMD_INDEX_(key, member, type, omit) CMD_IDX_##member,
enum { EV_CMD_FIELDS(CMD_INDEX_) CMD_NFIELDS };
#undef CMD_INDEX_

#define CMD_OMIT_(key, member, type, omit) | ((uint32_t)(omit) << CMD_IDX_##member)
static const uint32_t cmd_omitempty = 0 EV_CMD_FIELDS(CMD_OMIT_);
#undef CMD_OMIT_

_Static_assert(CMD_NFIELDS == EV_ARRAY_LEN(cmd_fields), "cmd field table");
_Static_assert(CMD_NFIELDS <= 32, "omitempty mask holds 32 fields");

int
ev_cmd_encode(const struct ev_cmd *c, struct ev_buf *out)
{
	if (c == NULL)
		return EV_ERR_INVALID_ARG;
	return ev_codec_encode(out, cmd_fields, EV_ARRAY_LEN(cmd_fields), cmd_omitempty, c,
	                       EV_MAX_CMD_JSON);
}

int
ev_cmd_decode(const char *json, size_t len, struct ev_cmd *out)
{
	struct ev_cmd c;
	int r;

	if (out == NULL)
		return EV_ERR_INVALID_ARG;
	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	if ((r = ev_codec_decode(json, len, EV_MAX_CMD_JSON, cmd_fields, EV_ARRAY_LEN(cmd_fields),
	                         &c)) != 0)
		goto out;
	*out = c;
	memset(&c, 0, sizeof(c));
	r = 0;
out:
	ev_cmd_free(&c);
	return r;
}

void
ev_cmd_free(struct ev_cmd *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < EV_ARRAY_LEN(cmd_fields); i++) {
		if (cmd_fields[i].type == EV_JSON_STRING) {
			void *p = (uint8_t *)c + cmd_fields[i].offset;
			char **sp = p;

			ev_strfreezero(*sp);
		}
	}
	ev_memzero(c, sizeof(*c));
}

bool
ev_cmd_has_evx(const struct ev_cmd *c)
{
	return c != NULL && (c->evx != 0 || c->evx_device != NULL || c->evx_token != NULL ||
	                     c->evx_session != NULL || c->evx_seq != 0 || c->evx_time != 0);
}

const char *
ev_cmd_kind(const struct ev_cmd *c)
{
	if (c == NULL)
		return "";
	if (c->network != NULL && *c->network != '\0')
		return "network";
	if (c->pubsub != NULL && *c->pubsub != '\0')
		return "pubsub";
	if (c->system != NULL && *c->system != '\0')
		return "system";
	if (c->logopt != NULL && *c->logopt != '\0')
		return "logopt";
	return "";
}
