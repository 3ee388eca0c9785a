/*
 * input.c - where interactive mode gets its lines: libedit (line editing,
 * history in ~/.edgeview_history, completion of query names) when stdin is
 * a terminal, plain lines from stdin otherwise.  Both are driven by the
 * session's libev loop, so the websocket keeps being served (pings, a
 * device leaving) while the engineer types.
 */
#include <editline/readline.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "ev_limits.h"
#include "ev_query.h"

#define INPUT_PROMPT        "edgeview> "
#define INPUT_HISTORY_FILE  ".edgeview_history"
#define INPUT_HISTORY_LINES 1000
/* A line longer than this is refused (the query itself is capped lower). */
#define INPUT_LINE_MAX (EV_MAX_CMD_FIELD + 1024)

struct client_input {
	struct ev_loop *loop;
	bool tty, reading, eof, installed;
	client_line_fn on_line;
	void *arg;
	ev_io io;
	ev_timer deliver; /* hands buffered lines over from the loop, not recursively */
	char *buf;        /* non-tty: bytes read, not yet handed over */
	size_t len;
	bool skipping; /* non-tty: inside an over-long line */
	char *history;
};

/* libedit's callback interface has one global handler. */
static struct client_input *the_input;

/* ---- completion ---- */

static const char *const words_extra[] = {"pub/", "log/", "help", "exit", "quit", NULL};

static char *
complete_word(const char *text, int state)
{
	static size_t list, idx;
	static const char *const *lists[] = {ev_query_network_list, ev_query_system_list,
	                                     words_extra, ev_query_pubsub_list};
	size_t tl = strlen(text);
	bool pub = strncmp(text, "pub/", 4) == 0;

	if (state == 0) {
		list = pub ? 3 : 0;
		idx = 0;
	}
	for (; list < (pub ? 4u : 3u); list++, idx = 0) {
		for (; lists[list][idx] != NULL; idx++) {
			const char *w = lists[list][idx];
			char *m;

			if (pub) {
				/* pub/<agent>: complete the agent after the prefix */
				if (strncmp(w, text + 4, tl - 4) != 0)
					continue;
				idx++;
				if ((m = malloc(strlen(w) + 5)) == NULL)
					return NULL;
				memcpy(m, "pub/", 4);
				memcpy(m + 4, w, strlen(w) + 1);
				return m;
			}
			if (strncmp(w, text, tl) == 0) {
				idx++;
				return strdup(w);
			}
		}
	}
	return NULL;
}

static char **
complete(const char *text, int start, int end)
{
	(void)end;
	rl_attempted_completion_over = 1;
	/* Only the first word is a query name; options and values are free. */
	if (start != 0)
		return NULL;
	return rl_completion_matches(text, complete_word);
}

/* ---- terminal ---- */

static void
tty_line(char *line)
{
	struct client_input *in = the_input;

	rl_callback_handler_remove();
	in->installed = false;
	ev_io_stop(in->loop, &in->io);
	in->reading = false;
	if (line == NULL) {
		fputc('\n', stdout);
		in->eof = true;
		in->on_line(in->arg, NULL);
		return;
	}
	if (line[strspn(line, " \t")] != '\0')
		add_history(line);
	in->on_line(in->arg, line);
	free(line);
}

static void
on_tty(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	rl_callback_read_char();
}

/* ---- plain lines ---- */

/* Hand over one complete buffered line, or the end; true if something was. */
static bool
deliver_one(struct client_input *in)
{
	char *nl = in->len > 0 ? memchr(in->buf, '\n', in->len) : NULL;
	size_t n;

	if (nl == NULL) {
		if (!in->eof)
			return false;
		if (in->len > 0) {
			/* a last line without its newline */
			nl = in->buf + in->len;
		} else {
			in->reading = false;
			in->on_line(in->arg, NULL);
			return true;
		}
	}
	n = (size_t)(nl - in->buf);
	in->buf[n] = '\0';
	if (n > 0 && in->buf[n - 1] == '\r')
		in->buf[n - 1] = '\0';
	{
		char *line = strdup(in->buf);
		size_t rest = n < in->len ? in->len - n - 1 : 0;

		memmove(in->buf, in->buf + in->len - rest, rest);
		in->len = rest;
		in->reading = false;
		ev_io_stop(in->loop, &in->io);
		if (line == NULL) {
			fprintf(stderr, "edgeview: out of memory\n");
			in->eof = true;
			in->len = 0;
			in->on_line(in->arg, NULL);
			return true;
		}
		in->on_line(in->arg, line);
		free(line);
	}
	return true;
}

static void
on_deliver(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct client_input *in = w->data;

	(void)loop;
	(void)revents;
	if (in->reading && !deliver_one(in) && !in->eof)
		ev_io_start(in->loop, &in->io);
}

static void
on_stdin(struct ev_loop *loop, ev_io *w, int revents)
{
	struct client_input *in = w->data;
	ssize_t n;

	(void)loop;
	(void)revents;
	if (in->len == INPUT_LINE_MAX) {
		/* No newline in a whole buffer: drop that line. */
		fprintf(stderr, "edgeview: input line too long, ignored\n");
		in->len = 0;
		in->skipping = true;
	}
	n = read(STDIN_FILENO, in->buf + in->len, INPUT_LINE_MAX - in->len);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		in->eof = true;
		ev_io_stop(in->loop, &in->io);
	} else {
		size_t old = in->len;
		in->len += (size_t)n;
		if (in->skipping) {
			char *nl = memchr(in->buf + old, '\n', in->len - old);
			if (nl == NULL) {
				in->len = 0;
				return;
			}
			in->skipping = false;
			memmove(in->buf, nl + 1, (size_t)(in->buf + in->len - nl - 1));
			in->len = (size_t)(in->buf + in->len - nl - 1);
		}
	}
	if (in->reading)
		(void)deliver_one(in);
}

/* ---- the interface ---- */

int
client_input_new(struct ev_loop *loop, client_line_fn on_line, void *arg, struct client_input **out)
{
	struct client_input *in;
	const char *home = getenv("HOME");

	*out = NULL;
	if ((in = calloc(1, sizeof(*in))) == NULL)
		return CLIENT_ERR;
	in->loop = loop;
	in->on_line = on_line;
	in->arg = arg;
	in->tty = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
	ev_timer_init(&in->deliver, on_deliver, 0, 0);
	in->deliver.data = in;
	if (in->tty) {
		ev_io_init(&in->io, on_tty, STDIN_FILENO, EV_READ);
		the_input = in;
		rl_readline_name = "edgeview";
		/* Signals stay with the session's libev watchers. */
		rl_catch_signals = 0;
		rl_attempted_completion_function = complete;
		using_history();
		stifle_history(INPUT_HISTORY_LINES);
		if (home != NULL && home[0] != '\0') {
			size_t n = strlen(home) + sizeof(INPUT_HISTORY_FILE) + 1;
			if ((in->history = malloc(n)) != NULL) {
				snprintf(in->history, n, "%s/%s", home, INPUT_HISTORY_FILE);
				(void)read_history(in->history);
			}
		}
	} else {
		ev_io_init(&in->io, on_stdin, STDIN_FILENO, EV_READ);
		if ((in->buf = malloc(INPUT_LINE_MAX + 1)) == NULL) {
			free(in);
			return CLIENT_ERR;
		}
	}
	in->io.data = in;
	*out = in;
	return CLIENT_OK;
}

bool
client_input_is_tty(const struct client_input *in)
{
	return in->tty;
}

void
client_input_prompt(struct client_input *in)
{
	if (in->eof) {
		/* stdin has ended: a queued last line or the end, from the loop */
		in->reading = true;
		ev_timer_start(in->loop, &in->deliver);
		return;
	}
	in->reading = true;
	if (in->tty) {
		fflush(stdout);
		rl_callback_handler_install(INPUT_PROMPT, tty_line);
		in->installed = true;
		ev_io_start(in->loop, &in->io);
		return;
	}
	/* Lines already read go first; the loop calls back. */
	ev_timer_start(in->loop, &in->deliver);
}

void
client_input_pause(struct client_input *in)
{
	in->reading = false;
	ev_io_stop(in->loop, &in->io);
	ev_timer_stop(in->loop, &in->deliver);
	if (in->installed) {
		rl_callback_handler_remove();
		in->installed = false;
	}
}

void
client_input_interrupt(struct client_input *in)
{
	if (!in->tty || !in->installed)
		return;
	/* As shells do: abandon the line, new prompt. */
	rl_replace_line("", 0);
	fputs("^C\n", stdout);
	rl_callback_handler_remove();
	rl_callback_handler_install(INPUT_PROMPT, tty_line);
}

void
client_input_free(struct client_input *in)
{
	if (in == NULL)
		return;
	client_input_pause(in);
	if (in->tty) {
		if (in->history != NULL && write_history(in->history) != 0)
			fprintf(stderr, "edgeview: cannot write %s\n", in->history);
		clear_history();
		the_input = NULL;
	}
	free(in->history);
	free(in->buf);
	free(in);
}
