/*
 * cluster.c - `tlswatch --cluster redis://...`: the per-port and per-server
 * summary of every sensor sharing one Redis (--state redis://, shared.h),
 * read from the PREFIX:server:{SERVER} hashes they count their sessions in,
 * printed as the text report prints one sensor's, with the sensors that
 * saw each server. cluster_load is also what the dashboard of --cluster
 * (cluster_tui.c) shows in its ports panel and servers view.
 */
#include "cluster.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redisconn.h"
#include "shared.h"
#include "sink.h"
#include "summary.h"

#define CLUSTER_SENSORS_SHOWN 64 /* characters of the SENSORS column */

struct cluster_server {
	struct summary_row row;
	char service[16];
	char sensors[CLUSTER_SENSORS_SHOWN + 4];
};

struct cluster {
	struct cluster_server *s;
	size_t n, cap;
	struct summary_row *ports;
	size_t n_ports;
	struct summary_row *rows; /* the servers' rows, in s's order (cluster_load) */
	char *sensors_seen;	  /* "a b c" */
	size_t n_sensors;
	uint64_t sessions;
};

/* "4/192.0.2.10/25/tcp" into a row's address, port and transport. */
static bool
cluster_server_key(const char *text, struct summary_row *r)
{
	char addr[INET6_ADDRSTRLEN], l4[5];
	unsigned family, port;

	if (sscanf(text, "%u/%45[^/]/%u/%4s", &family, addr, &port, l4) != 4 ||
	    (family != 4 && family != 6) || port == 0 || port > 65535 ||
	    inet_pton(family == 6 ? AF_INET6 : AF_INET, addr, r->ip) != 1)
		return false;
	r->family = (uint8_t)family;
	r->port = (uint16_t)port;
	r->l4 = transport_by_name(l4, strlen(l4));
	return r->l4 != 0;
}

static int
cluster_verdict(const char *name)
{
	for (int v = 0; v < VERDICT_COUNT; v++)
		if (strcmp(name, verdict_name((enum verdict)v)) == 0)
			return v;
	return -1;
}

/* Adds a sensor's name to the list of those seen (once). */
static void
cluster_note_sensor(struct cluster *c, const char *name)
{
	size_t have = c->sensors_seen ? strlen(c->sensors_seen) : 0, n = strlen(name);
	char *p;

	for (const char *q = c->sensors_seen; q && (q = strstr(q, name)) != NULL; q += n)
		if ((q == c->sensors_seen || q[-1] == ' ') && (q[n] == ' ' || q[n] == '\0'))
			return;
	p = realloc(c->sensors_seen, have + n + 2);
	if (!p)
		return;
	if (have)
		p[have++] = ' ';
	memcpy(p + have, name, n + 1);
	c->sensors_seen = p;
	c->n_sensors++;
}

/* One PREFIX:server:{SERVER} hash (HGETALL's reply) into a row; false
 * when it is not one. */
static bool
cluster_take(struct cluster *c, const char *server, const redisReply *h)
{
	struct cluster_server *cs;

	if (h->type != REDIS_REPLY_ARRAY || h->elements % 2)
		return false;
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 64;
		struct cluster_server *p = realloc(c->s, cap * sizeof(*p));

		if (!p)
			return false;
		c->s = p;
		c->cap = cap;
	}
	cs = &c->s[c->n];
	memset(cs, 0, sizeof(*cs));
	if (!cluster_server_key(server, &cs->row))
		return false;
	snprintf(cs->service, sizeof(cs->service), "unknown");
	for (size_t i = 0; i + 1 < h->elements; i += 2) {
		const char *f = h->element[i]->str, *v = h->element[i + 1]->str;
		uint64_t n;
		int vd;

		if (h->element[i]->type != REDIS_REPLY_STRING ||
		    h->element[i + 1]->type != REDIS_REPLY_STRING)
			continue;
		n = strtoull(v, NULL, 10);
		if (strcmp(f, "sessions") == 0) {
			cs->row.sessions = n;
		} else if (strcmp(f, "logins") == 0) {
			cs->row.logins = n;
		} else if (strcmp(f, "alerted") == 0) {
			cs->row.alerts = n;
		} else if (strcmp(f, "offered") == 0) {
			cs->row.tls_offered = n > 0;
		} else if (strcmp(f, "notoffered") == 0) {
			cs->row.tls_not_offered = n > 0;
		} else if (strcmp(f, "service") == 0) {
			snprintf(cs->service, sizeof(cs->service), "%s", v);
		} else if (strncmp(f, "v:", 2) == 0 && (vd = cluster_verdict(f + 2)) >= 0) {
			cs->row.verdicts[vd] = n;
		} else if (strncmp(f, "s:", 2) == 0) {
			size_t have = strlen(cs->sensors);

			cluster_note_sensor(c, f + 2);
			if (have < CLUSTER_SENSORS_SHOWN)
				snprintf(cs->sensors + have, sizeof(cs->sensors) - have, "%s%s",
					 have ? "," : "", f + 2);
		}
	}
	c->sessions += cs->row.sessions;
	c->n++;
	return true;
}

static int
cluster_by_sessions(const void *a, const void *b)
{
	const struct cluster_server *x = a, *y = b;

	if (x->row.sessions != y->row.sessions)
		return x->row.sessions > y->row.sessions ? -1 : 1;
	if (x->row.port != y->row.port)
		return x->row.port < y->row.port ? -1 : 1;
	return memcmp(x->row.ip, y->row.ip, 16);
}

/* The per-port rows: the servers' summed by port and transport. */
static void
cluster_ports(struct cluster *c)
{
	c->ports = calloc(c->n ? c->n : 1, sizeof(*c->ports));
	if (!c->ports)
		return;
	for (size_t i = 0; i < c->n; i++) {
		const struct summary_row *s = &c->s[i].row;
		struct summary_row *p = NULL;

		for (size_t j = 0; j < c->n_ports && !p; j++)
			if (c->ports[j].port == s->port && c->ports[j].l4 == s->l4)
				p = &c->ports[j];
		if (!p) {
			p = &c->ports[c->n_ports++];
			p->port = s->port;
			p->l4 = s->l4;
			p->service = s->service;
		}
		p->sessions += s->sessions;
		for (int v = 0; v < VERDICT_COUNT; v++)
			p->verdicts[v] += s->verdicts[v];
		p->logins += s->logins;
		p->alerts += s->alerts;
		p->tls_offered |= s->tls_offered;
	}
}

/* Reads every server of the prefix; -1 with err when Redis failed. */
static int
cluster_read(struct cluster *c, redisContext *rc, const char *prefix, char *err, size_t errsz)
{
	char cursor[32] = "0", match[96], offer[160];
	size_t plen = strlen(prefix) + 8; /* "PREFIX:server:" */

	snprintf(match, sizeof(match), "%s:server:*", prefix);
	do {
		redisReply *r = redisCommand(rc, "SCAN %s MATCH %s COUNT 1000", cursor, match);
		redisReply *keys;

		if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
		    r->element[1]->type != REDIS_REPLY_ARRAY) {
			snprintf(err, errsz, "SCAN: %s", r && r->str ? r->str : rc->errstr);
			if (r)
				freeReplyObject(r);
			return -1;
		}
		snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
		keys = r->element[1];
		for (size_t i = 0; i < keys->elements; i++) {
			const char *k = keys->element[i]->str;
			size_t klen = strlen(k);
			char server[80];
			redisReply *h, *o;

			if (klen < plen + 3 || k[plen] != '{' || k[klen - 1] != '}' ||
			    klen - plen - 2 >= sizeof(server))
				continue;
			snprintf(server, sizeof(server), "%.*s", (int)(klen - plen - 2),
				 k + plen + 1);
			h = redisCommand(rc, "HGETALL %s", k);
			if (!h) {
				snprintf(err, errsz, "HGETALL: %s", rc->errstr);
				freeReplyObject(r);
				return -1;
			}
			if (!cluster_take(c, server, h)) {
				freeReplyObject(h);
				continue;
			}
			freeReplyObject(h);
			/* UPG: some sensor saw the server offer the upgrade. */
			snprintf(offer, sizeof(offer), "%s:offer:{%s}", prefix, server);
			o = redisCommand(rc, "EXISTS %s", offer);
			if (o && o->type == REDIS_REPLY_INTEGER && o->integer == 1)
				c->s[c->n - 1].row.tls_offered = true;
			if (o)
				freeReplyObject(o);
		}
		freeReplyObject(r);
	} while (strcmp(cursor, "0") != 0);
	return 0;
}

/* The per-port and per-server tables (cluster_load) as the text report
 * prints them, then the sensors of each server. */
static void
cluster_print(const struct cluster *c, const struct shared_target *t, bool wide, FILE *out)
{
	fprintf(out,
		"Cluster redis://%s:%d prefix %s: %" PRIu64 " sessions to %zu servers from %s\n",
		t->host, t->port, t->prefix, c->sessions, c->n,
		c->sensors_seen ? c->sensors_seen : "no sensor");
	fprintf(out, "\nPer port:\n");
	sink_text_rows(out, c->ports, c->n_ports, false, wide);
	fprintf(out, "\nPer server:\n");
	sink_text_rows(out, c->rows, c->n, true, wide);
	if (!c->n)
		return;
	fprintf(out, "\nSensors per server:\n");
	for (size_t i = 0; i < c->n; i++) {
		char name[80];

		sink_format_endpoint(c->s[i].row.family, c->s[i].row.ip, c->s[i].row.port, name,
				     sizeof(name));
		fprintf(out, "  %-22s %s%s\n", name, c->s[i].sensors,
			strlen(c->s[i].sensors) >= CLUSTER_SENSORS_SHOWN ? " ..." : "");
	}
}

int
cluster_report(const char *url, bool wide, FILE *out)
{
	struct shared_target t;
	struct cluster *c = NULL;
	char err[512];
	redisContext *rc;

	if (shared_parse(url, &t, err, sizeof(err)) < 0) {
		fprintf(stderr, "tlswatch: --cluster %s\n", err);
		return 2;
	}
	rc = redis_connect(t.host, t.port, t.password, t.db, err, sizeof(err));
	if (rc)
		c = cluster_load(rc, t.prefix, err, sizeof(err));
	if (rc)
		redisFree(rc);
	if (!c) {
		fprintf(stderr, "tlswatch: --cluster redis://%s:%d: %s\n", t.host, t.port, err);
		return 2;
	}
	cluster_print(c, &t, wide, out);
	cluster_free(c);
	return 0;
}

struct cluster *
cluster_load(redisContext *rc, const char *prefix, char *err, size_t errsz)
{
	struct cluster *c = calloc(1, sizeof(*c));

	if (!c) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	if (cluster_read(c, rc, prefix, err, errsz) < 0)
		goto fail;
	if (c->n > 1) /* none read: c->s is NULL, which qsort may not be given */
		qsort(c->s, c->n, sizeof(*c->s), cluster_by_sessions);
	for (size_t i = 0; i < c->n; i++)
		c->s[i].row.service = c->s[i].service;
	cluster_ports(c);
	c->rows = calloc(c->n ? c->n : 1, sizeof(*c->rows));
	if (!c->ports || !c->rows) {
		snprintf(err, errsz, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < c->n; i++)
		c->rows[i] = c->s[i].row;
	return c;
fail:
	cluster_free(c);
	return NULL;
}

const struct summary_row *
cluster_servers(const struct cluster *c, size_t *n)
{
	*n = c->n;
	return c->rows;
}

const struct summary_row *
cluster_port_rows(const struct cluster *c, size_t *n)
{
	*n = c->n_ports;
	return c->ports;
}

size_t
cluster_sensors(const struct cluster *c)
{
	return c->n_sensors;
}

void
cluster_free(struct cluster *c)
{
	if (!c)
		return;
	free(c->s);
	free(c->ports);
	free(c->rows);
	free(c->sensors_seen);
	free(c);
}
