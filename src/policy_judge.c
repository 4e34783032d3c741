/*
 * policy_judge.c - the verdict mail policies give an SMTP session: the
 * strongest policy that applies (through the server's address, its names,
 * their MX and CNAME records, the operator's MX patterns or the RCPT TO
 * domain), the MTA-STS and DANE alerts it asks for, and the certificate
 * checks (TLSA records, RFC 7672 3.1; MX name and PKIX, RFC 8461 4.1,
 * 4.2). The rules are in docs/indicators.md.
 */
#include "policy_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cursor.h"
#include "smtp.h"
#include "verdict.h"

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

/* Fills a candidate for domain reached through mx (may be ""). */
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
	const char *outcome;
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
	outcome = pol_mail_outcome(s, own);
	if (c.mx[0])
		snprintf(mx, sizeof(mx), "MX %s", c.mx);
	else
		snprintf(mx, sizeof(mx), "RCPT TO domain");
	if (c.fetch_session)
		snprintf(fetched, sizeof(fetched), ": a sender did, in session #%" PRIu64,
			 c.fetch_session);
	if (d.sts_alert) {
		if (c.sts == STS_UNKNOWN && c.source == POLICY_SOURCE_SNI)
			snprintf(ev, sizeof(ev),
				 "%s (%s): a sender fetched its MTA-STS policy over HTTPS in "
				 "session #%" PRIu64 " (SNI mta-sts.%s; the policy itself is "
				 "encrypted), mode unknown; session %s; %s",
				 c.domain, mx, c.fetch_session, c.domain, state, outcome);
		else if (c.sts == STS_UNKNOWN)
			snprintf(ev, sizeof(ev),
				 "%s (%s) announces MTA-STS in DNS (id=%s), mode unknown "
				 "(the policy is fetched over HTTPS%s); session %s; %s",
				 c.domain, mx, c.sts_id[0] ? c.sts_id : "?", fetched, state,
				 outcome);
		else
			snprintf(ev, sizeof(ev), "%s (%s) MTA-STS mode %s (%s); session %s; %s",
				 c.domain, mx, sts_mode_name(c.sts),
				 c.source == POLICY_SOURCE_FILE ? "--policy" : "DNS", state,
				 outcome);
		pol_raise(s, out, max, &n, ALERT_MTA_STS_VIOLATION, d.sts_severity, ev);
	}
	if (d.dane_alert) {
		snprintf(ev, sizeof(ev),
			 "TLSA _%u._tcp.%s validated by the resolver (AD); domain %s; "
			 "session %s; %s",
			 s->server_port, c.mx, c.domain, state, outcome);
		pol_raise(s, out, max, &n, ALERT_DANE_VIOLATION, d.dane_severity, ev);
	}
	if (c.mx_known && c.mx_checked && !c.mx_covered)
		pol_judge_mx(s, &c, state, outcome, out, max, &n);
	pol_judge_cert(s, &c, state, outcome, out, max, &n);
	return n;
}
