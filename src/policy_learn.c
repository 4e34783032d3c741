/*
 * policy_learn.c - what the mail policy module learns from DNS answers:
 * MX, A/AAAA, CNAME, the _mta-sts and _smtp._tls TXT records and TLSA
 * with the response's AD bit (RFC 8461 3.1, RFC 8460 3, RFC 7672), each
 * stored with its TTL counted in packet time (include/policy.h).
 */
#include "policy_internal.h"

#include <string.h>

#include <openssl/evp.h>

/* ---- Learning from DNS ----------------------------------------------------------- */

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
