/*
 * cert.c - the server's Certificate message of TLS 1.0-1.2 (see tls.h):
 * the leaf's names, issuer, validity and key, whether it signs itself, and
 * the hashes a TLSA record is compared with, for the first TLS_CERT_HASHED
 * certificates of the chain.
 *
 * X.509 is parsed by OpenSSL's libcrypto (d2i_X509), never by hand: the
 * bytes come from anyone on the wire. Nothing is verified against a trust
 * store: a passive sensor has none of the client's trust decisions.
 *
 * References: RFC 5246 7.4.2 (Certificate), RFC 5280 (X.509), RFC 6698 2.1
 * (TLSA selectors and matching types), RFC 6125 6.4 (name matching).
 */
#define OPENSSL_API_COMPAT 30000
#include "tls.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cursor.h"

/* Copies an ASN.1 string as printable ASCII ('?' for anything else). */
static void
cert_text(char *out, size_t outsz, const ASN1_STRING *s)
{
	unsigned char *u = NULL;
	int n = s ? ASN1_STRING_to_UTF8(&u, s) : -1;
	size_t o = 0;

	out[0] = '\0';
	if (n < 0)
		return;
	for (int i = 0; i < n && o + 1 < outsz; i++)
		out[o++] = u[i] >= 0x20 && u[i] < 0x7f ? (char)u[i] : '?';
	out[o] = '\0';
	OPENSSL_free(u);
}

/* The first entry of nid in name, as text; false when it has none. */
static bool
cert_name_entry(const X509_NAME *name, int nid, char *out, size_t outsz)
{
	int i = name ? X509_NAME_get_index_by_NID(name, nid, -1) : -1;

	out[0] = '\0';
	if (i < 0)
		return false;
	cert_text(out, outsz, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)));
	return out[0] != '\0';
}

/* Appends one DNS name to c->names (lower case); marks the list cut when it
 * does not fit whole. */
static void
cert_add_name(struct tls_cert *c, const char *name)
{
	size_t have = strlen(c->names), n = strlen(name);

	if (n == 0)
		return;
	if (have + (have ? 1 : 0) + n + 1 > sizeof(c->names)) {
		c->names_cut = true;
		return;
	}
	if (have)
		c->names[have++] = ',';
	/* ',' joins the list and ' ' never is in a DNS name: neither may come
	 * from the certificate. */
	for (size_t i = 0; i < n; i++)
		c->names[have + i] = name[i] == ',' || name[i] == ' '
					     ? '?'
					     : (char)tolower((unsigned char)name[i]);
	c->names[have + n] = '\0';
}

static void
cert_names(struct tls_cert *c, X509 *x)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	char buf[256];

	for (int i = 0; gens && i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);

		if (g->type != GEN_DNS)
			continue;
		cert_text(buf, sizeof(buf), g->d.dNSName);
		cert_add_name(c, buf);
	}
	GENERAL_NAMES_free(gens);
	/* RFC 6125 6.4.4: the CN counts only when there is no DNS name. */
	if (c->names[0] == '\0' && !c->names_cut)
		cert_add_name(c, c->subject);
}

/* d2i_X509 does not check the time strings: false when t is not one. */
static bool
cert_time(const ASN1_TIME *t, int64_t *out)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	*out = 0;
	if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
		return false;
	*out = (int64_t)timegm(&tm);
	return true;
}

static void
cert_key(struct tls_cert *c, X509 *x)
{
	EVP_PKEY *k = X509_get0_pubkey(x);
	const char *kind;

	if (!k) {
		snprintf(c->key, sizeof(c->key), "unknown");
		return;
	}
	switch (EVP_PKEY_get_base_id(k)) {
	case EVP_PKEY_RSA:
	case EVP_PKEY_RSA_PSS:
		kind = "rsa";
		break;
	case EVP_PKEY_EC:
		kind = "ec";
		break;
	case EVP_PKEY_DSA:
		kind = "dsa";
		break;
	case EVP_PKEY_ED25519:
		snprintf(c->key, sizeof(c->key), "ed25519");
		return;
	case EVP_PKEY_ED448:
		snprintf(c->key, sizeof(c->key), "ed448");
		return;
	default:
		snprintf(c->key, sizeof(c->key), "other");
		return;
	}
	snprintf(c->key, sizeof(c->key), "%s%d", kind, EVP_PKEY_get_bits(k));
}

/* SHA-256 and SHA-512 (its first 32 bytes) of p[0..n). */
static bool
cert_digests(const uint8_t *p, size_t n, uint8_t d256[32], uint8_t d512[32])
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;

	if (!EVP_Digest(p, n, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32)
		return false;
	memcpy(d256, md, 32);
	if (!EVP_Digest(p, n, md, &mdlen, EVP_sha512(), NULL) || mdlen != 64)
		return false;
	memcpy(d512, md, 32);
	return true;
}

/* The hashes of one certificate (its DER bytes der[0..n), parsed as x). */
static bool
cert_hash(struct tls_cert_hash *h, const uint8_t *der, size_t n, X509 *x)
{
	unsigned char *spki = NULL;
	int sn = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &spki);
	bool ok = sn > 0 && cert_digests(der, n, h->cert256, h->cert512) &&
		  cert_digests(spki, (size_t)sn, h->spki256, h->spki512);

	OPENSSL_free(spki);
	return ok;
}

/* The leaf's own fields. */
static void
cert_leaf(struct tls_cert *c, X509 *x)
{
	const X509_NAME *issuer = X509_get_issuer_name(x);
	EVP_PKEY *k = X509_get0_pubkey(x);

	cert_name_entry(X509_get_subject_name(x), NID_commonName, c->subject, sizeof(c->subject));
	if (!cert_name_entry(issuer, NID_commonName, c->issuer, sizeof(c->issuer)))
		cert_name_entry(issuer, NID_organizationName, c->issuer, sizeof(c->issuer));
	cert_names(c, x);
	c->times_known = cert_time(X509_get0_notBefore(x), &c->not_before) &
			 cert_time(X509_get0_notAfter(x), &c->not_after);
	cert_key(c, x);
	c->self_signed = X509_check_issued(x, x) == X509_V_OK && k && X509_verify(x, k) == 1;
}

static void
cert_parse_message(struct tls_cert *c, const uint8_t *body, size_t len)
{
	struct cursor m, list, der;
	unsigned count = 0;
	X509 *prev = NULL; /* the certificate before, while the chain is whole */

	memset(c, 0, sizeof(*c));
	c->state = TLS_CERT_BAD;
	cursor_init(&m, body, len);
	if (!cursor_get_u24_prefixed(&m, &list) || cursor_remaining(&m) != 0)
		return;
	while (cursor_remaining(&list) > 0) {
		const unsigned char *q;
		X509 *x;

		if (!cursor_get_u24_prefixed(&list, &der) || der.len == 0)
			break; /* a bad entry ends the list; what was read stands */
		count++;
		c->chain = count > 255 ? 255 : (uint8_t)count;
		if (count > TLS_CERT_HASHED)
			continue;
		q = der.p;
		x = d2i_X509(NULL, &q, (long)der.len);
		if (!x || q != der.p + der.len) {
			X509_free(x);
			if (count == 1)
				break;
			X509_free(prev);
			prev = NULL; /* the chain is cut: nothing after is linked */
			continue;
		}
		if (count == 1)
			cert_leaf(c, x);
		/* RFC 7672 3.1.2: a trust anchor counts only when the chain from
		 * the leaf up to it holds, link by link. */
		if (prev && X509_check_issued(x, prev) == X509_V_OK &&
		    X509_verify(prev, X509_get0_pubkey(x)) == 1)
			c->linked |= (uint8_t)(1u << (count - 2));
		if (c->hashed == count - 1 && cert_hash(&c->h[c->hashed], der.p, der.len, x))
			c->hashed++;
		X509_free(prev);
		prev = x;
		if (count == 1 && c->hashed == 1)
			c->state = TLS_CERT_READ;
	}
	X509_free(prev);
}

/*
 * A server sends the same Certificate message to every client, and parsing
 * it (X.509, three signature checks, eight hashes) costs more than the rest
 * of a short session. The last few messages parsed are kept per thread
 * with what they gave: a message byte for byte equal to one of them (a
 * 64-bit hash picks the candidate, memcmp decides: a crafted collision
 * finds nothing) gets the same result. The parse is a function of the
 * bytes alone, so the result is the same either way.
 */
#define CERT_CACHE_SLOTS 32
#define CERT_CACHE_MAX_LEN 16384 /* larger messages are parsed every time */

struct cert_cache_slot {
	uint64_t hash;
	size_t len; /* 0: empty */
	uint8_t *bytes;
	struct tls_cert result;
};

static _Thread_local struct cert_cache_slot cert_cache[CERT_CACHE_SLOTS];
static _Thread_local unsigned cert_cache_next;

static uint64_t
cert_cache_hash(const uint8_t *p, size_t n)
{
	uint64_t h = 14695981039346656037ull ^ n;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return h;
}

void
tls_cert_parse(struct tls_cert *c, const uint8_t *body, size_t len)
{
	struct cert_cache_slot *slot;
	uint64_t h;
	uint8_t *copy;

	if (len == 0 || len > CERT_CACHE_MAX_LEN) {
		cert_parse_message(c, body, len);
		return;
	}
	h = cert_cache_hash(body, len);
	for (unsigned i = 0; i < CERT_CACHE_SLOTS; i++) {
		slot = &cert_cache[i];
		if (slot->len == len && slot->hash == h && memcmp(slot->bytes, body, len) == 0) {
			*c = slot->result;
			return;
		}
	}
	cert_parse_message(c, body, len);
	slot = &cert_cache[cert_cache_next];
	copy = realloc(slot->bytes, len);
	if (!copy)
		return; /* parsed, just not kept */
	cert_cache_next = (cert_cache_next + 1) % CERT_CACHE_SLOTS;
	memcpy(copy, body, len);
	slot->bytes = copy;
	slot->len = len;
	slot->hash = h;
	slot->result = *c;
}

void
tls_cert_cache_drain(void)
{
	for (unsigned i = 0; i < CERT_CACHE_SLOTS; i++) {
		free(cert_cache[i].bytes);
		memset(&cert_cache[i], 0, sizeof(cert_cache[i]));
	}
	cert_cache_next = 0;
}

/* Does the certificate name pat (one of its names) cover host? */
static bool
cert_name_covers(const char *pat, size_t pn, const char *host)
{
	size_t hn = strlen(host);

	if (hn > 0 && host[hn - 1] == '.')
		hn--;
	if (pn >= 2 && pat[0] == '*' && pat[1] == '.') {
		const char *dot = memchr(host, '.', hn);

		/* "*." covers exactly one leftmost label, never a bare domain */
		if (!dot || dot == host)
			return false;
		pat += 1;
		pn -= 1;
		hn -= (size_t)(dot - host);
		host = dot;
	}
	return pn == hn && strncasecmp(pat, host, hn) == 0;
}

bool
tls_cert_names_match(const struct tls_cert *c, const char *host)
{
	const char *p = c->names;

	if (c->state != TLS_CERT_READ || !host[0])
		return false;
	while (*p) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);

		if (cert_name_covers(p, n, host))
			return true;
		p += n;
		if (*p == ',')
			p++;
	}
	return false;
}
