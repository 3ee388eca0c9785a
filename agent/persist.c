/*
 * persist.c - what eve-agent keeps across restarts (device-api 2.1, 9.1):
 * the UUID, the controller certificates and the last config as received
 * (checkpoints, re-verified when loaded), and a small state file with the
 * last accepted config timestamp and the clock floor.  Every file is
 * written atomically (temp file, fsync, rename, directory fsync).
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "ev_err.h"
#include "ev_file.h"
#include "ev_log.h"

#define STATE_FILE     "/persist/agent/state.json"
#define UUID_FILE      "/persist/status/uuid"
#define CHECKPOINT_DIR "/persist/checkpoint"
#define MAX_STATE_FILE 4096u
#define MAX_CHECKPOINT AGENT_MAX_CONFIG_RESP
/* No clock is believed before this (2026-01-01): device-api 9.3's floor
 * starts at the build, not at 1970. */
#define AGENT_EPOCH_FLOOR 1767225600

int
agent_persist_path(const struct agent *a, const char *rel, char *out, size_t cap)
{
	return ev_path_join(out, cap, a->root, rel);
}

time_t
agent_now(struct agent *a)
{
	time_t now = time(NULL);

	if (a->floor < AGENT_EPOCH_FLOOR)
		a->floor = AGENT_EPOCH_FLOOR;
	if (now < a->floor) {
		static time_t warned;
		if (warned != a->floor) {
			ev_log_warn("the clock says %lld, before what this device has already seen "
			            "(%lld): using the latter until it is set",
			            (long long)now, (long long)a->floor);
			warned = a->floor;
		}
		return a->floor;
	}
	return now;
}

int
agent_load_state(struct agent *a)
{
	char path[4200], *text = NULL;
	size_t len = 0;
	json_t *doc = NULL;
	json_error_t jerr;
	int r;

	a->floor = AGENT_EPOCH_FLOOR;
	if ((r = agent_persist_path(a, UUID_FILE, path, sizeof(path))) != 0)
		return r;
	if ((r = ev_file_read_capped(path, sizeof(a->uuid), &text, &len)) == 0) {
		while (len > 0 &&
		       (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' '))
			len--;
		memcpy(a->uuid, text, len);
		a->uuid[len] = '\0';
		free(text);
		text = NULL;
	} else if (r != EV_ERR_NOT_FOUND) {
		ev_log_warn_r(r, "%s", path);
	}
	if ((r = agent_persist_path(a, STATE_FILE, path, sizeof(path))) != 0)
		return r;
	if ((r = ev_file_read_capped(path, MAX_STATE_FILE, &text, &len)) != 0)
		return r == EV_ERR_NOT_FOUND ? 0 : r;
	if ((doc = json_loadb(text, len, 0, &jerr)) == NULL || !json_is_object(doc)) {
		ev_log_warn("%s is not valid (%s): starting afresh", path, jerr.text);
		r = 0;
		goto out;
	}
	a->config_ts_sec = json_integer_value(json_object_get(doc, "config_ts_sec"));
	a->config_ts_nsec = json_integer_value(json_object_get(doc, "config_ts_nsec"));
	{
		json_int_t f = json_integer_value(json_object_get(doc, "clock_floor"));
		if (f > a->floor)
			a->floor = (time_t)f;
	}
	if (a->config_ts_sec > a->floor)
		a->floor = (time_t)a->config_ts_sec;
	{
		const char *k = json_string_value(json_object_get(doc, "edgeview_final"));
		snprintf(a->ev_final_key, sizeof(a->ev_final_key), "%s", k != NULL ? k : "");
	}
	r = 0;
out:
	json_decref(doc);
	free(text);
	return r;
}

int
agent_save_state(struct agent *a)
{
	char path[4200], *text = NULL;
	json_t *doc;
	time_t now = time(NULL);
	int r;

	/* The floor only moves forward, and only with a clock that is past it. */
	if (now > a->floor)
		a->floor = now;
	if ((r = agent_persist_path(a, STATE_FILE, path, sizeof(path))) != 0)
		return r;
	doc = json_pack("{s:I, s:I, s:I, s:s}", "config_ts_sec", (json_int_t)a->config_ts_sec,
	                "config_ts_nsec", (json_int_t)a->config_ts_nsec, "clock_floor",
	                (json_int_t)a->floor, "edgeview_final", a->ev_final_key);
	if (doc == NULL || (text = json_dumps(doc, JSON_COMPACT)) == NULL) {
		r = EV_ERR_NOMEM;
		goto out;
	}
	if ((r = ev_dir_ensure_parent(path, 0700)) == 0)
		r = ev_file_write_atomic(path, text, strlen(text), 0600, "state");
	if (r != 0)
		ev_log_warn_r(r, "%s", path);
out:
	free(text);
	json_decref(doc);
	return r;
}

int
agent_save_uuid(struct agent *a)
{
	char path[4200], line[80];
	int r, n;

	if ((r = agent_persist_path(a, UUID_FILE, path, sizeof(path))) != 0)
		return r;
	n = snprintf(line, sizeof(line), "%s\n", a->uuid);
	if ((r = ev_dir_ensure_parent(path, 0700)) == 0)
		r = ev_file_write_atomic(path, line, (size_t)n, 0644, "uuid");
	if (r != 0)
		ev_log_err_r(r, "%s", path);
	return r;
}

static int
checkpoint_path(const struct agent *a, const char *name, bool bak, char *out, size_t cap)
{
	if ((size_t)snprintf(out, cap, "%s%s/%s%s", a->root, CHECKPOINT_DIR, name,
	                     bak ? ".bak" : "") >= cap)
		return EV_ERR_TOO_BIG;
	return 0;
}

int
agent_checkpoint_write(struct agent *a, const char *name, const uint8_t *data, size_t len)
{
	char path[4200], bak[4200];
	int r;

	if ((r = checkpoint_path(a, name, false, path, sizeof(path))) != 0 ||
	    (r = checkpoint_path(a, name, true, bak, sizeof(bak))) != 0 ||
	    (r = ev_dir_ensure_parent(path, 0700)) != 0)
		goto out;
	/* The previous copy becomes the fallback (EVE: the first save makes
	 * .bak too, so there always is one). */
	if (rename(path, bak) != 0 && errno != ENOENT) {
		r = EV_ERR_SYSTEM;
		goto out;
	}
	if ((r = ev_file_write_atomic(path, data, len, 0600, name)) != 0)
		goto out;
	if (access(bak, F_OK) != 0)
		r = ev_file_write_atomic(bak, data, len, 0600, name);
out:
	if (r != 0)
		ev_log_warn_r(r, "checkpoint %s", name);
	return r;
}

int
agent_checkpoint_read(struct agent *a, const char *name, bool bak, uint8_t **data, size_t *len)
{
	char path[4200], *text = NULL;
	int r;

	*data = NULL;
	*len = 0;
	if ((r = checkpoint_path(a, name, bak, path, sizeof(path))) != 0)
		return r;
	if ((r = ev_file_read_capped(path, MAX_CHECKPOINT, &text, len)) != 0)
		return r;
	*data = (uint8_t *)text;
	return 0;
}
