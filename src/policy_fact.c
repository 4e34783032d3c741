/*
 * policy_fact.c - the learned records as facts, one line of text each
 * (include/policy.h: "policy mx DOMAIN HOST EXPIRES LEARNED" ...), kept
 * between runs (--state FILE) and shared between sensors (--state
 * redis://): formatted, parsed back (untrusted), stored, listed; and the
 * packet clock that drops the stored facts already expired.
 */
#include "policy_internal.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cursor.h"

/* ---- Facts kept and shared (--state) ------------------------------------------------ */

static const char *const pol_fact_words[] = {
	[POLICY_FACT_MX] = "mx",   [POLICY_FACT_ADDR] = "addr",	    [POLICY_FACT_CNAME] = "cname",
	[POLICY_FACT_STS] = "sts", [POLICY_FACT_TLSRPT] = "tlsrpt", [POLICY_FACT_TLSA] = "tlsa",
};

static const enum pol_kind pol_fact_tables[] = {
	[POLICY_FACT_MX] = PK_MX,	  [POLICY_FACT_ADDR] = PK_ADDR,
	[POLICY_FACT_CNAME] = PK_CNAME,	  [POLICY_FACT_STS] = PK_STS,
	[POLICY_FACT_TLSRPT] = PK_TLSRPT, [POLICY_FACT_TLSA] = PK_TLSA,
};

/* A name as a fact may carry it: 1 to POLICY_NAME_MAX - 1 printable
 * characters, no space, no upper case (pol_name lowered it), no brace
 * (Redis Cluster hash tags are made of names). */
static bool
pol_fact_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= POLICY_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] >= 0x7f || s[i] == '{' || s[i] == '}' ||
		    (s[i] >= 'A' && s[i] <= 'Z'))
			return false;
	return true;
}

/* An STS id: 1 to 32 letters and digits (RFC 8461 3.1). */
static bool
pol_fact_id_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 32)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9')))
			return false;
	return true;
}

void
pol_to_fact(enum pol_kind k, const struct pol_entry *e, struct policy_fact *f)
{
	memset(f, 0, sizeof(*f));
	for (size_t i = 0; i < sizeof(pol_fact_tables) / sizeof(pol_fact_tables[0]); i++)
		if (pol_fact_tables[i] == k)
			f->kind = (enum policy_fact_kind)i;
	memcpy(f->name, e->name, sizeof(f->name));
	if (k == PK_MX || k == PK_CNAME || k == PK_STS)
		memcpy(f->value, e->v.host, sizeof(f->value));
	if (k == PK_ADDR) {
		f->family = e->family;
		memcpy(f->addr, e->v.addr, sizeof(f->addr));
	}
	f->port = e->port;
	f->ad = e->ad;
	if (k == PK_TLSA)
		f->tlsa = e->v.tlsa;
	f->expires_us = e->expires_us;
	f->learned_us = e->learned_us;
}

/* A usable TLSA fact's association as fmt (usage, selector, matching)
 * then the data in hex; "" for any other fact. */
static void
pol_assoc_text(const struct policy_fact *f, const char *fmt, char *out, size_t outsz)
{
	int n;

	out[0] = '\0';
	if (f->kind != POLICY_FACT_TLSA || !f->tlsa.usable)
		return;
	n = snprintf(out, outsz, fmt, f->tlsa.usage, f->tlsa.selector, f->tlsa.matching);
	if (n > 0 && (size_t)n + 2 * sizeof(f->tlsa.data) < outsz)
		hex_encode(f->tlsa.data, sizeof(f->tlsa.data), out + n);
	else
		out[0] = '\0';
}

size_t
policy_fact_format(const struct policy_fact *f, char *buf, size_t bufsz)
{
	char addr[INET6_ADDRSTRLEN], mid[POLICY_NAME_MAX + INET6_ADDRSTRLEN + 16];
	char assoc[80];
	int n;

	if ((unsigned)f->kind > POLICY_FACT_TLSA || !pol_fact_name_ok(f->name) ||
	    f->learned_us > f->expires_us || f->expires_us == 0)
		return 0;
	switch (f->kind) {
	case POLICY_FACT_MX:
	case POLICY_FACT_CNAME:
		if (!pol_fact_name_ok(f->value))
			return 0;
		snprintf(mid, sizeof(mid), " %s", f->value);
		break;
	case POLICY_FACT_ADDR:
		if ((f->family != 4 && f->family != 6) ||
		    !inet_ntop(f->family == 6 ? AF_INET6 : AF_INET, f->addr, addr, sizeof(addr)))
			return 0;
		snprintf(mid, sizeof(mid), " %u %s", f->family, addr);
		break;
	case POLICY_FACT_STS:
		if (f->value[0] && !pol_fact_id_ok(f->value))
			return 0;
		snprintf(mid, sizeof(mid), " %s", f->value[0] ? f->value : "-");
		break;
	case POLICY_FACT_TLSRPT:
		mid[0] = '\0';
		break;
	case POLICY_FACT_TLSA:
		if (f->port == 0)
			return 0;
		pol_assoc_text(f, " %u %u %u ", assoc, sizeof(assoc));
		snprintf(mid, sizeof(mid), " %u %s%s", f->port, f->ad ? "ad" : "noad", assoc);
		break;
	}
	n = snprintf(buf, bufsz, "policy %s %s%s %" PRIu64 " %" PRIu64, pol_fact_words[f->kind],
		     f->name, mid, f->expires_us, f->learned_us);
	return n > 0 && (size_t)n < bufsz ? (size_t)n : 0;
}

size_t
policy_fact_id(const struct policy_fact *f, char *buf, size_t bufsz)
{
	char addr[INET6_ADDRSTRLEN];
	int n = -1;

	switch (f->kind) {
	case POLICY_FACT_MX:
	case POLICY_FACT_CNAME:
		n = snprintf(buf, bufsz, "%s:%s", pol_fact_words[f->kind], f->value);
		break;
	case POLICY_FACT_ADDR:
		if ((f->family != 4 && f->family != 6) ||
		    !inet_ntop(f->family == 6 ? AF_INET6 : AF_INET, f->addr, addr, sizeof(addr)))
			return 0;
		n = snprintf(buf, bufsz, "addr:%u/%s", f->family, addr);
		break;
	case POLICY_FACT_STS:
	case POLICY_FACT_TLSRPT:
		n = snprintf(buf, bufsz, "%s", pol_fact_words[f->kind]);
		break;
	case POLICY_FACT_TLSA: {
		char assoc[80];

		pol_assoc_text(f, ":%u:%u:%u:", assoc, sizeof(assoc));
		n = snprintf(buf, bufsz, "tlsa:%u%s", f->port, assoc);
		break;
	}
	}
	return n > 0 && (size_t)n < bufsz ? (size_t)n : 0;
}

/* A time: 1 to 20 digits that fit 64 bits. */
static bool
pol_fact_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	size_t n = strlen(s);

	if (n == 0 || n > 20)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return false;
		d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

#define POL_FACT_WORDS 11

/* "USAGE SELECTOR MATCHING HEX" of a TLSA fact (w[0..3]) into a; false when
 * it is not a usable association as pol_tlsa_assoc keeps one. */
static bool
pol_fact_assoc(char **w, struct policy_tlsa *a)
{
	uint64_t v[3];

	memset(a, 0, sizeof(*a));
	for (int i = 0; i < 3; i++)
		if (!pol_fact_u64(w[i], &v[i]) || v[i] > 255)
			return false;
	if ((v[0] != 2 && v[0] != 3) || v[1] > 1 || v[2] > 2 ||
	    !hex_decode(w[3], a->data, sizeof(a->data)))
		return false;
	a->usage = (uint8_t)v[0];
	a->selector = (uint8_t)v[1];
	a->matching = (uint8_t)v[2];
	a->usable = true;
	return true;
}

bool
policy_fact_parse(const char *line, struct policy_fact *f, char *why, size_t whysz)
{
	char buf[POLICY_FACT_LINE_MAX], *w[POL_FACT_WORDS + 1], *save = NULL, *tok;
	size_t nw = 0, len = strlen(line), need;
	int kind = -1;

	memset(f, 0, sizeof(*f));
	if (len >= sizeof(buf)) {
		snprintf(why, whysz, "policy line too long");
		return false;
	}
	memcpy(buf, line, len + 1);
	for (tok = strtok_r(buf, " ", &save); tok && nw <= POL_FACT_WORDS;
	     tok = strtok_r(NULL, " ", &save))
		w[nw++] = tok;
	if (nw < 2 || strcmp(w[0], "policy") != 0) {
		snprintf(why, whysz, "not \"policy KIND ...\"");
		return false;
	}
	for (size_t i = 0; i < sizeof(pol_fact_words) / sizeof(pol_fact_words[0]); i++)
		if (strcmp(w[1], pol_fact_words[i]) == 0)
			kind = (int)i;
	if (kind < 0) {
		snprintf(why, whysz, "unknown policy kind");
		return false;
	}
	f->kind = (enum policy_fact_kind)kind;
	need = f->kind == POLICY_FACT_TLSRPT				    ? 5
	       : f->kind == POLICY_FACT_ADDR || f->kind == POLICY_FACT_TLSA ? 7
									    : 6;
	if (f->kind == POLICY_FACT_TLSA && nw == need + 4) {
		/* HOST PORT ad|noad USAGE SELECTOR MATCHING HEX EXPIRES LEARNED */
		if (!pol_fact_assoc(w + 5, &f->tlsa)) {
			snprintf(why, whysz, "policy tlsa: bad association");
			return false;
		}
		need += 4;
	}
	if (nw != need) {
		snprintf(why, whysz, "policy %s: %zu words, expected %zu", w[1], nw, need);
		return false;
	}
	if (!pol_fact_name_ok(w[2])) {
		snprintf(why, whysz, "policy %s: bad name", w[1]);
		return false;
	}
	memcpy(f->name, w[2], strlen(w[2]) + 1);
	switch (f->kind) {
	case POLICY_FACT_MX:
	case POLICY_FACT_CNAME:
		if (!pol_fact_name_ok(w[3])) {
			snprintf(why, whysz, "policy %s: bad host name", w[1]);
			return false;
		}
		memcpy(f->value, w[3], strlen(w[3]) + 1);
		break;
	case POLICY_FACT_ADDR:
		if ((strcmp(w[3], "4") != 0 && strcmp(w[3], "6") != 0) ||
		    inet_pton(w[3][0] == '6' ? AF_INET6 : AF_INET, w[4], f->addr) != 1) {
			snprintf(why, whysz, "policy addr: bad family or address");
			return false;
		}
		f->family = (uint8_t)(w[3][0] - '0');
		break;
	case POLICY_FACT_STS:
		if (strcmp(w[3], "-") != 0) {
			if (!pol_fact_id_ok(w[3])) {
				snprintf(why, whysz, "policy sts: bad id");
				return false;
			}
			memcpy(f->value, w[3], strlen(w[3]) + 1);
		}
		break;
	case POLICY_FACT_TLSRPT:
		break;
	case POLICY_FACT_TLSA: {
		uint64_t port;

		if (!pol_fact_u64(w[3], &port) || port == 0 || port > 65535 ||
		    (strcmp(w[4], "ad") != 0 && strcmp(w[4], "noad") != 0)) {
			snprintf(why, whysz, "policy tlsa: bad port or ad|noad");
			return false;
		}
		f->port = (uint16_t)port;
		f->ad = strcmp(w[4], "ad") == 0;
		break;
	}
	}
	if (!pol_fact_u64(w[need - 2], &f->expires_us) ||
	    !pol_fact_u64(w[need - 1], &f->learned_us) || f->expires_us == 0 ||
	    f->learned_us > f->expires_us) {
		snprintf(why, whysz, "policy %s: bad times (EXPIRES LEARNED, learned first)", w[1]);
		return false;
	}
	return true;
}

bool
policy_fact_put(struct policy *p, const struct policy_fact *f, enum policy_source origin)
{
	struct pol_entry e;
	uint64_t now = p->now_us > p->clock_us ? p->now_us : p->clock_us;

	if ((unsigned)f->kind > POLICY_FACT_TLSA || f->expires_us < now ||
	    !pol_fact_name_ok(f->name))
		return false;
	memset(&e, 0, sizeof(e));
	memcpy(e.name, f->name, sizeof(e.name));
	e.name[sizeof(e.name) - 1] = '\0';
	switch (f->kind) {
	case POLICY_FACT_MX:
	case POLICY_FACT_CNAME:
	case POLICY_FACT_STS:
		memcpy(e.v.host, f->value, sizeof(e.v.host));
		e.v.host[sizeof(e.v.host) - 1] = '\0';
		break;
	case POLICY_FACT_ADDR:
		if (f->family != 4 && f->family != 6)
			return false;
		e.family = f->family;
		memcpy(e.v.addr, f->addr, sizeof(e.v.addr));
		break;
	case POLICY_FACT_TLSA:
		e.v.tlsa = f->tlsa;
		break;
	case POLICY_FACT_TLSRPT:
		break;
	}
	e.port = f->port;
	e.ad = f->ad;
	e.expires_us = f->expires_us;
	e.learned_us = f->learned_us;
	e.origin = (uint8_t)origin;
	e.hash = pol_hash(e.name);
	pol_put(p, pol_fact_tables[f->kind], &e);
	return true;
}

void
policy_facts_each(const struct policy *p, void (*fn)(void *ctx, const struct policy_fact *f),
		  void *ctx)
{
	uint64_t now = p->now_us > p->clock_us ? p->now_us : p->clock_us;

	for (int k = 0; k < PK_COUNT; k++)
		for (size_t i = 0; i < p->t[k].cap; i++) {
			const struct pol_entry *e = &p->t[k].e[i];
			struct policy_fact f;

			if (e->expires_us == 0 || e->expires_us < now)
				continue;
			pol_to_fact((enum pol_kind)k, e, &f);
			fn(ctx, &f);
		}
}

void
policy_on_learn(struct policy *p,
		void (*fn)(void *ctx, const struct policy_fact *f, uint32_t ttl_s), void *ctx)
{
	p->on_learn = fn;
	p->on_learn_ctx = ctx;
}

void
policy_clock(struct policy *p, uint64_t ts_us)
{
	if (ts_us > p->clock_us)
		p->clock_us = ts_us;
	if (p->clock_started)
		return;
	p->clock_started = true;
	for (int k = 0; k < PK_COUNT; k++)
		for (size_t i = 0; i < p->t[k].cap; i++) {
			const struct pol_entry *e = &p->t[k].e[i];

			if (e->expires_us != 0 && e->expires_us < ts_us) {
				pol_slot_clear(&p->t[k], i);
				p->st.facts_expired++;
			}
		}
}
