/*
 * correlate_shared.c - correlate's side of the shared state (--state
 * redis://, shared.h): its counters, the policy lines and feed lines passed
 * through, and the capability-stripped alerts another sensor's later offer
 * makes due.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "correlate_internal.h"
#include "feed.h"
#include "proto.h"
#include "shared.h"
#include "verdict.h"

void
correlate_stats_get(const struct correlate *c, struct correlate_stats *out)
{
	struct shared_stats ss;

	*out = c->st;
	out->servers_forgotten = c->servers.forgotten;
	out->pairs_forgotten = c->pairs.forgotten;
	if (c->shared)
		shared_stats_get(c->shared, &ss);
	else
		ss = c->shared_final;
	out->shared_on = c->shared_on;
	out->shared_loaded = ss.loaded;
	out->shared_received = ss.received;
	out->shared_sent = ss.sent;
	out->shared_dropped = ss.dropped;
	out->shared_forgotten = ss.forgotten;
	out->shared_reconnects = ss.reconnects;
	out->shared_errors = ss.errors;
	out->shared_hits = ss.hits;
	out->shared_counted = ss.counted;
	out->shared_feed_sent = ss.feed_sent;
	out->shared_feed_dropped = ss.feed_dropped;
	out->shared_policy_loaded = ss.policy_loaded;
	out->shared_policy_received = ss.policy_received;
	out->shared_policy_sent = ss.policy_sent;
	out->shared_policy_dropped = ss.policy_dropped;
	out->shared_cert_loaded = ss.cert_loaded;
	out->shared_cert_received = ss.cert_received;
	out->shared_cert_sent = ss.cert_sent;
	out->shared_cert_dropped = ss.cert_dropped;
	out->shared_cert_unchecked = ss.cert_unchecked;
	out->shared_arrivals_lost = ss.arrivals_lost;
}

void
correlate_policy_share(struct correlate *c, const char *name, const char *id, const char *line,
		       unsigned ttl_s)
{
	shared_policy_put(c->shared, name, id, line, ttl_s);
}

void
correlate_policy_take(struct correlate *c, void (*fn)(void *ctx, const char *line), void *ctx)
{
	shared_policy_take(c->shared, fn, ctx);
}

void
correlate_shared_late(struct correlate *c, correlate_alert_fn fn, void *ctx)
{
	struct shared_arrival arr[32];
	size_t n;

	if (!c || !c->shared)
		return;
	while ((n = shared_arrivals_take(c->shared, arr, 32)) > 0) {
		for (size_t i = 0; i < n; i++) {
			struct server_rec *r = correlate_server_get(c, arr[i].family, arr[i].ip,
								    arr[i].port, arr[i].l4, false);
			const struct proto_desc *pd;

			if (!r || r->offered || r->offered_state || r->n_lacked_ids == 0)
				continue;
			pd = proto_by_name(r->service);
			for (unsigned k = 0; k < r->n_lacked_ids; k++) {
				struct alert a;

				memset(&a, 0, sizeof(a));
				a.kind = ALERT_CAPABILITY_STRIPPED;
				a.severity = SEVERITY_HIGH;
				a.session_id = r->lacked[k].id;
				a.flow_id = r->lacked[k].flow_id;
				a.ts_us = r->last_seen_us;
				a.family = r->family;
				a.l4 = r->l4;
				memcpy(a.client_ip, r->lacked[k].client_ip, sizeof(a.client_ip));
				memcpy(a.server_ip, r->ip, sizeof(a.server_ip));
				a.client_port = r->lacked[k].client_port;
				a.server_port = r->port;
				a.service = pd ? pd->name : "unknown";
				snprintf(a.evidence, sizeof(a.evidence),
					 "%s not offered in session #%" PRIu64
					 " but offered by the same server as seen by sensor %s "
					 "(shared state, announced later)",
					 proto_offer_word(r->service), r->lacked[k].id,
					 arr[i].sensor);
				shared_count_hit(c->shared);
				if (fn)
					fn(ctx, &a);
			}
			r->n_lacked_ids = 0;
		}
	}
}

void
correlate_policy_hit(struct correlate *c)
{
	shared_count_hit(c->shared);
}

void
correlate_count(struct correlate *c, const struct session *s, bool alerted)
{
	shared_count_session(c->shared, s->family, s->server_ip, s->server_port, s->l4, s->service,
			     verdict_name(s->verdict), s->pf.n_logins, alerted,
			     !s->pf.capa_seen	 ? -1
			     : s->pf.tls_offered ? 1
						 : 0,
			     s->ts_last_us);
}

void
correlate_publish_session(struct correlate *c, const struct session *s)
{
	char line[FEED_LINE_MAX];
	size_t n;

	if (!c->shared)
		return;
	n = feed_encode_session(line, sizeof(line), shared_sensor(c->shared), s);
	shared_feed(c->shared, false, line, n);
}

void
correlate_publish_alert(struct correlate *c, const struct alert *a)
{
	char line[FEED_LINE_MAX];
	size_t n;

	if (!c->shared)
		return;
	n = feed_encode_alert(line, sizeof(line), shared_sensor(c->shared), a);
	shared_feed(c->shared, true, line, n);
}
