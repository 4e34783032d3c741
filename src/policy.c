/*
 * policy.c - mail policies (MTA-STS, DANE, TLSRPT) from DNS answers and the
 * operator's --policy file, and the verdict they give SMTP sessions. The
 * what and why are in include/policy.h; the alert rules in
 * docs/indicators.md.
 *
 * Storage: one fixed table per kind of record, entries found by a linear
 * scan guarded by a 32-bit hash of the key (the tables are small, and
 * only DNS responses and SMTP sessions to port 25 look). An entry's
 * expires_us is 0 when the slot is free, UINT64_MAX never.
 */
#include "policy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "cursor.h"
#include "smtp.h"
#include "verdict.h"

enum pol_kind {
	PK_MX = 0, /* name: domain, v.host: an MX host */
	PK_ADDR,   /* name: host, v.addr */
	PK_CNAME,  /* name: alias, v.host: target */
	PK_STS,	   /* name: domain that announced MTA-STS; v.host: its id */
	PK_TLSRPT, /* name: domain that asks for TLS reports */
	PK_TLSA,   /* name: host, port: the service port; ad */
	PK_COUNT,
};

struct pol_entry {
	uint64_t expires_us;
	uint64_t learned_us; /* when this record was first stored */
	uint64_t told_us;    /* the expiry last told (policy_on_learn); 0 never */
	uint32_t hash;
	uint16_t port;
	uint8_t family;
	bool ad;
	uint8_t origin; /* enum policy_source: DNS (this run), STATE or SHARED */
	char name[POLICY_NAME_MAX];
	union {
		char host[POLICY_NAME_MAX];
		uint8_t addr[16];
		struct policy_tlsa tlsa;
	} v;
};

/*
 * A table is an array of slots (round-robin eviction, expiry in place),
 * with two chained hash indexes over the slots a record was ever placed
 * in: by name, and by value for the kinds looked up by value (MX and
 * CNAME by target host, ADDR by address). Lookups walk one chain and
 * return slots in ascending order, as a scan of the array would: the
 * judgement does not depend on the index. Chains hold slot + 1 (0 ends).
 */
struct pol_table {
	struct pol_entry *e;
	size_t cap;
	size_t next; /* the next victim when full: the oldest-placed */
	uint64_t evicted;
	uint32_t mask;			 /* buckets - 1 */
	uint32_t *name_head, *name_next; /* by pol_hash(name) */
	uint32_t *val_head, *val_next;	 /* by pol_val_hash (MX, CNAME, ADDR) */
	uint8_t *indexed;		 /* slot is on its chains */
};

struct pol_file {
	char domain[POLICY_NAME_MAX];
	struct policy_sts sts;
};

/* A sender's fetch of a domain's MTA-STS policy (policy.h). */
struct pol_fetch {
	char domain[POLICY_NAME_MAX];
	uint64_t ts_us;	     /* the fetch session's first packet */
	uint64_t session_id; /* that session's */
};

struct policy {
	struct pol_table t[PK_COUNT];
	struct pol_fetch fetch[POLICY_FETCHES]; /* a ring, oldest overwritten */
	size_t fetch_next;
	struct pol_file *file;
	size_t n_file;
	uint64_t now_us;   /* the latest DNS packet time seen */
	uint64_t until_us; /* while judging: the session's last packet time */
	uint64_t clock_us; /* the latest packet time (policy_clock) */
	bool clock_started;
	void (*on_learn)(void *ctx, const struct policy_fact *f, uint32_t ttl_s);
	void *on_learn_ctx;
	struct policy_stats st;
};

/* ---- Names ------------------------------------------------------------------ */

static uint32_t
pol_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

/* ---- The index ------------------------------------------------------------------- */

static bool
pol_by_value(enum pol_kind k)
{
	return k == PK_MX || k == PK_CNAME || k == PK_ADDR;
}

static uint32_t
pol_addr_hash(uint8_t family, const uint8_t *addr)
{
	uint32_t h = 2166136261u ^ family;

	for (int i = 0; i < (family == 6 ? 16 : 4); i++)
		h = (h ^ addr[i]) * 16777619u;
	return h;
}

static uint32_t
pol_val_hash(enum pol_kind k, const struct pol_entry *e)
{
	return k == PK_ADDR ? pol_addr_hash(e->family, e->v.addr) : pol_hash(e->v.host);
}

static void
pol_chain_add(uint32_t *head, uint32_t *next, uint32_t b, size_t slot)
{
	next[slot] = head[b];
	head[b] = (uint32_t)slot + 1;
}

static void
pol_chain_del(uint32_t *head, uint32_t *next, uint32_t b, size_t slot)
{
	uint32_t *at = &head[b];

	while (*at && *at != slot + 1)
		at = &next[*at - 1];
	if (*at)
		*at = next[slot];
}

/* Takes slot i off its chains (before it is overwritten). */
static void
pol_unindex(struct pol_table *t, enum pol_kind k, size_t i)
{
	if (!t->indexed[i])
		return;
	pol_chain_del(t->name_head, t->name_next, t->e[i].hash & t->mask, i);
	if (pol_by_value(k))
		pol_chain_del(t->val_head, t->val_next, pol_val_hash(k, &t->e[i]) & t->mask, i);
	t->indexed[i] = 0;
}

/* Puts slot i on its chains (after it was written). */
static void
pol_index(struct pol_table *t, enum pol_kind k, size_t i)
{
	pol_chain_add(t->name_head, t->name_next, t->e[i].hash & t->mask, i);
	if (pol_by_value(k))
		pol_chain_add(t->val_head, t->val_next, pol_val_hash(k, &t->e[i]) & t->mask, i);
	t->indexed[i] = 1;
}

/* Overwrites slot i with in, keeping the index right. */
static void
pol_slot_write(struct pol_table *t, enum pol_kind k, size_t i, const struct pol_entry *in)
{
	pol_unindex(t, k, i);
	t->e[i] = *in;
	pol_index(t, k, i);
}

static bool
pol_table_init(struct pol_table *t, size_t cap)
{
	size_t buckets = 16;

	while (buckets < 2 * cap)
		buckets *= 2;
	t->cap = cap;
	t->mask = (uint32_t)(buckets - 1);
	t->e = calloc(cap, sizeof(struct pol_entry));
	t->name_head = calloc(buckets, sizeof(uint32_t));
	t->val_head = calloc(buckets, sizeof(uint32_t));
	t->name_next = calloc(cap, sizeof(uint32_t));
	t->val_next = calloc(cap, sizeof(uint32_t));
	t->indexed = calloc(cap, 1);
	return t->e && t->name_head && t->val_head && t->name_next && t->val_next && t->indexed;
}

static void
pol_table_free(struct pol_table *t)
{
	free(t->e);
	free(t->name_head);
	free(t->val_head);
	free(t->name_next);
	free(t->val_next);
	free(t->indexed);
}

/* Copies a name lower case, without a final dot; false when it does not fit
 * or is empty. */
static bool
pol_name(char *out, const char *in)
{
	size_t n = strlen(in);

	if (n > 0 && in[n - 1] == '.')
		n--;
	if (n == 0 || n >= POLICY_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = in[i];

		out[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	out[n] = '\0';
	return true;
}

/* The name after a prefix ("_mta-sts.", "_smtp._tls."), or NULL. */
static const char *
pol_after(const char *name, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(name, prefix, n) == 0 && name[n] ? name + n : NULL;
}

/* "_25._tcp.mx.example.org" -> port 25, "mx.example.org"; NULL otherwise. */
static const char *
pol_tlsa_host(const char *name, uint16_t *port)
{
	unsigned v = 0;
	size_t i = 1;

	if (name[0] != '_')
		return NULL;
	for (; name[i] >= '0' && name[i] <= '9' && i < 7; i++)
		v = v * 10 + (unsigned)(name[i] - '0');
	if (i == 1 || v == 0 || v > 65535)
		return NULL;
	if (strncmp(name + i, "._tcp.", 6) != 0 || !name[i + 6])
		return NULL;
	*port = (uint16_t)v;
	return name + i + 6;
}

/* ---- Tables ------------------------------------------------------------------- */

void
policy_limits_defaults(struct policy_limits *l)
{
	l->mx = 2048;
	l->addr = 4096;
	l->cname = 1024;
	l->sts = 1024;
	l->tlsrpt = 1024;
	l->tlsa = 1024;
}

struct policy *
policy_new(const struct policy_limits *lim)
{
	struct policy_limits d;
	struct policy *p = calloc(1, sizeof(*p));
	size_t caps[PK_COUNT];

	if (!p)
		return NULL;
	if (!lim) {
		policy_limits_defaults(&d);
		lim = &d;
	}
	caps[PK_MX] = lim->mx;
	caps[PK_ADDR] = lim->addr;
	caps[PK_CNAME] = lim->cname;
	caps[PK_STS] = lim->sts;
	caps[PK_TLSRPT] = lim->tlsrpt;
	caps[PK_TLSA] = lim->tlsa;
	for (int k = 0; k < PK_COUNT; k++)
		if (!pol_table_init(&p->t[k], caps[k] ? caps[k] : 1))
			goto fail;
	return p;
fail:
	policy_free(p);
	return NULL;
}

void
policy_free(struct policy *p)
{
	if (!p)
		return;
	for (int k = 0; k < PK_COUNT; k++)
		pol_table_free(&p->t[k]);
	free(p->file);
	free(p);
}

/* Is the entry the same record (key and value)? */
static bool
pol_same(enum pol_kind k, const struct pol_entry *a, const struct pol_entry *b)
{
	if (a->hash != b->hash || strcmp(a->name, b->name) != 0)
		return false;
	switch (k) {
	case PK_MX:
	case PK_CNAME:
		return strcmp(a->v.host, b->v.host) == 0;
	case PK_ADDR:
		return a->family == b->family &&
		       memcmp(a->v.addr, b->v.addr, a->family == 6 ? 16 : 4) == 0;
	case PK_TLSA:
		return a->port == b->port && memcmp(&a->v.tlsa, &b->v.tlsa, sizeof(a->v.tlsa)) == 0;
	case PK_STS:
	case PK_TLSRPT:
	case PK_COUNT:
		break;
	}
	return true;
}

static void pol_to_fact(enum pol_kind k, const struct pol_entry *e, struct policy_fact *f);

/* A record this run learned from DNS, to whoever wants to know
 * (policy_on_learn). */
static void
pol_tell(struct policy *p, enum pol_kind k, struct pol_entry *e)
{
	struct policy_fact f;
	uint64_t ttl;

	if (!p->on_learn)
		return;
	e->told_us = e->expires_us;
	pol_to_fact(k, e, &f);
	ttl = e->expires_us > p->now_us ? (e->expires_us - p->now_us) / 1000000u : 0;
	if (ttl == 0)
		ttl = 1; /* the answer's own TTL was 0: a second, not forever */
	if (ttl > UINT32_MAX)
		ttl = UINT32_MAX;
	p->on_learn(p->on_learn_ctx, &f, (uint32_t)ttl);
}

/* A fact from --state or another sensor for a record already stored: it
 * may live longer; the earliest learning counts; a record of this run's
 * DNS stays this run's. */
static void
pol_merge(struct policy *p, enum pol_kind k, struct pol_entry *e, const struct pol_entry *in)
{
	uint64_t now = p->now_us > p->clock_us ? p->now_us : p->clock_us;

	if (e->expires_us < now) {
		/* the stored one had expired: the fact replaces it (the same
		 * name and value, pol_same: its chains stay right) */
		*e = *in;
		p->st.facts_stored++;
		return;
	}
	if (in->learned_us < e->learned_us)
		e->learned_us = in->learned_us;
	if (in->expires_us > e->expires_us) {
		e->expires_us = in->expires_us;
		e->ad = in->ad;
		if (k == PK_STS)
			memcpy(e->v.host, in->v.host, sizeof(e->v.host));
	}
	p->st.facts_stored++;
}

/* Stores (or refreshes) one record; a full table gives up its oldest-placed
 * entry, counted. */
static void
pol_put(struct policy *p, enum pol_kind k, const struct pol_entry *in)
{
	struct pol_table *t = &p->t[k];
	struct pol_entry *free_slot = NULL, *expired = NULL;

	for (size_t i = 0; i < t->cap; i++) {
		struct pol_entry *e = &t->e[i];

		if (e->expires_us == 0) {
			if (!free_slot)
				free_slot = e;
			continue;
		}
		if (pol_same(k, e, in)) {
			if (in->origin != POLICY_SOURCE_DNS) {
				pol_merge(p, k, e, in);
				return;
			}
			/* Expired: the answer is stored anew in a slot of its
			 * own, and this one stays (reused only as any expired
			 * slot is) for the sessions it covered that are judged
			 * later (the front of --threads): moving its
			 * learned_us would hide it from them. */
			if (e->expires_us < p->now_us) {
				if (!expired)
					expired = e;
				continue;
			}
			/* An answer from before the newest DNS time seen (the
			 * times went back between capture files: in->learned_us
			 * is the answer's own time) changes nothing: it would
			 * shorten the life that sessions judged later count on. */
			if (in->learned_us < p->now_us)
				return;
			/* The newest answer decides (a later one without AD,
			 * a shorter TTL), as a cache would. Once expired, the
			 * record starts anew (above): a session that ended
			 * before this answer must not see it (whenever it is
			 * judged). */
			/* Told again only when it changed, or when what was
			 * told has less than half of the new life left: the
			 * same answer repeated to many clients is told once. */
			bool retell = e->ad != in->ad || e->origin != POLICY_SOURCE_DNS ||
				      in->expires_us < e->told_us ||
				      (k == PK_STS && strcmp(e->v.host, in->v.host) != 0) ||
				      e->told_us < p->now_us + (in->expires_us - p->now_us) / 2;

			e->expires_us = in->expires_us;
			e->ad = in->ad;
			e->origin = POLICY_SOURCE_DNS;
			if (k == PK_STS)
				memcpy(e->v.host, in->v.host, sizeof(e->v.host));
			p->st.records_learned++;
			if (retell)
				pol_tell(p, k, e);
			return;
		}
		if (!expired && e->expires_us < p->now_us)
			expired = e;
	}
	if (!free_slot && expired) {
		free_slot = expired;
		p->st.expired_reused++;
	}
	if (!free_slot) {
		/* Full: the oldest-placed entry goes (round robin). */
		free_slot = &t->e[t->next];
		t->next = (t->next + 1) % t->cap;
		t->evicted++;
		p->st.evicted++;
	}
	pol_slot_write(t, k, (size_t)(free_slot - t->e), in);
	if (in->origin != POLICY_SOURCE_DNS) {
		p->st.facts_stored++;
		return; /* learned_us: when it was learned elsewhere */
	}
	/* After the times went back (capture files read in a row: the
	 * answer's time in->learned_us is before the latest packet time),
	 * just after the latest packet time: a session that ended before
	 * this answer was read must not see it (whenever it is judged). */
	uint64_t latest = p->now_us > p->clock_us ? p->now_us : p->clock_us;

	free_slot->learned_us = in->learned_us < latest ? latest + 1 : latest;
	p->st.records_learned++;
	pol_tell(p, k, free_slot);
}

/* Is the entry valid for a session from t to until: stored before the
 * session ended, not expired when it began? Entries stored later are not
 * looked at, so the judgement is the same whenever the session is judged
 * (at once, or later by the front of --threads). */
static bool
pol_live(const struct pol_entry *e, uint64_t t, uint64_t until)
{
	return e->expires_us != 0 && e->expires_us >= t && e->learned_us <= until;
}

/* The first live entry of kind k named name at time t after *from (an
 * index, updated); NULL when none is left. */
static const struct pol_entry *
pol_next(const struct policy *p, enum pol_kind k, const char *name, uint64_t t, size_t *from)
{
	uint64_t until = p->until_us;
	const struct pol_table *tb = &p->t[k];
	uint32_t h = pol_hash(name);
	size_t best = tb->cap;

	/* The lowest matching slot from *from on: a scan's order. */
	for (uint32_t c = tb->name_head[h & tb->mask]; c; c = tb->name_next[c - 1]) {
		size_t i = c - 1;
		const struct pol_entry *e = &tb->e[i];

		if (i < *from || i >= best || !pol_live(e, t, until) || e->hash != h ||
		    strcmp(e->name, name) != 0)
			continue;
		best = i;
	}
	if (best == tb->cap) {
		*from = tb->cap;
		return NULL;
	}
	*from = best + 1;
	return &tb->e[best];
}

/* The lowest slot after `after` (SIZE_MAX: from the start) of an MX or
 * CNAME table whose target host is one of hosts[0..n), live for t; cap
 * when none. */
static size_t
pol_next_by_host(const struct policy *p, enum pol_kind k, char hosts[][POLICY_NAME_MAX], size_t n,
		 uint64_t t, size_t after)
{
	const struct pol_table *tb = &p->t[k];
	size_t best = tb->cap;

	for (size_t j = 0; j < n; j++) {
		uint32_t h = pol_hash(hosts[j]);

		for (uint32_t c = tb->val_head[h & tb->mask]; c; c = tb->val_next[c - 1]) {
			size_t i = c - 1;
			const struct pol_entry *e = &tb->e[i];

			if ((after != SIZE_MAX && i <= after) || i >= best ||
			    !pol_live(e, t, p->until_us) || strcmp(e->v.host, hosts[j]) != 0)
				continue;
			best = i;
		}
	}
	return best;
}

static const struct pol_entry *
pol_find(const struct policy *p, enum pol_kind k, const char *name, uint64_t t)
{
	size_t from = 0;

	return pol_next(p, k, name, t, &from);
}

/* ---- Learning from DNS ----------------------------------------------------------- */

/* TXT text that starts with tag ("v=STSv1"), followed by ';', space or the
 * end (RFC 8461 3.1, RFC 8460 3: the version comes first). */
static bool
pol_txt_is(const char *text, size_t n, const char *tag)
{
	size_t tn = strlen(tag);

	if (n < tn || strncmp(text, tag, tn) != 0)
		return false;
	return n == tn || text[tn] == ';' || text[tn] == ' ' || text[tn] == '\t';
}

/* The id= of an STSv1 record into out (at most 32 characters, RFC 8461
 * 3.1: 1*32(ALPHA / DIGIT)); "" when absent or malformed. */
static void
pol_sts_id(const char *text, size_t n, char *out, size_t outsz)
{
	out[0] = '\0';
	for (size_t i = 0; i + 3 <= n; i++) {
		size_t j, k = 0;

		if (strncmp(text + i, "id=", 3) != 0 ||
		    (i > 0 && text[i - 1] != ';' && text[i - 1] != ' ' && text[i - 1] != '\t'))
			continue;
		for (j = i + 3; j < n && k + 1 < outsz && k < 32; j++) {
			char c = text[j];

			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			      (c >= '0' && c <= '9')))
				break;
			out[k++] = c;
		}
		out[k] = '\0';
		return;
	}
}

/* The name a record of the message counts for: the question's when the
 * record's owner is reached from it through the message's CNAMEs. */
static const char *
pol_effective_name(const struct dns_msg *m, const char *owner, char *qbuf)
{
	char cur[POLICY_NAME_MAX];

	if (!m->has_question || !pol_name(qbuf, m->qname) || !pol_name(cur, owner))
		return owner;
	if (strcmp(cur, qbuf) == 0)
		return qbuf;
	{
		char at[POLICY_NAME_MAX];

		memcpy(at, qbuf, sizeof(at));
		for (int hop = 0; hop < POLICY_CNAME_HOPS; hop++) {
			bool moved = false;

			for (unsigned i = 0; i < m->n_rr; i++) {
				char o[POLICY_NAME_MAX], tg[POLICY_NAME_MAX];

				if (m->rr[i].type != DNS_TYPE_CNAME ||
				    !pol_name(o, m->rr[i].name) || strcmp(o, at) != 0 ||
				    !pol_name(tg, m->rr[i].u.target))
					continue;
				memcpy(at, tg, sizeof(at));
				moved = true;
				break;
			}
			if (!moved)
				break;
			if (strcmp(at, cur) == 0)
				return qbuf;
		}
	}
	return owner;
}

/* A TLSA answer's association, as struct policy_tlsa keeps it. */
static void
pol_tlsa_assoc(struct policy_tlsa *a, const struct dns_rr *rr)
{
	uint8_t md[32];
	unsigned mdlen = 0;

	memset(a, 0, sizeof(*a));
	a->usage = rr->u.tlsa.usage;
	a->selector = rr->u.tlsa.selector;
	a->matching = rr->u.tlsa.matching;
	if ((a->usage != 2 && a->usage != 3) || a->selector > 1)
		return;
	switch (a->matching) {
	case 0:
		if (rr->u.tlsa.len == 0 || rr->u.tlsa.len > DNS_TLSA_KEEP ||
		    !EVP_Digest(rr->u.tlsa.data, rr->u.tlsa.len, md, &mdlen, EVP_sha256(), NULL) ||
		    mdlen != 32)
			return;
		memcpy(a->data, md, 32);
		break;
	case 1:
	case 2:
		if (rr->u.tlsa.len != (a->matching == 1 ? 32 : 64))
			return;
		memcpy(a->data, rr->u.tlsa.data, 32);
		break;
	default:
		return;
	}
	a->usable = true;
}

void
policy_learn_msg(struct policy *p, const struct dns_msg *m, uint64_t ts_us)
{
	uint64_t before = p->st.records_learned;

	if (ts_us > p->now_us)
		p->now_us = ts_us;
	if (!m->response || m->opcode != 0 || m->rcode != 0)
		return;
	for (unsigned i = 0; i < m->n_rr; i++) {
		const struct dns_rr *rr = &m->rr[i];
		struct pol_entry e;
		char qbuf[POLICY_NAME_MAX];
		const char *owner = pol_effective_name(m, rr->name, qbuf);
		const char *d;

		if (rr->rclass != 1)
			continue; /* IN only */
		memset(&e, 0, sizeof(e));
		if (!pol_name(e.name, owner))
			continue;
		e.expires_us = ts_us + (uint64_t)rr->ttl * 1000000u;
		if (e.expires_us == 0)
			e.expires_us = 1;
		e.learned_us = ts_us; /* pol_put: the answer's time (not what is stored) */
		e.ad = m->ad;
		e.origin = POLICY_SOURCE_DNS;
		switch (rr->type) {
		case DNS_TYPE_MX:
			if (!pol_name(e.v.host, rr->u.mx.host) || strcmp(e.v.host, ".") == 0)
				continue; /* a null MX (RFC 7505) names no host */
			e.hash = pol_hash(e.name);
			pol_put(p, PK_MX, &e);
			break;
		case DNS_TYPE_A:
		case DNS_TYPE_AAAA:
			if (!pol_name(e.name, rr->name))
				continue; /* addresses belong to their own owner */
			e.family = rr->type == DNS_TYPE_A ? 4 : 6;
			memcpy(e.v.addr, rr->u.addr, e.family == 4 ? 4 : 16);
			e.hash = pol_hash(e.name);
			pol_put(p, PK_ADDR, &e);
			break;
		case DNS_TYPE_CNAME:
			if (!pol_name(e.name, rr->name) || !pol_name(e.v.host, rr->u.target))
				continue;
			e.hash = pol_hash(e.name);
			pol_put(p, PK_CNAME, &e);
			break;
		case DNS_TYPE_TXT:
			if (rr->u.txt.cut)
				continue;
			if ((d = pol_after(e.name, "_mta-sts.")) != NULL &&
			    pol_txt_is(rr->u.txt.text, rr->u.txt.len, "v=STSv1")) {
				char id[33];

				pol_sts_id(rr->u.txt.text, rr->u.txt.len, id, sizeof(id));
				memmove(e.name, d, strlen(d) + 1);
				memcpy(e.v.host, id, sizeof(id));
				e.hash = pol_hash(e.name);
				pol_put(p, PK_STS, &e);
			} else if ((d = pol_after(e.name, "_smtp._tls.")) != NULL &&
				   pol_txt_is(rr->u.txt.text, rr->u.txt.len, "v=TLSRPTv1")) {
				memmove(e.name, d, strlen(d) + 1);
				e.hash = pol_hash(e.name);
				pol_put(p, PK_TLSRPT, &e);
			}
			break;
		case DNS_TYPE_TLSA:
			if ((d = pol_tlsa_host(e.name, &e.port)) == NULL)
				continue;
			memmove(e.name, d, strlen(d) + 1);
			pol_tlsa_assoc(&e.v.tlsa, rr);
			e.hash = pol_hash(e.name);
			pol_put(p, PK_TLSA, &e);
			break;
		default:
			break;
		}
	}
	if (p->st.records_learned != before)
		p->st.answers_learned++;
}

bool
policy_learn_bytes(struct policy *p, const uint8_t *msg, size_t n, uint64_t ts_us)
{
	struct dns_msg m;

	if (!dns_looks_like_message(msg, n) || !dns_msg_parse(msg, n, &m))
		return false;
	policy_learn_msg(p, &m, ts_us);
	return true;
}

/* ---- The operator's file ----------------------------------------------------------- */

bool
policy_mx_match(const char *pattern, const char *host)
{
	char pat[POLICY_NAME_MAX], h[POLICY_NAME_MAX];
	const char *dot;

	if (!pol_name(pat, pattern) || !pol_name(h, host))
		return false;
	if (strncmp(pat, "*.", 2) != 0)
		return strcmp(pat, h) == 0;
	/* "*.example.net": one label, then exactly the rest (RFC 8461 4.1). */
	dot = strchr(h, '.');
	return dot && dot != h && strcmp(dot + 1, pat + 2) == 0;
}

/* A name as the file may give it: letters, digits, '-', '.', '_'; with
 * star, a leading "*." too. */
static bool
pol_valid_name(const char *s, bool star)
{
	size_t n = strlen(s);

	if (star && strncmp(s, "*.", 2) == 0)
		s += 2, n -= 2;
	if (n == 0 || n >= POLICY_NAME_MAX || s[0] == '.' || strstr(s, ".."))
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '.' || c == '_'))
			return false;
	}
	return true;
}

static bool
pol_mode_parse(const char *s, size_t n, enum sts_mode *m)
{
	if (n == 7 && strncmp(s, "enforce", 7) == 0)
		*m = STS_ENFORCE;
	else if (n == 7 && strncmp(s, "testing", 7) == 0)
		*m = STS_TESTING;
	else if (n == 4 && strncmp(s, "none", 4) == 0)
		*m = STS_NONE;
	else
		return false;
	return true;
}

/* Trims spaces and tabs at both ends of t[*a..*b). */
static void
pol_trim(const char *t, size_t *a, size_t *b)
{
	while (*a < *b && (t[*a] == ' ' || t[*a] == '\t'))
		(*a)++;
	while (*b > *a && (t[*b - 1] == ' ' || t[*b - 1] == '\t' || t[*b - 1] == '\r'))
		(*b)--;
}

int
policy_parse_sts(const char *t, size_t n, struct policy_sts *out, char *err, size_t errsz)
{
	bool version = false, mode = false, age = false;
	size_t pos = 0;
	unsigned line = 0;

	memset(out, 0, sizeof(*out));
	while (pos < n) {
		const char *nl = memchr(t + pos, '\n', n - pos);
		size_t end = nl ? (size_t)(nl - t) : n, a = pos, b = end, colon, ka, kb, va, vb;

		line++;
		pos = nl ? end + 1 : n;
		pol_trim(t, &a, &b);
		if (a == b)
			continue;
		for (colon = a; colon < b && t[colon] != ':'; colon++)
			;
		if (colon == b) {
			snprintf(err, errsz, "line %u: not \"key: value\"", line);
			return -1;
		}
		ka = a, kb = colon, va = colon + 1, vb = b;
		pol_trim(t, &ka, &kb);
		pol_trim(t, &va, &vb);
		if (kb - ka == 7 && strncmp(t + ka, "version", 7) == 0) {
			if (vb - va != 5 || strncmp(t + va, "STSv1", 5) != 0) {
				snprintf(err, errsz, "line %u: version is not STSv1", line);
				return -1;
			}
			version = true;
		} else if (kb - ka == 4 && strncmp(t + ka, "mode", 4) == 0) {
			if (!pol_mode_parse(t + va, vb - va, &out->mode)) {
				snprintf(err, errsz,
					 "line %u: mode is not enforce, testing or none", line);
				return -1;
			}
			mode = true;
		} else if (kb - ka == 2 && strncmp(t + ka, "mx", 2) == 0) {
			char pat[POLICY_NAME_MAX];

			if (vb - va >= sizeof(pat)) {
				snprintf(err, errsz, "line %u: mx pattern too long", line);
				return -1;
			}
			memcpy(pat, t + va, vb - va);
			pat[vb - va] = '\0';
			if (!pol_valid_name(pat, true)) {
				snprintf(err, errsz, "line %u: bad mx pattern", line);
				return -1;
			}
			if (out->n_mx < POLICY_MX_PATTERNS)
				memcpy(out->mx[out->n_mx++], pat, sizeof(pat));
		} else if (kb - ka == 7 && strncmp(t + ka, "max_age", 7) == 0) {
			uint64_t v = 0;

			if (va == vb || vb - va > 10) {
				snprintf(err, errsz, "line %u: max_age is not a number", line);
				return -1;
			}
			for (size_t i = va; i < vb; i++) {
				if (t[i] < '0' || t[i] > '9') {
					snprintf(err, errsz, "line %u: max_age is not a number",
						 line);
					return -1;
				}
				v = v * 10 + (uint64_t)(t[i] - '0');
			}
			if (v > 31557600) {
				snprintf(err, errsz,
					 "line %u: max_age over 31557600 (RFC 8461 3.2)", line);
				return -1;
			}
			out->max_age = (uint32_t)v;
			age = true;
		}
		/* Other keys: extensions, ignored (RFC 8461 3.2). */
	}
	if (!version || !mode || !age) {
		snprintf(err, errsz, "missing %s",
			 !version ? "version: STSv1"
			 : !mode  ? "mode"
				  : "max_age");
		return -1;
	}
	if (out->mode != STS_NONE && out->n_mx == 0) {
		snprintf(err, errsz, "no mx pattern (needed unless mode is none)");
		return -1;
	}
	return 0;
}

/* Reads a whole file of at most max bytes into a buffer the caller frees. */
static char *
pol_slurp(const char *path, size_t max, size_t *n, char *err, size_t errsz)
{
	FILE *f = fopen(path, "rb");
	char *buf;

	if (!f) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		return NULL;
	}
	buf = malloc(max + 1);
	if (!buf) {
		fclose(f);
		snprintf(err, errsz, "%s: out of memory", path);
		return NULL;
	}
	*n = fread(buf, 1, max + 1, f);
	if (ferror(f) || *n > max) {
		snprintf(err, errsz, "%s: %s", path, ferror(f) ? "read error" : "too large");
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	buf[*n] = '\0';
	return buf;
}

/* Adds (or replaces) a domain of the file. */
static int
pol_file_add(struct policy *p, const char *domain, const struct policy_sts *sts)
{
	struct pol_file *f;

	for (size_t i = 0; i < p->n_file; i++)
		if (strcmp(p->file[i].domain, domain) == 0) {
			p->file[i].sts = *sts;
			return 0;
		}
	if (p->n_file == POLICY_FILE_DOMAINS)
		return -1;
	if (p->n_file % 64 == 0) {
		struct pol_file *grown = realloc(p->file, (p->n_file + 64) * sizeof(*grown));

		if (!grown)
			return -1;
		p->file = grown;
	}
	f = &p->file[p->n_file++];
	memset(f, 0, sizeof(*f));
	pol_name(f->domain, domain);
	f->sts = *sts;
	p->st.file_domains = p->n_file;
	return 0;
}

#define POL_WORDS (2 + POLICY_MX_PATTERNS + 1)

/* One line of the list, split into words (at most POL_WORDS). */
static int
pol_file_line(struct policy *p, const char *dir, char **w, size_t nw, char *err, size_t errsz)
{
	struct policy_sts sts;
	enum sts_mode mode;

	memset(&sts, 0, sizeof(sts));
	if (nw < 2) {
		snprintf(err, errsz,
			 "expected \"DOMAIN MODE [MX-PATTERN ...]\" or "
			 "\"DOMAIN sts-file PATH\"");
		return -1;
	}
	if (!pol_valid_name(w[0], false)) {
		snprintf(err, errsz, "\"%.60s\" is not a domain name", w[0]);
		return -1;
	}
	if (strcmp(w[1], "sts-file") == 0) {
		char path[4096], sub[256];
		size_t n;
		char *body;

		if (nw != 3) {
			snprintf(err, errsz, "sts-file takes one PATH");
			return -1;
		}
		if (w[2][0] == '/' || !dir)
			snprintf(path, sizeof(path), "%s", w[2]);
		else
			snprintf(path, sizeof(path), "%s/%s", dir, w[2]);
		body = pol_slurp(path, POLICY_STS_BODY_MAX, &n, err, errsz);
		if (!body)
			return -1;
		if (policy_parse_sts(body, n, &sts, sub, sizeof(sub)) < 0) {
			snprintf(err, errsz, "%.200s: %s", path, sub);
			free(body);
			return -1;
		}
		free(body);
	} else {
		if (!pol_mode_parse(w[1], strlen(w[1]), &mode)) {
			snprintf(err, errsz, "mode \"%.20s\" is not enforce, testing or none",
				 w[1]);
			return -1;
		}
		sts.mode = mode;
		for (size_t i = 2; i < nw; i++) {
			if (i - 2 >= POLICY_MX_PATTERNS) {
				snprintf(err, errsz, "more than %d MX patterns",
					 POLICY_MX_PATTERNS);
				return -1;
			}
			if (!pol_valid_name(w[i], true)) {
				snprintf(err, errsz, "\"%.60s\" is not an MX pattern", w[i]);
				return -1;
			}
			pol_name(sts.mx[sts.n_mx++], w[i]);
		}
	}
	if (pol_file_add(p, w[0], &sts) < 0) {
		snprintf(err, errsz, "more than %d domains", POLICY_FILE_DOMAINS);
		return -1;
	}
	return 0;
}

int
policy_load_text(struct policy *p, const char *name, const char *dir, const char *t, size_t n,
		 char *err, size_t errsz)
{
	size_t pos = 0;
	unsigned line = 0;

	while (pos < n) {
		const char *nl = memchr(t + pos, '\n', n - pos);
		size_t end = nl ? (size_t)(nl - t) : n, len = end - pos;
		char buf[1024], sub[512], *w[POL_WORDS], *save = NULL, *tok;
		size_t nw = 0;

		line++;
		if (len >= sizeof(buf)) {
			snprintf(err, errsz, "%s:%u: line too long", name, line);
			return -1;
		}
		memcpy(buf, t + pos, len);
		buf[len] = '\0';
		pos = nl ? end + 1 : n;
		if (memchr(buf, '\0', len)) {
			snprintf(err, errsz, "%s:%u: a NUL byte", name, line);
			return -1;
		}
		if ((tok = strchr(buf, '#')) != NULL)
			*tok = '\0';
		for (tok = strtok_r(buf, " \t\r", &save); tok;
		     tok = strtok_r(NULL, " \t\r", &save)) {
			if (nw == POL_WORDS) {
				snprintf(err, errsz, "%s:%u: more than %d MX patterns", name, line,
					 POLICY_MX_PATTERNS);
				return -1;
			}
			w[nw++] = tok;
		}
		if (nw == 0)
			continue;
		if (pol_file_line(p, dir, w, nw, sub, sizeof(sub)) < 0) {
			snprintf(err, errsz, "%s:%u: %s", name, line, sub);
			return -1;
		}
	}
	return 0;
}

int
policy_load_file(struct policy *p, const char *path, char *err, size_t errsz)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	size_t n;
	char *text = pol_slurp(path, 16u << 20, &n, err, errsz);
	int r;

	if (!text)
		return -1;
	if (slash)
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	r = policy_load_text(p, path, slash ? (slash == path ? "/" : dir) : NULL, text, n, err,
			     errsz);
	free(text);
	return r;
}

/* ---- Judging ------------------------------------------------------------------------ */

void
policy_decide(enum sts_mode mta_sts, bool dane, enum verdict v, struct policy_decision *d)
{
	bool unprotected =
		v == VERDICT_CLEARTEXT || v == VERDICT_DOWNGRADED || v == VERDICT_TLS_FAILED;

	memset(d, 0, sizeof(*d));
	if (!unprotected)
		return; /* TLS, or not enough seen to tell (unknown) */
	switch (mta_sts) {
	case STS_ENFORCE:
		d->sts_alert = true;
		d->sts_severity = SEVERITY_CRITICAL;
		break;
	case STS_UNKNOWN:
		d->sts_alert = true;
		d->sts_severity = SEVERITY_HIGH;
		break;
	case STS_TESTING:
		d->sts_alert = true;
		d->sts_severity = SEVERITY_MEDIUM;
		break;
	case STS_NONE:
	case STS_ABSENT:
		break;
	}
	if (dane) {
		d->dane_alert = true;
		d->dane_severity = SEVERITY_CRITICAL;
	}
}

#define POL_HOSTS 8

#define POL_ASSOC 8 /* TLSA associations compared per MX */

/* What one candidate domain has. */
struct pol_cand {
	char domain[POLICY_NAME_MAX];
	char mx[POLICY_NAME_MAX]; /* the MX host the session went to, "" unknown */
	enum sts_mode sts;
	enum policy_source source;
	bool dane, tlsa_unvalidated, tlsrpt;
	uint64_t fetch_session; /* a sender's fetch of the MTA-STS policy: its session, 0 none */
	/* The validated TLSA associations of the MX an SMTP DANE client can use
	 * (struct policy_tlsa), and how many others it could not. */
	struct policy_tlsa assoc[POL_ASSOC];
	unsigned n_assoc, n_assoc_unusable;
	bool assoc_overflow; /* more usable ones than POL_ASSOC: not all compared */
	bool mx_known;	     /* mx is an MX of the domain (or the host with TLSA) */
	/* The operator's policy for the domain lists MX patterns (enforce or
	 * testing); mx_covered: one of them matches mx (RFC 8461 4.1). */
	bool mx_checked, mx_covered;
	const struct policy_sts *file_sts;
	char sts_id[33];
	uint8_t via; /* STATE or SHARED when a record used came from there, else 0 */
};

/* Notes where a record used for a candidate came from. */
static void
pol_via(uint8_t *via, uint8_t origin)
{
	if (!*via && origin != POLICY_SOURCE_DNS)
		*via = origin;
}

static int
pol_rank(const struct pol_cand *c)
{
	int r = c->dane ? 8 : 0;

	switch (c->sts) {
	case STS_ENFORCE:
		r += 5;
		break;
	case STS_UNKNOWN:
		r += 4;
		break;
	case STS_TESTING:
		r += 3;
		break;
	case STS_NONE:
		r += 2;
		break;
	case STS_ABSENT:
		break;
	}
	return r + (c->tlsrpt ? 1 : 0);
}

static const struct pol_file *
pol_file_find(const struct policy *p, const char *domain)
{
	for (size_t i = 0; i < p->n_file; i++)
		if (strcmp(p->file[i].domain, domain) == 0)
			return &p->file[i];
	return NULL;
}

/* Fills a candidate for domain reached through mx (may be ""). */
/* The session of the latest fetch of domain's MTA-STS policy that began by
 * t; 0 when none was seen. */
static uint64_t
pol_fetch_find(const struct policy *p, const char *domain, uint64_t t)
{
	const struct pol_fetch *best = NULL;

	for (size_t i = 0; i < POLICY_FETCHES; i++) {
		const struct pol_fetch *f = &p->fetch[i];

		if (f->session_id && f->ts_us <= t && strcmp(f->domain, domain) == 0 &&
		    (!best || f->ts_us > best->ts_us))
			best = f;
	}
	return best ? best->session_id : 0;
}

/* A TLS session to mta-sts.<domain> (SNI): a sender fetching the policy. */
static void
pol_fetch_note(struct policy *p, const struct session *s)
{
	struct pol_fetch *f;
	char name[POLICY_NAME_MAX];
	const char *d;

	if (!s->tf.client_hello || !s->tf.sni[0] || !pol_name(name, s->tf.sni) ||
	    (d = pol_after(name, "mta-sts.")) == NULL || !*d)
		return;
	f = &p->fetch[p->fetch_next];
	if (f->session_id)
		p->st.sts_fetches_forgotten++;
	snprintf(f->domain, sizeof(f->domain), "%s", d);
	f->ts_us = s->ts_first_us;
	f->session_id = s->id ? s->id : 1;
	p->fetch_next = (p->fetch_next + 1) % POLICY_FETCHES;
	p->st.sts_fetches++;
}

static void
pol_cand_fill(const struct policy *p, struct pol_cand *c, const char *domain, const char *mx,
	      uint16_t port, uint64_t t, uint8_t via)
{
	const struct pol_file *f = pol_file_find(p, domain);
	const struct pol_entry *e;
	size_t from = 0;

	memset(c, 0, sizeof(*c));
	snprintf(c->domain, sizeof(c->domain), "%s", domain);
	snprintf(c->mx, sizeof(c->mx), "%s", mx);
	c->via = via;
	if (f) {
		c->sts = f->sts.mode;
		c->source = POLICY_SOURCE_FILE;
		if ((c->sts == STS_ENFORCE || c->sts == STS_TESTING) && f->sts.n_mx > 0 && mx[0]) {
			c->mx_checked = true;
			c->file_sts = &f->sts;
			for (unsigned k = 0; k < f->sts.n_mx && !c->mx_covered; k++)
				c->mx_covered = policy_mx_match(f->sts.mx[k], mx);
		}
	} else if ((e = pol_find(p, PK_STS, domain, t)) != NULL) {
		c->sts = STS_UNKNOWN;
		c->source = POLICY_SOURCE_DNS;
		snprintf(c->sts_id, sizeof(c->sts_id), "%.32s", e->v.host);
		pol_via(&c->via, e->origin);
	}
	if ((c->fetch_session = pol_fetch_find(p, domain, t)) != 0 && c->sts == STS_ABSENT) {
		c->sts = STS_UNKNOWN;
		c->source = POLICY_SOURCE_SNI;
	}
	if ((e = pol_find(p, PK_TLSRPT, domain, t)) != NULL) {
		c->tlsrpt = true;
		pol_via(&c->via, e->origin);
		if (!c->source)
			c->source = POLICY_SOURCE_DNS;
	}
	while (mx[0] && (e = pol_next(p, PK_TLSA, mx, t, &from)) != NULL) {
		if (e->port != port)
			continue;
		if (e->ad) {
			c->dane = true;
			pol_via(&c->via, e->origin);
			if (e->v.tlsa.usable && c->n_assoc < POL_ASSOC)
				c->assoc[c->n_assoc++] = e->v.tlsa;
			else if (e->v.tlsa.usable)
				c->assoc_overflow = true;
			else
				c->n_assoc_unusable++;
		} else {
			c->tlsa_unvalidated = true;
		}
	}
	if (c->dane && !c->source)
		c->source = POLICY_SOURCE_DNS;
	if (c->source == POLICY_SOURCE_DNS && c->via)
		c->source = c->via; /* part of it remembered or shared */
}

/* Host names (hosts[0..*n)) with an address of the session's server,
 * and the aliases that lead to them. */
static void
pol_server_hosts(const struct policy *p, const struct session *s, uint64_t t,
		 char hosts[POL_HOSTS][POLICY_NAME_MAX], uint8_t via[POL_HOSTS], size_t *n)
{
	const struct pol_table *tb = &p->t[PK_ADDR];
	size_t alen = s->family == 6 ? 16 : 4;
	uint32_t ah = pol_addr_hash(s->family, s->server_ip);
	size_t i = SIZE_MAX;

	*n = 0;
	/* The server's address's entries, lowest slot first. */
	while (*n < POL_HOSTS) {
		const struct pol_entry *e;
		size_t best = tb->cap;
		bool dup = false;

		for (uint32_t c = tb->val_head[ah & tb->mask]; c; c = tb->val_next[c - 1]) {
			size_t k = c - 1;
			const struct pol_entry *x = &tb->e[k];

			if ((i != SIZE_MAX && k <= i) || k >= best ||
			    !pol_live(x, t, p->until_us) || x->family != s->family ||
			    memcmp(x->v.addr, s->server_ip, alen) != 0)
				continue;
			best = k;
		}
		if (best == tb->cap)
			break;
		i = best;
		e = &tb->e[i];
		for (size_t j = 0; j < *n; j++)
			dup = dup || strcmp(hosts[j], e->name) == 0;
		if (!dup) {
			via[*n] = 0;
			pol_via(&via[*n], e->origin);
			memcpy(hosts[(*n)++], e->name, POLICY_NAME_MAX);
		}
	}
	/* Aliases: an MX host that is a CNAME (RFC 2181 10.3 forbids it; it is
	 * seen), a few hops back. */
	for (int hop = 0; hop < POLICY_CNAME_HOPS; hop++) {
		const struct pol_table *ct = &p->t[PK_CNAME];
		size_t before = *n, ci = SIZE_MAX;

		/* The live aliases of the names so far (those added on the way
		 * included), lowest slot first: as a scan of the table. */
		while (*n < POL_HOSTS &&
		       (ci = pol_next_by_host(p, PK_CNAME, hosts, *n, t, ci)) < ct->cap) {
			const struct pol_entry *e = &ct->e[ci];
			bool dup = false;
			size_t hit = POL_HOSTS;

			for (size_t j = 0; j < *n; j++) {
				if (hit == POL_HOSTS && strcmp(hosts[j], e->v.host) == 0)
					hit = j;
				dup = dup || strcmp(hosts[j], e->name) == 0;
			}
			if (hit != POL_HOSTS && !dup) {
				via[*n] = via[hit];
				pol_via(&via[*n], e->origin);
				memcpy(hosts[(*n)++], e->name, POLICY_NAME_MAX);
			}
		}
		if (*n == before)
			break;
	}
}

/* The strongest policy that applies to the session, in *best; false when
 * none does. */
static bool
pol_find_best(const struct policy *p, const struct session *s, struct pol_cand *best)
{
	char hosts[POL_HOSTS][POLICY_NAME_MAX];
	uint8_t via[POL_HOSTS];
	size_t nh;
	uint64_t t = s->ts_first_us;
	const struct smtp_own *own = smtp_own_of(&s->pf);
	struct pol_cand c;
	bool found = false;

	pol_server_hosts(p, s, t, hosts, via, &nh);
#define POL_CONSIDER()                                                                             \
	do {                                                                                       \
		if ((c.source || c.dane) && (!found || pol_rank(&c) > pol_rank(best))) {           \
			*best = c;                                                                 \
			found = true;                                                              \
		}                                                                                  \
	} while (0)
	for (size_t h = 0; h < nh; h++) {
		const struct pol_table *mt = &p->t[PK_MX];
		bool as_mx = false;
		size_t mi = SIZE_MAX;

		while ((mi = pol_next_by_host(p, PK_MX, &hosts[h], 1, t, mi)) < mt->cap) {
			const struct pol_entry *e = &mt->e[mi];
			uint8_t v = via[h];

			as_mx = true;
			pol_via(&v, e->origin);
			pol_cand_fill(p, &c, e->name, hosts[h], s->server_port, t, v);
			c.mx_known = true;
			POL_CONSIDER();
		}
		for (size_t i = 0; i < p->n_file; i++)
			for (unsigned k = 0; k < p->file[i].sts.n_mx; k++)
				if (policy_mx_match(p->file[i].sts.mx[k], hosts[h])) {
					as_mx = true;
					pol_cand_fill(p, &c, p->file[i].domain, hosts[h],
						      s->server_port, t, via[h]);
					c.mx_known = true;
					POL_CONSIDER();
				}
		if (!as_mx) {
			/* A host with validated TLSA and no MX seen: DANE still
			 * binds it (its own name as the domain). */
			pol_cand_fill(p, &c, hosts[h], hosts[h], s->server_port, t, via[h]);
			c.mx_known = true;
			if (c.dane) {
				c.sts = STS_ABSENT;
				c.tlsrpt = false;
				POL_CONSIDER();
			}
		}
	}
	if (own->rcpt_domain[0]) {
		char d[POLICY_NAME_MAX];

		if (pol_name(d, own->rcpt_domain)) {
			pol_cand_fill(p, &c, d, nh ? hosts[0] : "", s->server_port, t,
				      nh ? via[0] : 0);
			if (!nh)
				c.dane = false;
			POL_CONSIDER();
		}
	}
#undef POL_CONSIDER
	return found;
}

/* "mail transferred (DATA/BDAT)" or what the sender did instead. */
static const char *
pol_mail_outcome(const struct session *s, const struct smtp_own *own)
{
	/* After STARTTLS the dialogue is encrypted: DATA is not seen. */
	if (s->verdict == VERDICT_STARTTLS || s->verdict == VERDICT_IMPLICIT_TLS)
		return "the dialogue went on encrypted (mail transfer not visible)";
	if (own->data)
		return "mail transferred (DATA/BDAT accepted)";
	if (own->quit)
		return "sender gave up (QUIT, no DATA/BDAT)";
	return "no mail transferred (no DATA/BDAT)";
}

static void
pol_session_state(const struct session *s, char *out, size_t outsz)
{
	const char *r = reason_name(s->reason);

	snprintf(out, outsz, "%s%s%s", verdict_name(s->verdict), r ? "/" : "", r ? r : "");
}

/* Does certificate hash h match the association a (RFC 6698 2.1)? */
static bool
pol_assoc_matches(const struct policy_tlsa *a, const struct tls_cert_hash *h)
{
	const uint8_t *mine = a->selector == 0 ? (a->matching == 2 ? h->cert512 : h->cert256)
					       : (a->matching == 2 ? h->spki512 : h->spki256);

	return memcmp(mine, a->data, 32) == 0;
}

/*
 * Is the server's certificate chain one the MX's TLSA records allow (RFC
 * 7672 3.1: DANE-EE binds the leaf, DANE-TA any certificate of the chain
 * the server sent)? 1 yes, 0 no, -1 it cannot be told: the chain holds
 * more certificates than were hashed and only DANE-TA records failed.
 */
static int
pol_dane_check(const struct pol_cand *c, const struct tls_cert *cert)
{
	bool ta = false;
	/* How far up from the leaf the chain holds, link by link. */
	unsigned whole = cert->hashed > 0 ? 1 : 0;

	while (whole < cert->hashed && (cert->linked & (1u << (whole - 1))))
		whole++;
	for (unsigned i = 0; i < c->n_assoc; i++) {
		const struct policy_tlsa *a = &c->assoc[i];

		if (a->usage == 3) {
			if (cert->hashed > 0 && pol_assoc_matches(a, &cert->h[0]))
				return 1;
			continue;
		}
		ta = true;
		/* A trust anchor the leaf does not chain up to proves nothing:
		 * anyone can append the domain's public CA certificate. */
		for (unsigned k = 0; k < whole; k++)
			if (pol_assoc_matches(a, &cert->h[k]))
				return 1;
	}
	if (c->assoc_overflow)
		return -1; /* the matching record may be one not compared */
	/* A whole chain longer than what was hashed: the anchor may be above. */
	return ta && whole == TLS_CERT_HASHED && cert->chain > cert->hashed ? -1 : 0;
}

static void
pol_raise(struct session *s, struct alert *out, size_t max, size_t *n, enum alert_kind k,
	  enum severity sev, const char *ev)
{
	s->alerts |= 1u << k;
	if (*n >= max)
		return;
	verdict_alert_init(&out[*n], s, k, sev);
	text_escape(out[*n].evidence, sizeof(out[*n].evidence), (const uint8_t *)ev, strlen(ev));
	(*n)++;
}

/*
 * The certificate checks a policy asks for (TLS <= 1.2, where the server's
 * certificate is in the clear): DANE, the TLSA records; MTA-STS, a PKIX
 * certificate (not self-signed) naming the MX host (RFC 8461 4.2).
 */
static void
pol_judge_cert(struct session *s, const struct pol_cand *c, const char *state, const char *outcome,
	       struct alert *out, size_t max, size_t *n)
{
	const struct tls_cert *cert = &s->tf.cert;
	bool sts = c->sts == STS_ENFORCE || c->sts == STS_TESTING || c->sts == STS_UNKNOWN;
	enum severity sev = c->sts == STS_ENFORCE ? SEVERITY_HIGH : SEVERITY_MEDIUM;
	char ev[1024], fp[20];

	if (cert->state != TLS_CERT_READ)
		return;
	snprintf(fp, sizeof(fp), "%02x%02x%02x%02x%02x%02x...", cert->h[0].cert256[0],
		 cert->h[0].cert256[1], cert->h[0].cert256[2], cert->h[0].cert256[3],
		 cert->h[0].cert256[4], cert->h[0].cert256[5]);
	if (c->dane && c->n_assoc > 0 && pol_dane_check(c, cert) == 0) {
		const struct policy_tlsa *a = &c->assoc[0];

		snprintf(ev, sizeof(ev),
			 "certificate of %s (CN=%s, sha256 %s, %u in chain) matches none of "
			 "the %u validated TLSA records of _%u._tcp.%s (first: %u %u %u "
			 "%02x%02x%02x%02x...); possible interception; session %s; %s",
			 c->mx, cert->subject, fp, cert->chain, c->n_assoc, s->server_port, c->mx,
			 a->usage, a->selector, a->matching, a->data[0], a->data[1], a->data[2],
			 a->data[3], state, outcome);
		pol_raise(s, out, max, n, ALERT_DANE_MISMATCH, SEVERITY_CRITICAL, ev);
	}
	if (!sts || !c->mx[0])
		return;
	/* The name is checked against a host known to be the domain's MX (not
	 * one picked for a RCPT TO domain), and a list cut short may hold it. */
	if (c->mx_known && !cert->names_cut && !tls_cert_names_match(cert, c->mx)) {
		snprintf(ev, sizeof(ev),
			 "%s MTA-STS mode %s: the certificate's names %s%s do not include the "
			 "MX %s; session %s; %s",
			 c->domain, sts_mode_name(c->sts), cert->names[0] ? cert->names : "(none)",
			 cert->names_cut ? ",..." : "", c->mx, state, outcome);
		pol_raise(s, out, max, n, ALERT_CERT_NAME_MISMATCH, sev, ev);
	}
	if (cert->self_signed) {
		snprintf(ev, sizeof(ev),
			 "%s MTA-STS mode %s requires a PKIX certificate; MX %s presented a "
			 "self-signed one (CN=%s, sha256 %s); session %s; %s",
			 c->domain, sts_mode_name(c->sts), c->mx, cert->subject, fp, state,
			 outcome);
		pol_raise(s, out, max, n, ALERT_CERT_SELF_SIGNED, sev, ev);
	}
}

/*
 * The session went to an MX of the domain (from DNS, --state or another
 * sensor) that none of the MX patterns of the domain's policy covers: a
 * sender applying MTA-STS does not deliver there (RFC 8461 4.1, 5). A
 * spoofed MX answer looks so; so does a policy file the domain forgot to
 * update.
 */
static void
pol_judge_mx(struct session *s, const struct pol_cand *c, const char *state, const char *outcome,
	     struct alert *out, size_t max, size_t *n)
{
	char pats[256] = "", ev[1024];
	size_t used = 0;
	const char *from = c->via == POLICY_SOURCE_STATE    ? "remembered (--state)"
			   : c->via == POLICY_SOURCE_SHARED ? "from another sensor"
							    : "learned from DNS";

	for (unsigned k = 0; k < c->file_sts->n_mx && used < sizeof(pats); k++) {
		int w = snprintf(pats + used, sizeof(pats) - used, "%s%s", k ? ", " : "",
				 c->file_sts->mx[k]);

		if (w < 0)
			break;
		used += (size_t)w;
	}
	snprintf(ev, sizeof(ev),
		 "%s MTA-STS mode %s (--policy) lists MX %s; the session went to %s, an MX of "
		 "the domain %s that no pattern covers (a spoofed MX answer, or a policy "
		 "out of date); session %s; %s",
		 c->domain, sts_mode_name(c->sts), pats, c->mx, from, state, outcome);
	pol_raise(s, out, max, n, ALERT_MTA_STS_MX_MISMATCH,
		  c->sts == STS_ENFORCE ? SEVERITY_HIGH : SEVERITY_LOW, ev);
}

size_t
policy_judge(struct policy *p, struct session *s, struct alert *out, size_t max)
{
	struct pol_cand c;
	struct policy_decision d;
	const struct smtp_own *own;
	char state[64], mx[POLICY_NAME_MAX + 8], ev[1024], fetched[64] = "";
	size_t n = 0;

	if (p)
		pol_fetch_note(p, s);
	if (!p || s->l4 != 6 || s->server_port != 25 || !s->proto ||
	    strcmp(s->proto->name, "smtp") != 0)
		return 0;
	own = smtp_own_of(&s->pf);
	p->until_us = s->ts_last_us > s->ts_first_us ? s->ts_last_us : s->ts_first_us;
	if (!pol_find_best(p, s, &c))
		return 0;
	p->st.sessions_matched++;
	snprintf(s->policy.domain, sizeof(s->policy.domain), "%.95s", c.domain);
	s->policy.source = (uint8_t)c.source;
	s->policy.mta_sts = (uint8_t)c.sts;
	s->policy.dane = c.dane;
	s->policy.tlsrpt = c.tlsrpt;
	s->policy.mail_sent = own->data;
	policy_decide(c.sts, c.dane, s->verdict, &d);
	pol_session_state(s, state, sizeof(state));
	if (c.mx[0])
		snprintf(mx, sizeof(mx), "MX %s", c.mx);
	else
		snprintf(mx, sizeof(mx), "RCPT TO domain");
	if (c.fetch_session)
		snprintf(fetched, sizeof(fetched), ": a sender did, in session #%" PRIu64,
			 c.fetch_session);
	if (d.sts_alert) {
		s->alerts |= 1u << ALERT_MTA_STS_VIOLATION;
		if (n < max) {
			if (c.sts == STS_UNKNOWN && c.source == POLICY_SOURCE_SNI)
				snprintf(ev, sizeof(ev),
					 "%s (%s): a sender fetched its MTA-STS policy over HTTPS "
					 "in "
					 "session #%" PRIu64
					 " (SNI mta-sts.%s; the policy itself is "
					 "encrypted), mode unknown; session %s; %s",
					 c.domain, mx, c.fetch_session, c.domain, state,
					 pol_mail_outcome(s, own));
			else if (c.sts == STS_UNKNOWN)
				snprintf(ev, sizeof(ev),
					 "%s (%s) announces MTA-STS in DNS (id=%s), mode unknown "
					 "(the policy is fetched over HTTPS%s); session %s; %s",
					 c.domain, mx, c.sts_id[0] ? c.sts_id : "?", fetched, state,
					 pol_mail_outcome(s, own));
			else
				snprintf(ev, sizeof(ev),
					 "%s (%s) MTA-STS mode %s (%s); session %s; %s", c.domain,
					 mx, sts_mode_name(c.sts),
					 c.source == POLICY_SOURCE_FILE ? "--policy" : "DNS", state,
					 pol_mail_outcome(s, own));
			verdict_alert_init(&out[n], s, ALERT_MTA_STS_VIOLATION, d.sts_severity);
			text_escape(out[n].evidence, sizeof(out[n].evidence), (const uint8_t *)ev,
				    strlen(ev));
			n++;
		}
	}
	if (d.dane_alert) {
		s->alerts |= 1u << ALERT_DANE_VIOLATION;
		if (n < max) {
			snprintf(ev, sizeof(ev),
				 "TLSA _%u._tcp.%s validated by the resolver (AD); domain %s; "
				 "session %s; %s",
				 s->server_port, c.mx, c.domain, state, pol_mail_outcome(s, own));
			verdict_alert_init(&out[n], s, ALERT_DANE_VIOLATION, d.dane_severity);
			text_escape(out[n].evidence, sizeof(out[n].evidence), (const uint8_t *)ev,
				    strlen(ev));
			n++;
		}
	}
	if (c.mx_known && c.mx_checked && !c.mx_covered)
		pol_judge_mx(s, &c, state, pol_mail_outcome(s, own), out, max, &n);
	pol_judge_cert(s, &c, state, pol_mail_outcome(s, own), out, max, &n);
	return n;
}

void
policy_stats_get(const struct policy *p, struct policy_stats *out)
{
	*out = p->st;
	out->evicted_mx = p->t[PK_MX].evicted;
	out->evicted_addr = p->t[PK_ADDR].evicted;
	out->evicted_cname = p->t[PK_CNAME].evicted;
	out->evicted_sts = p->t[PK_STS].evicted;
	out->evicted_tlsrpt = p->t[PK_TLSRPT].evicted;
	out->evicted_tlsa = p->t[PK_TLSA].evicted;
}

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

static void
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
			struct pol_entry *e = &p->t[k].e[i];

			if (e->expires_us != 0 && e->expires_us < ts_us) {
				e->expires_us = 0;
				p->st.facts_expired++;
			}
		}
}
