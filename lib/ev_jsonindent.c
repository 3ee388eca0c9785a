/* ev_jsonindent.c - Go's json.Indent with a 4-space indent, token by token. */
#include "ev_jsonindent.h"

#include <stdbool.h>
#include <stdint.h>

#include "ev_buf.h"
#include "ev_err.h"

enum ji_state {
	JI_VALUE,          /* a value must come */
	JI_VALUE_OR_CLOSE, /* just after '[' */
	JI_KEY_OR_CLOSE,   /* just after '{' */
	JI_KEY,            /* after ',' in an object */
	JI_COLON,          /* after a key */
	JI_AFTER,          /* after a value: ',', a close, or the end */
};

struct ji {
	const char *in;
	size_t len, i;
	struct ev_buf *out;
	size_t depth;
	bool need_indent; /* an open bracket waits to know whether it is empty */
	uint64_t is_obj[EV_JSONINDENT_MAX_DEPTH / 64];
};

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int
newline(struct ji *j, size_t depth)
{
	static const char spaces[] =
	        "                                                                ";
	size_t n = depth * 4;
	int r;

	if ((r = ev_buf_put(j->out, "\n", 1)) != 0)
		return r;
	while (n > 0) {
		size_t k = n < sizeof(spaces) - 1 ? n : sizeof(spaces) - 1;
		if ((r = ev_buf_put(j->out, spaces, k)) != 0)
			return r;
		n -= k;
	}
	return 0;
}

/* Before any token except a close: the deferred line break of '{' / '['. */
static int
pending(struct ji *j)
{
	if (!j->need_indent)
		return 0;
	j->need_indent = false;
	return newline(j, j->depth);
}

/* Length of the string token at in[i] ('"' included), or 0 if invalid. */
static size_t
scan_string(const struct ji *j, size_t i)
{
	size_t s = i++;

	while (i < j->len) {
		unsigned char c = (unsigned char)j->in[i];
		if (c == '"')
			return i + 1 - s;
		if (c < 0x20)
			return 0;
		if (c != '\\') {
			i++;
			continue;
		}
		if (++i >= j->len)
			return 0;
		switch (j->in[i]) {
		case '"':
		case '\\':
		case '/':
		case 'b':
		case 'f':
		case 'n':
		case 'r':
		case 't': i++; break;
		case 'u':
			for (size_t k = 1; k <= 4; k++)
				if (i + k >= j->len || !is_hex(j->in[i + k]))
					return 0;
			i += 5;
			break;
		default: return 0;
		}
	}
	return 0;
}

/* Length of the number at in[i] (Go's grammar), or 0. */
static size_t
scan_number(const struct ji *j, size_t i)
{
	size_t s = i;

	if (i < j->len && j->in[i] == '-')
		i++;
	if (i >= j->len || !is_digit(j->in[i]))
		return 0;
	if (j->in[i] == '0')
		i++;
	else
		while (i < j->len && is_digit(j->in[i]))
			i++;
	if (i < j->len && j->in[i] == '.') {
		if (++i >= j->len || !is_digit(j->in[i]))
			return 0;
		while (i < j->len && is_digit(j->in[i]))
			i++;
	}
	if (i < j->len && (j->in[i] == 'e' || j->in[i] == 'E')) {
		i++;
		if (i < j->len && (j->in[i] == '+' || j->in[i] == '-'))
			i++;
		if (i >= j->len || !is_digit(j->in[i]))
			return 0;
		while (i < j->len && is_digit(j->in[i]))
			i++;
	}
	return i - s;
}

static size_t
scan_literal(const struct ji *j, size_t i)
{
	static const char *const lits[] = {"true", "false", "null"};

	for (size_t k = 0; k < 3; k++) {
		size_t n = 0;
		while (lits[k][n] != '\0' && i + n < j->len && j->in[i + n] == lits[k][n])
			n++;
		if (lits[k][n] == '\0')
			return n;
	}
	return 0;
}

static int
indent_run(struct ji *j)
{
	enum ji_state st = JI_VALUE;
	int r;

	while (j->i < j->len) {
		char c = j->in[j->i];
		size_t n;

		if (is_space(c)) {
			/* Go copies the whitespace after the top-level value. */
			if (st == JI_AFTER && j->depth == 0 && (r = ev_buf_put(j->out, &c, 1)) != 0)
				return r;
			j->i++;
			continue;
		}
		switch (st) {
		case JI_COLON:
			if (c != ':')
				return EV_ERR_JSON_SYNTAX;
			if ((r = ev_buf_put(j->out, ": ", 2)) != 0)
				return r;
			j->i++;
			st = JI_VALUE;
			continue;
		case JI_KEY_OR_CLOSE:
		case JI_KEY:
			if (c == '}' && st == JI_KEY_OR_CLOSE)
				break; /* handled with the closes below */
			if (c != '"' || (n = scan_string(j, j->i)) == 0)
				return EV_ERR_JSON_SYNTAX;
			if ((r = pending(j)) != 0 || (r = ev_buf_put(j->out, j->in + j->i, n)) != 0)
				return r;
			j->i += n;
			st = JI_COLON;
			continue;
		case JI_AFTER:
			if (j->depth == 0)
				return EV_ERR_JSON_SYNTAX; /* a second top-level value */
			if (c == ',') {
				if ((r = ev_buf_put(j->out, ",", 1)) != 0 ||
				    (r = newline(j, j->depth)) != 0)
					return r;
				j->i++;
				st = (j->is_obj[(j->depth - 1) / 64] >> ((j->depth - 1) % 64)) & 1
				             ? JI_KEY
				             : JI_VALUE;
				continue;
			}
			break;
		case JI_VALUE:
		case JI_VALUE_OR_CLOSE:
			if (c == ']' && st == JI_VALUE_OR_CLOSE)
				break;
			if (c == '{' || c == '[') {
				size_t d = j->depth;
				if (d >= EV_JSONINDENT_MAX_DEPTH)
					return EV_ERR_JSON_DEPTH;
				if ((r = pending(j)) != 0 || (r = ev_buf_put(j->out, &c, 1)) != 0)
					return r;
				if (c == '{')
					j->is_obj[d / 64] |= UINT64_C(1) << (d % 64);
				else
					j->is_obj[d / 64] &= ~(UINT64_C(1) << (d % 64));
				j->depth++;
				j->need_indent = true;
				j->i++;
				st = c == '{' ? JI_KEY_OR_CLOSE : JI_VALUE_OR_CLOSE;
				continue;
			}
			if (c == '"')
				n = scan_string(j, j->i);
			else if (c == '-' || is_digit(c))
				n = scan_number(j, j->i);
			else
				n = scan_literal(j, j->i);
			if (n == 0)
				return EV_ERR_JSON_SYNTAX;
			if ((r = pending(j)) != 0 || (r = ev_buf_put(j->out, j->in + j->i, n)) != 0)
				return r;
			j->i += n;
			st = JI_AFTER;
			continue;
		}
		/* A close bracket: it must match the innermost open one. */
		if (j->depth == 0)
			return EV_ERR_JSON_SYNTAX;
		{
			size_t d = j->depth - 1;
			bool obj = (j->is_obj[d / 64] >> (d % 64)) & 1;
			if (c != (obj ? '}' : ']'))
				return EV_ERR_JSON_SYNTAX;
			j->depth--;
			if (j->need_indent)
				j->need_indent = false;
			else if ((r = newline(j, j->depth)) != 0)
				return r;
			if ((r = ev_buf_put(j->out, &c, 1)) != 0)
				return r;
			j->i++;
			st = JI_AFTER;
		}
	}
	return st == JI_AFTER && j->depth == 0 ? 0 : EV_ERR_JSON_SYNTAX;
}

int
ev_json_indent(const char *in, size_t len, struct ev_buf *out)
{
	struct ji j = {0};
	size_t orig;
	int r;

	if (in == NULL || out == NULL)
		return EV_ERR_INVALID_ARG;
	orig = ev_buf_len(out);
	j.in = in;
	j.len = len;
	j.out = out;
	if ((r = indent_run(&j)) != 0 && ev_buf_len(out) > orig &&
	    ev_buf_consume_end(out, ev_buf_len(out) - orig) != 0)
		return EV_ERR_SYSTEM; /* cannot happen: orig <= len */
	return r;
}

int
ev_json_indent_or_raw(const char *in, size_t len, struct ev_buf *out)
{
	int r;

	if ((r = ev_json_indent(in, len, out)) == 0)
		return 0;
	if (in == NULL || out == NULL)
		return EV_ERR_INVALID_ARG;
	return ev_buf_put(out, in, len);
}
