/*
 * feed.c - the cluster feed's records (feed.h) written: a judged session
 * or an alert as one line of escaped KEY=VALUE words. Reading them back is
 * feed_read.c's.
 */
#include "feed.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "decode.h"
#include "sink.h"

/* ---- Writing -------------------------------------------------------------------- */

struct feed_out {
	char *buf;
	size_t sz, n;
	bool over;
};

static void
feed_put(struct feed_out *o, const char *s, size_t n)
{
	if (o->over || o->n + n + 1 > o->sz) {
		o->over = true;
		return;
	}
	memcpy(o->buf + o->n, s, n);
	o->n += n;
	o->buf[o->n] = '\0';
}

bool
feed_plain(uint8_t c)
{
	return c > 0x20 && c < 0x7f && c != '%' && c != '=' && c != ',';
}

static void
feed_put_esc(struct feed_out *o, const uint8_t *p, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < n; i++) {
		char e[3] = {'%', hex[p[i] >> 4], hex[p[i] & 15]};

		if (feed_plain(p[i]))
			feed_put(o, (const char *)&p[i], 1);
		else
			feed_put(o, e, 3);
	}
}

static void
feed_put_str(struct feed_out *o, const char *s)
{
	feed_put_esc(o, (const uint8_t *)s, strlen(s));
}

/* " key=" then the escaped string; nothing for an empty one. */
static void
feed_kv(struct feed_out *o, const char *key, const char *val)
{
	if (!val || !*val)
		return;
	feed_put(o, " ", 1);
	feed_put(o, key, strlen(key));
	feed_put(o, "=", 1);
	feed_put_str(o, val);
}

static void
feed_kv_u64(struct feed_out *o, const char *key, uint64_t v)
{
	char num[24];

	snprintf(num, sizeof(num), "%" PRIu64, v);
	feed_kv(o, key, num);
}

static void
feed_kv_addr(struct feed_out *o, const char *key, uint8_t family, const uint8_t *ip)
{
	char addr[INET6_ADDRSTRLEN] = "";

	inet_ntop(family == 6 ? AF_INET6 : AF_INET, ip, addr, sizeof(addr));
	feed_kv(o, key, addr);
}

/* The words both records start with: sensor, endpoints, service. */
static void
feed_put_head(struct feed_out *o, const char *type, const char *sensor, uint8_t family,
	      const uint8_t *cip, uint16_t cport, const uint8_t *sip, uint16_t sport, uint8_t l4,
	      const char *service)
{
	feed_put(o, type, strlen(type));
	feed_kv(o, "sensor", sensor && *sensor ? sensor : "-");
	feed_kv_u64(o, "family", family == 6 ? 6 : 4);
	feed_kv_addr(o, "client", family, cip);
	feed_kv_u64(o, "cport", cport);
	feed_kv_addr(o, "server", family, sip);
	feed_kv_u64(o, "sport", sport);
	feed_kv(o, "l4", transport_name(l4));
	feed_kv(o, "service", service ? service : "unknown");
}

/* flags=: one letter per flag, what the detail view tells. */
static void
feed_put_flags(struct feed_out *o, const struct session *s)
{
	const struct proto_facts *pf = &s->pf;
	const struct tls_facts *tf = &s->tf;
	char flags[16];
	size_t nf = 0;

	if (s->midstream)
		flags[nf++] = 'm';
	if (s->gap)
		flags[nf++] = 'g';
	if (pf->capa_seen)
		flags[nf++] = 'c';
	if (pf->tls_offered)
		flags[nf++] = 'o';
	if (pf->upgrade_requested)
		flags[nf++] = 'r';
	if (pf->upgrade_accepted)
		flags[nf++] = 'a';
	if (pf->upgrade_refused)
		flags[nf++] = 'x';
	if (pf->auth_cleartext_offered)
		flags[nf++] = 'p';
	if (tf->client_hello)
		flags[nf++] = 'h';
	if (tf->server_hello)
		flags[nf++] = 's';
	if (tf->established)
		flags[nf++] = 'e';
	if (tf->sslv2_hello)
		flags[nf++] = '2';
	flags[nf] = '\0';
	feed_kv(o, "flags", flags);
}

/* The TLS facts: versions, cipher, names, the alert. */
static void
feed_put_tls(struct feed_out *o, const struct tls_facts *tf)
{
	char v[64];

	if (tf->version) {
		snprintf(v, sizeof(v), "%x", tf->version);
		feed_kv(o, "tlsv", v);
	}
	if (tf->cipher) {
		snprintf(v, sizeof(v), "%x", tf->cipher);
		feed_kv(o, "cipher", v);
	}
	if (tf->client_max_version) {
		snprintf(v, sizeof(v), "%x", tf->client_max_version);
		feed_kv(o, "cmax", v);
	}
	feed_kv(o, "sni", tf->sni);
	feed_kv(o, "alpn", tf->alpn);
	feed_kv(o, "alpnsel", tf->alpn_selected);
	if (tf->alert) {
		snprintf(v, sizeof(v), "%d,%u,%u", tf->alert_dir == DIR_S2C, tf->alert_level,
			 tf->alert_desc);
		feed_put(o, " talert=", 8);
		feed_put(o, v, strlen(v));
	}
}

/* login=MECHANISM,USER,OUTCOME,0|1 each. */
static void
feed_put_logins(struct feed_out *o, const struct proto_facts *pf)
{
	for (size_t i = 0; i < pf->n_logins && i < LOGIN_MAX; i++) {
		const struct login *l = &pf->logins[i];

		/* never the secret: whether one crossed */
		feed_put(o, " login=", 7);
		feed_put_str(o, l->mechanism);
		feed_put(o, ",", 1);
		feed_put_str(o, l->username);
		feed_put(o, ",", 1);
		feed_put_str(o, login_outcome_name(l->outcome));
		feed_put(o, l->has_secret ? ",1" : ",0", 2);
	}
}

/* policy=SOURCE,MODE,DANE,TLSRPT,SENT,DOMAIN when a policy was looked at. */
static void
feed_put_policy(struct feed_out *o, const struct session *s)
{
	const char *mode;
	char v[64];

	if (s->policy.source == POLICY_SOURCE_NONE)
		return;
	mode = sts_mode_name((enum sts_mode)s->policy.mta_sts);
	feed_put(o, " policy=", 8);
	feed_put_str(o, policy_source_name((enum policy_source)s->policy.source));
	feed_put(o, ",", 1);
	feed_put_str(o, mode ? mode : "-");
	snprintf(v, sizeof(v), ",%d,%d,%d,", s->policy.dane, s->policy.tlsrpt, s->policy.mail_sent);
	feed_put(o, v, strlen(v));
	feed_put_esc(o, (const uint8_t *)s->policy.domain,
		     strnlen(s->policy.domain, sizeof(s->policy.domain)));
}

size_t
feed_encode_session(char *buf, size_t bufsz, const char *sensor, const struct session *s)
{
	struct feed_out o = {.buf = buf, .sz = bufsz};
	const struct proto_facts *pf = &s->pf;
	const struct tls_facts *tf = &s->tf;
	char v[64];

	if (bufsz)
		buf[0] = '\0';
	feed_put_head(&o, "session", sensor, s->family, s->client_ip, s->client_port, s->server_ip,
		      s->server_port, s->l4, s->service);
	feed_kv_u64(&o, "id", s->id);
	feed_kv_u64(&o, "first", s->ts_first_us);
	feed_kv_u64(&o, "last", s->ts_last_us);
	feed_kv(&o, "verdict", verdict_name(s->verdict));
	feed_kv(&o, "reason", reason_name(s->reason));
	snprintf(v, sizeof(v), "%" PRIx32, s->alerts);
	feed_kv(&o, "alerts", v);
	feed_kv(&o, "end", session_end_name(s->end));
	feed_kv_u64(&o, "pkts", s->packets);
	feed_kv_u64(&o, "up", s->bytes[DIR_C2S]);
	feed_kv_u64(&o, "down", s->bytes[DIR_S2C]);
	feed_put_flags(&o, s);
	feed_kv(&o, "capa", pf->capa);
	feed_kv(&o, "reply", pf->upgrade_reply);
	if (pf->evidence_len) {
		feed_put(&o, " ev=", 4);
		feed_put_esc(&o, pf->evidence,
			     pf->evidence_len > EVIDENCE_MAX ? EVIDENCE_MAX : pf->evidence_len);
	}
	feed_put_tls(&o, tf);
	feed_put_logins(&o, pf);
	if (pf->logins_dropped)
		feed_kv_u64(&o, "ldrop", pf->logins_dropped);
	feed_kv(&o, "ndpi", s->ndpi);
	if (s->tunnel_depth) {
		char t[DECODE_TUNNEL_MAX * 16];

		decode_tunnel_list(s->tunnels, s->tunnel_depth, t, sizeof(t));
		feed_kv(&o, "tunnel", t);
	}
	feed_put_policy(&o, s);
	return o.over ? 0 : o.n;
}

size_t
feed_encode_alert(char *buf, size_t bufsz, const char *sensor, const struct alert *a)
{
	struct feed_out o = {.buf = buf, .sz = bufsz};

	if (bufsz)
		buf[0] = '\0';
	feed_put_head(&o, "alert", sensor, a->family, a->client_ip, a->client_port, a->server_ip,
		      a->server_port, a->l4, a->service);
	feed_kv(&o, "kind", alert_kind_name(a->kind));
	feed_kv(&o, "severity", severity_name(a->severity));
	feed_kv_u64(&o, "session", a->session_id);
	feed_kv_u64(&o, "ts", a->ts_us);
	feed_kv(&o, "ev", a->evidence);
	return o.over ? 0 : o.n;
}
