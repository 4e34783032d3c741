/*
 * sink.c - the dashboard as a sink (sink.h): sink_tui_new opens it, and the
 * callbacks the capture thread makes (session, alert, tick, finish) only
 * update the model under the lock and bump the generation the UI thread
 * watches, which is cheap; wait and free give the terminal back.
 *
 * The rest of the dashboard is in the files next to this one: see
 * dashboard.h for which does what and how the two threads share the work.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dashboard.h"
#include "sink.h"

static void
tui_session(struct sink *k, const struct session *s)
{
	struct tui *t = k->priv;

	pthread_mutex_lock(&t->lock);
	tui_model_add_session(t->m, s);
	t->gen++;
	pthread_mutex_unlock(&t->lock);
}

static void
tui_session_open(struct sink *k, const struct session *s)
{
	struct tui *t = k->priv;

	pthread_mutex_lock(&t->lock);
	tui_model_open_session(t->m, s);
	t->gen++;
	pthread_mutex_unlock(&t->lock);
}

static void
tui_alert(struct sink *k, const struct alert *a)
{
	struct tui *t = k->priv;

	pthread_mutex_lock(&t->lock);
	tui_model_add_alert(t->m, a);
	t->gen++;
	pthread_mutex_unlock(&t->lock);
}

static void
tui_tick(struct sink *k, const struct stats *st, size_t open_flows)
{
	struct tui *t = k->priv;

	pthread_mutex_lock(&t->lock);
	tui_model_set_stats(t->m, st, open_flows, tui_now_us());
	t->gen++;
	pthread_mutex_unlock(&t->lock);
}

static void
tui_finish(struct sink *k, struct summary *sum, const struct stats *st)
{
	struct tui *t = k->priv;
	uint64_t now = tui_now_us();

	(void)sum; /* the model keeps its own, counted from the same sessions */
	pthread_mutex_lock(&t->lock);
	tui_model_set_stats(t->m, st, 0, now);
	tui_model_set_done(t->m, now);
	t->gen++;
	pthread_mutex_unlock(&t->lock);
}

static void
tui_wait(struct sink *k, volatile sig_atomic_t *stop)
{
	struct tui *t = k->priv;

	while (t->running && !atomic_load(&t->quit) && !atomic_load(&t->ui_ended) &&
	       !(stop && *stop)) {
		struct timespec ts = {0, 50 * 1000000L};

		nanosleep(&ts, NULL); /* a signal cuts it short */
	}
	tui_screen_close(t);
}

static bool
tui_quit_requested(struct sink *k)
{
	struct tui *t = k->priv;

	return atomic_load(&t->quit);
}

static void
tui_free(struct sink *k)
{
	struct tui *t = k->priv;

	tui_screen_close(t);
	pthread_mutex_destroy(&t->lock);
	tui_model_free(t->m);
	tui_text_free(&t->snap.detail);
	free(t->snap.ports);
	free(t->snap.rows);
	free(t->snap.alerts);
	free(t->snap.servers);
	free(t);
	free(k);
}

void
sink_tui_set_cluster(struct sink *k, const char *source, const char *status)
{
	struct tui *t = k->priv;

	pthread_mutex_lock(&t->lock);
	t->cluster = true;
	snprintf(t->cluster_source, sizeof(t->cluster_source), "%s", source ? source : "");
	snprintf(t->cluster_status, sizeof(t->cluster_status), "%s", status ? status : "");
	t->gen++;
	pthread_mutex_unlock(&t->lock);
}

void
sink_tui_set_origin(struct sink *k, const char *sensor, uint64_t sensor_id)
{
	struct tui *t = k->priv;

	pthread_mutex_lock(&t->lock);
	tui_model_set_origin(t->m, sensor, sensor_id);
	pthread_mutex_unlock(&t->lock);
}

int
sink_tui_set_summary(struct sink *k, const struct summary_row *ports, size_t n_ports,
		     const struct summary_row *servers, size_t n_servers)
{
	struct tui *t = k->priv;
	int rc;

	pthread_mutex_lock(&t->lock);
	rc = tui_model_set_summary(t->m, ports, n_ports, servers, n_servers);
	t->gen++;
	pthread_mutex_unlock(&t->lock);
	return rc;
}

struct sink *
sink_tui_new(const char *source, bool live, double replay_speed, size_t max_rows, char *err,
	     size_t errsz)
{
	struct sink *k = calloc(1, sizeof(*k));
	struct tui *t = calloc(1, sizeof(*t));

	if (!k || !t) {
		snprintf(err, errsz, "out of memory");
		goto fail;
	}
	if (!max_rows)
		max_rows = TUI_MAX_ROWS_DEFAULT;
	t->m = tui_model_new(max_rows, max_rows);
	if (!t->m) {
		snprintf(err, errsz, "out of memory for %zu dashboard rows", max_rows);
		goto fail;
	}
	pthread_mutex_init(&t->lock, NULL);
	/* A capture by its file name: the directory would crowd the header. */
	if (source && !live && strrchr(source, '/') && strrchr(source, '/')[1])
		source = strrchr(source, '/') + 1;
	snprintf(t->source, sizeof(t->source), "%s", source ? source : "?");
	t->live = live;
	t->speed = replay_speed;
	t->capture_thread = pthread_self();
	t->focus = PANEL_SESSIONS;
	t->closed = false;
	tui_model_set_stats(t->m, &(struct stats){0}, 0, tui_now_us());
	k->session = tui_session;
	k->alert = tui_alert;
	k->session_open = tui_session_open;
	k->finish = tui_finish;
	k->free = tui_free;
	k->tick = tui_tick;
	k->wait = tui_wait;
	k->quit_requested = tui_quit_requested;
	k->live = live;
	k->priv = t;
	if (tui_screen_open(t, err, errsz) < 0) {
		pthread_mutex_destroy(&t->lock);
		tui_model_free(t->m);
		goto fail;
	}
	return k;
fail:
	free(t);
	free(k);
	return NULL;
}
