/*
 * model.c - the dashboard's data model (see tui_model.h): bounded rings of
 * session rows and alerts, exact per-port aggregates through src/summary.c,
 * and run counters with rates. The view over the rows (filter, sort,
 * problems only, pause) is in model_view.c, the text in model_text.c;
 * model_internal.h holds what the three share.
 *
 * No curses here: everything is plain data and text so that the unit tests
 * can check what the screen would show.
 *
 * Storage: rows live in a ring indexed by arrival number (seq); the ring
 * grows by doubling up to max_rows and only then wraps, so a short capture
 * costs little. The view is an array of seqs, so a view frozen by a pause
 * stays meaningful while the ring moves on (a dropped row reads as NULL).
 */
#include <stdlib.h>
#include <string.h>

#include "model_internal.h"
#include "sink.h"

#define RATE_WINDOW_US 500000 /* rates are measured over at least this long */

/* ---- Rings -------------------------------------------------------------------- */

static void
ring_init(struct ring *r, size_t size, size_t max)
{
	memset(r, 0, sizeof(*r));
	r->size = size;
	r->max = max;
}

/* The slot for the next item, growing the storage while under max; NULL
 * when out of memory. */
static void *
ring_push(struct ring *r)
{
	size_t slot = (size_t)(r->total % r->max);

	if (slot >= r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		void *ns;

		if (cap > r->max)
			cap = r->max;
		ns = realloc(r->slots, cap * r->size);
		if (!ns)
			return NULL;
		r->slots = ns;
		r->cap = cap;
	}
	r->total++;
	return (char *)r->slots + slot * r->size;
}

/* ---- Life cycle ----------------------------------------------------------------- */

struct tui_model *
tui_model_new(size_t max_rows, size_t max_alerts)
{
	struct tui_model *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	if (max_rows < 1)
		max_rows = 1;
	if (max_alerts < 1)
		max_alerts = 1;
	ring_init(&m->rows, sizeof(struct tui_row), max_rows);
	ring_init(&m->alerts, sizeof(struct tui_alert), max_alerts);
	m->sum = summary_new();
	if (!m->sum) {
		tui_model_free(m);
		return NULL;
	}
	m->view_stale = true;
	return m;
}

void
tui_model_free(struct tui_model *m)
{
	if (!m)
		return;
	free(m->rows.slots);
	free(m->alerts.slots);
	summary_free(m->sum);
	free(m->view_rows);
	free(m->sort_buf);
	free(m->view_alerts);
	free(m->frozen_ports);
	free(m->ext_ports);
	free(m->ext_servers);
	free(m->servers);
	free(m);
}

/* ---- Input ---------------------------------------------------------------------- */

static void
row_fill(struct tui_row *r, const struct session *s)
{
	const struct proto_facts *pf = &s->pf;
	const struct tls_facts *tf = &s->tf;

	memset(r, 0, sizeof(*r));
	r->id = s->id;
	r->ts_first_us = s->ts_first_us;
	r->ts_last_us = s->ts_last_us;
	r->family = s->family;
	memcpy(r->client_ip, s->client_ip, 16);
	memcpy(r->server_ip, s->server_ip, 16);
	r->client_port = s->client_port;
	r->server_port = s->server_port;
	sink_format_endpoint(s->family, s->client_ip, s->client_port, r->client, sizeof(r->client));
	sink_format_endpoint(s->family, s->server_ip, s->server_port, r->server, sizeof(r->server));
	session_addr_str(s->family, s->client_ip, r->client_addr, sizeof(r->client_addr));
	r->service = s->service ? s->service : "unknown";
	r->verdict = s->verdict < VERDICT_COUNT ? s->verdict : VERDICT_UNKNOWN;
	r->reason = s->reason < REASON_COUNT ? s->reason : REASON_NONE;
	r->alerts = s->alerts;
	r->end = s->end;
	r->midstream = s->midstream;
	r->gap = s->gap;
	r->packets = s->packets;
	r->bytes[0] = s->bytes[0];
	r->bytes[1] = s->bytes[1];

	r->capa_seen = pf->capa_seen;
	r->tls_offered = pf->tls_offered;
	r->upgrade_requested = pf->upgrade_requested;
	r->upgrade_accepted = pf->upgrade_accepted;
	r->upgrade_refused = pf->upgrade_refused;
	r->auth_cleartext_offered = pf->auth_cleartext_offered;
	memcpy(r->capa, pf->capa, sizeof(r->capa));
	r->capa[sizeof(r->capa) - 1] = '\0';
	memcpy(r->upgrade_reply, pf->upgrade_reply, sizeof(r->upgrade_reply));
	r->upgrade_reply[sizeof(r->upgrade_reply) - 1] = '\0';
	if (pf->evidence_len)
		text_escape(r->evidence, sizeof(r->evidence), pf->evidence,
			    pf->evidence_len > EVIDENCE_MAX ? EVIDENCE_MAX : pf->evidence_len);

	r->client_hello = tf->client_hello;
	r->server_hello = tf->server_hello;
	r->established = tf->established;
	r->sslv2_hello = tf->sslv2_hello;
	r->tls_version = tf->version;
	r->tls_cipher = tf->cipher;
	r->client_max_version = tf->client_max_version;
	memcpy(r->sni, tf->sni, sizeof(r->sni));
	r->sni[sizeof(r->sni) - 1] = '\0';
	memcpy(r->alpn, tf->alpn, sizeof(r->alpn));
	r->alpn[sizeof(r->alpn) - 1] = '\0';
	memcpy(r->alpn_selected, tf->alpn_selected, sizeof(r->alpn_selected));
	r->alpn_selected[sizeof(r->alpn_selected) - 1] = '\0';
	r->tls_alert = tf->alert;
	r->tls_alert_dir = tf->alert_dir;
	r->tls_alert_level = tf->alert_level;
	r->tls_alert_desc = tf->alert_desc;

	/* Field by field: the secret stays behind. */
	r->n_logins = pf->n_logins > LOGIN_MAX ? LOGIN_MAX : pf->n_logins;
	for (size_t i = 0; i < r->n_logins; i++) {
		const struct login *l = &pf->logins[i];
		struct tui_login *t = &r->logins[i];

		memcpy(t->mechanism, l->mechanism, sizeof(t->mechanism));
		t->mechanism[sizeof(t->mechanism) - 1] = '\0';
		memcpy(t->username, l->username, sizeof(t->username));
		t->username[sizeof(t->username) - 1] = '\0';
		t->has_secret = l->has_secret;
		t->outcome = l->outcome;
	}
	r->logins_dropped = pf->logins_dropped;
	memcpy(r->ndpi, s->ndpi, sizeof(r->ndpi));
	r->ndpi[sizeof(r->ndpi) - 1] = '\0';
	decode_tunnel_list(s->tunnels, s->tunnel_depth, r->tunnel, sizeof(r->tunnel));
	r->policy = s->policy;
	r->policy.domain[sizeof(r->policy.domain) - 1] = '\0';

	tui_row_fill_hay(r);
}

/* The sensor the row came from (tui_model_set_origin). */
static void
row_origin(const struct tui_model *m, struct tui_row *r)
{
	if (!m->origin[0])
		return;
	memcpy(r->sensor, m->origin, sizeof(r->sensor));
	r->sensor_id = m->origin_id;
	tui_row_fill_hay(r);
}

void
tui_model_set_origin(struct tui_model *m, const char *sensor, uint64_t sensor_id)
{
	snprintf(m->origin, sizeof(m->origin), "%s", sensor ? sensor : "");
	m->origin_id = sensor_id;
}

/* The row of session id while it is open, or NULL. */
static struct tui_row *
open_row(const struct tui_model *m, uint64_t id)
{
	struct tui_row *r = (struct tui_row *)tui_model_find_row(m, id);

	return r && r->end == END_OPEN ? r : NULL;
}

void
tui_model_open_session(struct tui_model *m, const struct session *s)
{
	struct tui_row *r = open_row(m, s->id);
	uint64_t seq;

	if (r) {
		seq = r->seq; /* the same row, as it stands now */
	} else {
		r = ring_push(&m->rows);
		if (!r) {
			m->add_failures++;
			return;
		}
		seq = m->rows.total;
	}
	row_fill(r, s);
	row_origin(m, r);
	r->seq = seq;
	r->end = END_OPEN;
	r->verdict = VERDICT_UNKNOWN;
	r->reason = REASON_NONE;
	r->alerts = s->alerts_early;
	tui_row_fill_hay(r);
	m->data_changed = true;
}

int
tui_model_add_session(struct tui_model *m, const struct session *s)
{
	struct tui_row *r = open_row(m, s->id);
	int rc = 0;

	if (r)
		r->superseded = true; /* the finished record takes its place */

	if (summary_add(m->sum, s) < 0) {
		m->add_failures++;
		rc = -1;
	}
	m->c.sessions++;
	r = ring_push(&m->rows);
	if (!r) {
		m->add_failures++;
		return -1;
	}
	row_fill(r, s);
	row_origin(m, r);
	r->seq = m->rows.total;
	m->data_changed = true;
	return rc;
}

void
tui_model_add_alert(struct tui_model *m, const struct alert *a)
{
	struct tui_alert *t;

	m->c.alerts++;
	if (a->severity == SEVERITY_CRITICAL)
		m->c.critical++;
	t = ring_push(&m->alerts);
	if (!t) {
		m->add_failures++;
		return;
	}
	t->seq = m->alerts.total;
	t->a = *a;
	t->a.evidence[sizeof(t->a.evidence) - 1] = '\0';
	memcpy(t->sensor, m->origin, sizeof(t->sensor));
	t->sensor_id = m->origin[0] ? m->origin_id : 0;
	if (!t->a.service)
		t->a.service = "unknown";
	sink_format_endpoint(a->family, a->server_ip, a->server_port, t->server, sizeof(t->server));
	m->data_changed = true;
}

void
tui_model_set_stats(struct tui_model *m, const struct stats *st, size_t open_flows, uint64_t now_us)
{
	struct tui_counters *c = &m->c;

	if (c->done)
		return;
	c->packets = st->packets;
	c->bytes = st->bytes;
	c->open_flows = open_flows;
	c->evicted = st->flows_evicted;
	if (st->pcap_stats_valid) {
		c->drops = st->pcap_dropped + st->pcap_ifdropped;
		c->drops_known = true;
	}
	m->stats_us = now_us;
	if (!m->started) {
		m->started = true;
		m->start_us = m->rate_t_us = now_us;
		m->rate_packets = st->packets;
		m->rate_bytes = st->bytes;
		return;
	}
	c->elapsed_us = now_us > m->start_us ? now_us - m->start_us : 0;
	if (now_us >= m->rate_t_us + RATE_WINDOW_US) {
		double dt = (double)(now_us - m->rate_t_us) / 1e6;

		c->packet_rate = (double)(st->packets - m->rate_packets) / dt;
		c->byte_rate = (double)(st->bytes - m->rate_bytes) / dt;
		m->rate_t_us = now_us;
		m->rate_packets = st->packets;
		m->rate_bytes = st->bytes;
	}
}

void
tui_model_set_time(struct tui_model *m, uint64_t now_us)
{
	struct tui_counters *c = &m->c;

	if (c->done || !m->started || now_us < m->stats_us)
		return;
	c->elapsed_us = now_us - m->start_us;
	if (now_us - m->stats_us > 1000000) {
		c->packet_rate = c->byte_rate = 0;
		/* The next rate is measured from the counters of the next tick. */
		m->rate_t_us = now_us;
	}
}

void
tui_model_set_done(struct tui_model *m, uint64_t now_us)
{
	struct tui_counters *c = &m->c;

	if (c->done)
		return;
	if (m->started) {
		double secs;

		c->elapsed_us = now_us > m->start_us ? now_us - m->start_us : 0;
		secs = (double)c->elapsed_us / 1e6;
		c->packet_rate = secs > 0 ? (double)c->packets / secs : 0;
		c->byte_rate = secs > 0 ? (double)c->bytes / secs : 0;
	}
	c->done = true;
}

/* ---- Totals ---------------------------------------------------------------------- */

const struct tui_counters *
tui_model_counters(const struct tui_model *m)
{
	return &m->c;
}

uint64_t
tui_model_sessions_seen(const struct tui_model *m)
{
	return m->c.sessions;
}

uint64_t
tui_model_rows_kept(const struct tui_model *m)
{
	return ring_kept(&m->rows);
}

uint64_t
tui_model_rows_dropped(const struct tui_model *m)
{
	return m->rows.total - ring_kept(&m->rows);
}

uint64_t
tui_model_alerts_seen(const struct tui_model *m)
{
	return m->c.alerts;
}

uint64_t
tui_model_alerts_dropped(const struct tui_model *m)
{
	return m->c.alerts - ring_kept(&m->alerts);
}

uint64_t
tui_model_add_failures(const struct tui_model *m)
{
	return m->add_failures;
}

const struct summary_row *
tui_model_ports(struct tui_model *m, size_t *n)
{
	if (m->paused && m->ports_frozen) {
		*n = m->n_frozen_ports;
		return m->frozen_ports;
	}
	if (m->ext_summary) {
		*n = m->n_ext_ports;
		return m->ext_ports;
	}
	return summary_ports(m->sum, n);
}

/* ---- Lookups ----------------------------------------------------------------------- */

const struct tui_row *
tui_model_find_row(const struct tui_model *m, uint64_t session_id)
{
	uint64_t total = m->rows.total, kept = ring_kept(&m->rows);

	/* Newest first: a session id is unique, and recent ones are asked for. */
	for (uint64_t seq = total; seq > total - kept; seq--) {
		const struct tui_row *r = ring_get(&m->rows, seq);

		if (r && r->id == session_id && !r->superseded)
			return r;
	}
	return NULL;
}

const struct tui_alert *
tui_model_find_alert(const struct tui_model *m, uint64_t seq)
{
	return ring_get(&m->alerts, seq);
}
