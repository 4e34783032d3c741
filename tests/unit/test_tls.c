/*
 * test_tls.c - unit tests of the TLS record/handshake parser (src/tls/:
 * record.c through tls.h, hello.c also alone through tls_hello.h).
 *
 * Two kinds of input: real conversations captured from openssl on loopback
 * (tls_vectors.h, made by gen_tls_vectors.sh) and hand-built records for the
 * edge cases real stacks do not produce (split headers, fragmented hellos,
 * GREASE, SSLv2 hellos, lying lengths). Every transcript is replayed in chunks
 * of 1, 2, 3, 7, 64 bytes and whole; the facts must be byte-for-byte equal.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "tls.h"
#include "tls_hello.h"
#include "tls_vectors.h"

static const size_t chunks[] = {1, 2, 3, 7, 64, 0};
#define N_CHUNKS (sizeof(chunks) / sizeof(chunks[0]))

/* ---- feeding ---- */

struct run {
	struct tls_parser p;
	struct tls_facts f;
};

static void
run_init(struct run *r)
{
	tls_parser_init(&r->p);
	memset(&r->f, 0, sizeof(r->f));
}

/* Feeds n bytes in pieces of `chunk` (0: at once). */
static void
run_feed(struct run *r, enum dir dir, const uint8_t *p, size_t n, size_t chunk)
{
	size_t off = 0;

	while (off < n) {
		size_t k = chunk ? chunk : n;

		if (k > n - off)
			k = n - off;
		assert_int_equal(tls_feed(&r->p, &r->f, dir, p + off, k), k);
		off += k;
	}
}

static void
run_steps(struct run *r, const struct tls_vec_step *steps, size_t n_steps, size_t chunk)
{
	for (size_t i = 0; i < n_steps; i++)
		run_feed(r, steps[i].dir, steps[i].bytes, steps[i].len, chunk);
}

/*
 * Replays the steps with every chunk size, checks that the facts are
 * identical each time, and returns them (parser freed).
 */
static void
replay_all_chunkings(const struct tls_vec_step *steps, size_t n_steps, struct tls_facts *out)
{
	struct run r;

	for (size_t c = 0; c < N_CHUNKS; c++) {
		run_init(&r);
		run_steps(&r, steps, n_steps, chunks[c]);
		tls_parser_free(&r.p);
		if (c == 0)
			*out = r.f;
		else
			assert_memory_equal(&r.f, out, sizeof(*out));
	}
}

static const struct tls_vector *
vector(const char *name)
{
	for (size_t i = 0; i < TLS_N_VECTORS; i++)
		if (strcmp(tls_vectors[i].name, name) == 0)
			return &tls_vectors[i];
	fail_msg("no vector %s", name);
	return NULL;
}

static void
replay_vector(const char *name, struct tls_facts *out)
{
	const struct tls_vector *v = vector(name);

	replay_all_chunkings(v->steps, v->n_steps, out);
}

/* ---- building records by hand ---- */

struct bytes {
	uint8_t b[8192];
	size_t n;
};

static void
put_u8(struct bytes *b, unsigned v)
{
	assert_true(b->n < sizeof(b->b));
	b->b[b->n++] = (uint8_t)v;
}

static void
put_u16(struct bytes *b, unsigned v)
{
	put_u8(b, v >> 8);
	put_u8(b, v);
}

static void
put_mem(struct bytes *b, const void *p, size_t n)
{
	assert_true(n <= sizeof(b->b) - b->n);
	if (n == 0)
		return;
	memcpy(b->b + b->n, p, n);
	b->n += n;
}

/* Reserves a length prefix of `width` bytes; close_len fills it in. */
static size_t
open_len(struct bytes *b, int width)
{
	size_t at = b->n;

	for (int i = 0; i < width; i++)
		put_u8(b, 0);
	return at;
}

static void
close_len(struct bytes *b, size_t at, int width)
{
	size_t len = b->n - at - (size_t)width;

	for (int i = width - 1; i >= 0; i--) {
		b->b[at + (size_t)i] = (uint8_t)len;
		len >>= 8;
	}
}

static void
ext_begin(struct bytes *exts, unsigned type, size_t *at)
{
	put_u16(exts, type);
	*at = open_len(exts, 2);
}

static void
ext_sni(struct bytes *exts, const char *host, size_t len)
{
	size_t e, list, name;

	ext_begin(exts, 0, &e);
	list = open_len(exts, 2);
	put_u8(exts, 0);
	name = open_len(exts, 2);
	put_mem(exts, host, len);
	close_len(exts, name, 2);
	close_len(exts, list, 2);
	close_len(exts, e, 2);
}

static void
ext_alpn(struct bytes *exts, const char *const *names, size_t n)
{
	size_t e, list;

	ext_begin(exts, 16, &e);
	list = open_len(exts, 2);
	for (size_t i = 0; i < n; i++) {
		put_u8(exts, (unsigned)strlen(names[i]));
		put_mem(exts, names[i], strlen(names[i]));
	}
	close_len(exts, list, 2);
	close_len(exts, e, 2);
}

static void
ext_client_versions(struct bytes *exts, const uint16_t *v, size_t n)
{
	size_t e, list;

	ext_begin(exts, 43, &e);
	list = open_len(exts, 1);
	for (size_t i = 0; i < n; i++)
		put_u16(exts, v[i]);
	close_len(exts, list, 1);
	close_len(exts, e, 2);
}

static void
ext_server_version(struct bytes *exts, uint16_t v)
{
	size_t e;

	ext_begin(exts, 43, &e);
	put_u16(exts, v);
	close_len(exts, e, 2);
}

static void
ext_raw(struct bytes *exts, unsigned type, const void *data, size_t n)
{
	size_t e;

	ext_begin(exts, type, &e);
	put_mem(exts, data, n);
	close_len(exts, e, 2);
}

/* A ClientHello handshake message (header included); exts NULL: none. */
static void
client_hello(struct bytes *out, uint16_t version, const uint16_t *suites, size_t n_suites,
	     const struct bytes *exts)
{
	size_t body, list;

	put_u8(out, 1);
	body = open_len(out, 3);
	put_u16(out, version);
	for (int i = 0; i < 32; i++)
		put_u8(out, 0x11);
	put_u8(out, 0); /* session id */
	list = open_len(out, 2);
	for (size_t i = 0; i < n_suites; i++)
		put_u16(out, suites[i]);
	close_len(out, list, 2);
	put_u8(out, 1); /* compression: null */
	put_u8(out, 0);
	if (exts) {
		put_u16(out, (unsigned)exts->n);
		put_mem(out, exts->b, exts->n);
	}
	close_len(out, body, 3);
}

static const uint8_t hrr_random[32] = {
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c,
	0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb,
	0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

/* A ServerHello handshake message; random NULL: an ordinary one. */
static void
server_hello(struct bytes *out, uint16_t version, const uint8_t *random, uint16_t cipher,
	     const struct bytes *exts)
{
	size_t body;

	put_u8(out, 2);
	body = open_len(out, 3);
	put_u16(out, version);
	if (random)
		put_mem(out, random, 32);
	else
		for (int i = 0; i < 32; i++)
			put_u8(out, 0x22);
	put_u8(out, 0);
	put_u16(out, cipher);
	put_u8(out, 0);
	if (exts) {
		put_u16(out, (unsigned)exts->n);
		put_mem(out, exts->b, exts->n);
	}
	close_len(out, body, 3);
}

/* Any other handshake message: type and a body of n filler bytes. */
static void
hs_other(struct bytes *out, uint8_t type, size_t n)
{
	put_u8(out, type);
	put_u8(out, (unsigned)(n >> 16));
	put_u16(out, (unsigned)(n & 0xffff));
	for (size_t i = 0; i < n; i++)
		put_u8(out, 0x5a);
}

/* Appends one record holding p[0..n). */
static void
record(struct bytes *out, uint8_t type, uint16_t version, const void *p, size_t n)
{
	put_u8(out, type);
	put_u16(out, version);
	put_u16(out, (unsigned)n);
	put_mem(out, p, n);
}

static const uint8_t ccs_body[1] = {1};
static const uint8_t appdata_body[8] = {0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4};

#define STEP(d, buf)                                                                               \
	{                                                                                          \
		(d), (buf).n, (buf).b                                                              \
	}

/* A plain TLS 1.2 ClientHello record with SNI. */
static void
tls12_client_hello_record(struct bytes *out)
{
	static const uint16_t suites[] = {0xc02f, 0xc030, 0x009c};
	struct bytes exts = {.n = 0}, ch = {.n = 0};

	ext_sni(&exts, "tls12.example.test", 18);
	client_hello(&ch, 0x0303, suites, 3, &exts);
	record(out, 22, 0x0301, ch.b, ch.n);
}

/* ---- real conversations ---- */

static void
test_every_vector_gives_identical_facts_for_every_chunking(void **state)
{
	(void)state;
	for (size_t i = 0; i < TLS_N_VECTORS; i++) {
		struct tls_facts f;

		replay_all_chunkings(tls_vectors[i].steps, tls_vectors[i].n_steps, &f);
		assert_true(f.client_hello);
		assert_false(f.not_tls[DIR_C2S]);
		assert_false(f.not_tls[DIR_S2C]);
		assert_int_equal(f.anomalies, 0);
	}
}

static void
test_tls13_client_hello_carries_sni_alpn_and_supported_versions(void **state)
{
	struct tls_facts f;

	(void)state;
	replay_vector("tls13_sni_alpn", &f);
	assert_true(f.client_hello);
	assert_false(f.sslv2_hello);
	assert_int_equal(f.client_version, 0x0303);
	assert_int_equal(f.client_max_version, 0x0304);
	assert_string_equal(f.sni, "www.example.test");
	assert_string_equal(f.alpn, "h2,http/1.1");
	assert_true(f.n_ciphers_offered > 3);
	assert_false(f.weak_cipher_offered);
}

static void
test_tls13_server_hello_version_comes_from_supported_versions(void **state)
{
	struct tls_facts f;

	(void)state;
	replay_vector("tls13_sni_alpn", &f);
	assert_true(f.server_hello);
	assert_int_equal(f.version, 0x0304);
	assert_int_equal(f.cipher, 0x1302);
	/* TLS 1.3 sends the selected protocol in EncryptedExtensions */
	assert_string_equal(f.alpn_selected, "");
	assert_true(f.encrypted[DIR_C2S]);
	assert_true(f.encrypted[DIR_S2C]);
	assert_true(f.established);
	assert_false(f.alert);
	assert_int_equal(f.anomalies, 0);
}

static void
test_tls13_hello_retry_request_is_not_taken_for_the_server_hello(void **state)
{
	const struct tls_vector *v = vector("tls13_hrr");
	struct run r;

	(void)state;
	/* Client hello, then the HelloRetryRequest (and the server's CCS). */
	assert_true(v->n_steps > 3);
	run_init(&r);
	run_steps(&r, v->steps, 2, 0);
	assert_false(r.f.server_hello);
	assert_false(r.f.established);
	assert_true(r.p.hrr);
	assert_int_equal(r.f.version, 0x0304); /* recorded, until the real one */
	/* The client's CCS and second ClientHello: still not established. */
	run_steps(&r, v->steps + 2, 1, 0);
	assert_false(r.f.server_hello);
	assert_false(r.f.established);
	run_steps(&r, v->steps + 3, v->n_steps - 3, 0);
	assert_true(r.f.server_hello);
	assert_true(r.f.established);
	assert_int_equal(r.f.version, 0x0304);
	assert_string_equal(r.f.sni, "hrr.example.test");
	assert_int_equal(r.f.anomalies, 0);
	tls_parser_free(&r.p);
}

static void
test_tls12_ecdhe_session_is_established_with_its_suite(void **state)
{
	struct tls_facts f;
	char buf[8];

	(void)state;
	replay_vector("tls12_ecdhe_gcm", &f);
	assert_int_equal(f.client_version, 0x0303);
	assert_int_equal(f.client_max_version, 0x0303);
	assert_string_equal(f.sni, "mail.example.test");
	assert_string_equal(f.alpn, "http/1.1");
	assert_true(f.server_hello);
	assert_string_equal(f.alpn_selected, "http/1.1");
	assert_int_equal(f.version, 0x0303);
	assert_int_equal(f.cipher, 0xc02f);
	assert_string_equal(tls_cipher_name(f.cipher, buf),
			    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
	assert_true(f.established);
	assert_true(f.records[DIR_C2S] >= 4);
	assert_true(f.records[DIR_S2C] >= 5);
}

/* ---- the server's certificate ---- */

static void
test_tls12_certificate_of_a_real_server_is_read_in_every_chunking(void **state)
{
	struct tls_facts f;
	const struct tls_cert *c = &f.cert;

	(void)state;
	/* gen_tls_vectors.sh: openssl req -x509 -newkey rsa:2048
	 * -subj /CN=tlswatch.test -days 30 */
	replay_vector("tls12_ecdhe_gcm", &f);
	assert_int_equal(c->state, TLS_CERT_READ);
	assert_string_equal(c->subject, "tlswatch.test");
	assert_string_equal(c->issuer, "tlswatch.test");
	assert_string_equal(c->names, "tlswatch.test"); /* no SAN: the CN */
	assert_true(c->self_signed);
	assert_string_equal(c->key, "rsa2048");
	assert_int_equal(c->chain, 1);
	assert_int_equal(c->hashed, 1);
	assert_int_equal(c->not_after - c->not_before, 30 * 86400);
	assert_true(tls_cert_names_match(c, "TLSWATCH.test"));
	assert_false(tls_cert_names_match(c, "mail.example.test"));
}

static void
test_tls13_certificate_is_encrypted_and_anonymous_tls12_has_none(void **state)
{
	struct tls_facts f;

	(void)state;
	replay_vector("tls13_sni_alpn", &f);
	assert_int_equal(f.cert.state, TLS_CERT_ENCRYPTED);
	replay_vector("tls12_anon", &f);
	assert_int_equal(f.cert.state, TLS_CERT_NONE);
}

static size_t make_cert_by(uint8_t *out, size_t cap, const char *cn, const char *san, EVP_PKEY *key,
			   EVP_PKEY *ca, const char *issuer);

/* A DER certificate for names (SAN DNS names, "" none) and CN, issued by
 * "Test CA" (another key) unless self_signed; its length. */
static size_t
make_cert(uint8_t *out, size_t cap, const char *cn, const char *san, bool self_signed)
{
	EVP_PKEY *key = EVP_EC_gen("P-256"), *ca = self_signed ? key : EVP_EC_gen("P-256");
	size_t n = make_cert_by(out, cap, cn, san, key, ca, self_signed ? cn : "Test CA");

	if (ca != key)
		EVP_PKEY_free(ca);
	EVP_PKEY_free(key);
	return n;
}

/* The same with key, signed by ca in the name of issuer. */
static size_t
make_cert_by(uint8_t *out, size_t cap, const char *cn, const char *san, EVP_PKEY *key, EVP_PKEY *ca,
	     const char *issuer)
{
	X509 *x = X509_new();
	X509_NAME *subj = X509_NAME_new(), *iss = X509_NAME_new();
	unsigned char *der = NULL;
	int n;

	assert_non_null(key);
	assert_non_null(ca);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_NAME_add_entry_by_txt(subj, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_NAME_add_entry_by_txt(iss, "CN", MBSTRING_ASC, (const unsigned char *)issuer, -1, -1,
				   0);
	X509_set_subject_name(x, subj);
	X509_set_issuer_name(x, iss);
	X509_set_pubkey(x, key);
	if (san[0]) {
		X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, san);

		assert_non_null(ext);
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
	}
	assert_true(X509_sign(x, ca, EVP_sha256()) > 0);
	n = i2d_X509(x, &der);
	assert_true(n > 0 && (size_t)n <= cap);
	memcpy(out, der, (size_t)n);
	OPENSSL_free(der);
	X509_NAME_free(subj);
	X509_NAME_free(iss);
	X509_free(x);
	return (size_t)n;
}

/* A Certificate message body holding the certificates c[0..n). */
static size_t
cert_message(uint8_t *out, const uint8_t *const *c, const size_t *len, size_t n)
{
	size_t o = 3, total = 0;

	for (size_t i = 0; i < n; i++) {
		out[o] = (uint8_t)(len[i] >> 16);
		out[o + 1] = (uint8_t)(len[i] >> 8);
		out[o + 2] = (uint8_t)len[i];
		memcpy(out + o + 3, c[i], len[i]);
		o += 3 + len[i];
		total += 3 + len[i];
	}
	out[0] = (uint8_t)(total >> 16);
	out[1] = (uint8_t)(total >> 8);
	out[2] = (uint8_t)total;
	return o;
}

static void
test_certificate_names_issuer_chain_and_hashes(void **state)
{
	static uint8_t leaf[2048], ca[2048], msg[8192];
	size_t ll = make_cert(leaf, sizeof(leaf), "mx.example.test",
			      "DNS:MX.Example.Test,DNS:*.mail.example.test", false);
	size_t cl = make_cert(ca, sizeof(ca), "Test CA", "", true);
	const uint8_t *certs[] = {leaf, ca};
	size_t lens[] = {ll, cl};
	size_t n = cert_message(msg, certs, lens, 2);
	struct tls_cert c;

	(void)state;
	tls_cert_parse(&c, msg, n);
	assert_int_equal(c.state, TLS_CERT_READ);
	assert_string_equal(c.subject, "mx.example.test");
	assert_string_equal(c.issuer, "Test CA");
	assert_string_equal(c.names, "mx.example.test,*.mail.example.test");
	assert_false(c.self_signed); /* another key signed it */
	assert_string_equal(c.key, "ec256");
	assert_int_equal(c.chain, 2);
	assert_int_equal(c.hashed, 2);
	assert_int_equal(c.not_after - c.not_before, 86400);
	/* The hashes are the certificate's: SHA-256 of its DER. */
	{
		uint8_t md[32];
		unsigned mdlen = 0;

		assert_true(EVP_Digest(ca, cl, md, &mdlen, EVP_sha256(), NULL));
		assert_memory_equal(c.h[1].cert256, md, 32);
	}
	/* RFC 6125 6.4.3: a wildcard covers one leftmost label. */
	assert_true(tls_cert_names_match(&c, "mx.example.test"));
	assert_true(tls_cert_names_match(&c, "a.mail.example.test"));
	assert_true(tls_cert_names_match(&c, "mx.example.test."));
	assert_false(tls_cert_names_match(&c, "mail.example.test"));
	assert_false(tls_cert_names_match(&c, "a.b.mail.example.test"));
	assert_false(tls_cert_names_match(&c, "example.test"));
	assert_false(tls_cert_names_match(&c, ""));
}

static void
test_certificate_chain_links_are_verified_and_a_bad_one_cuts_the_chain(void **state)
{
	static uint8_t leaf[2048], ca[2048], other[2048], msg[8192];
	EVP_PKEY *ca_key = EVP_EC_gen("P-256"), *leaf_key = EVP_EC_gen("P-256");
	size_t cl = make_cert_by(ca, sizeof(ca), "Test CA", "", ca_key, ca_key, "Test CA");
	size_t ll = make_cert_by(leaf, sizeof(leaf), "mx.example.test", "DNS:mx.example.test",
				 leaf_key, ca_key, "Test CA");
	/* Another "Test CA": same name, another key (an interceptor's copy). */
	size_t ol = make_cert(other, sizeof(other), "Test CA", "", true);
	static const uint8_t junk[] = {0x30, 0x03, 0x02, 0x01, 0x07};
	struct tls_cert c;
	size_t n;

	(void)state;
	n = cert_message(msg, (const uint8_t *const[]){leaf, ca}, (size_t[]){ll, cl}, 2);
	tls_cert_parse(&c, msg, n);
	assert_int_equal(c.state, TLS_CERT_READ);
	assert_int_equal(c.linked, 1); /* the CA's key signed the leaf */
	assert_string_equal(c.issuer, "Test CA");
	n = cert_message(msg, (const uint8_t *const[]){leaf, other}, (size_t[]){ll, ol}, 2);
	tls_cert_parse(&c, msg, n);
	assert_int_equal(c.hashed, 2);
	assert_int_equal(c.linked, 0); /* the name matches, the signature does not */
	/* An unparsable certificate in the middle: counted, not hashed, and
	 * nothing after it is linked or hashed. */
	n = cert_message(msg, (const uint8_t *const[]){leaf, junk, ca},
			 (size_t[]){ll, sizeof(junk), cl}, 3);
	tls_cert_parse(&c, msg, n);
	assert_int_equal(c.state, TLS_CERT_READ);
	assert_int_equal(c.chain, 3);
	assert_int_equal(c.hashed, 1);
	assert_int_equal(c.linked, 0);
	assert_true(c.times_known);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(leaf_key);
}

static void
test_certificate_with_too_many_names_is_cut_and_says_so(void **state)
{
	static uint8_t leaf[8192], msg[8192];
	char san[2048] = "";
	size_t ll, n;
	struct tls_cert c;

	(void)state;
	for (int i = 0; i < 40; i++)
		snprintf(san + strlen(san), sizeof(san) - strlen(san),
			 "%sDNS:host%02d.example.test", i ? "," : "", i);
	ll = make_cert(leaf, sizeof(leaf), "host00.example.test", san, true);
	n = cert_message(msg, (const uint8_t *const[]){leaf}, (size_t[]){ll}, 1);
	tls_cert_parse(&c, msg, n);
	assert_int_equal(c.state, TLS_CERT_READ);
	assert_true(c.self_signed);
	assert_true(c.names_cut);
	assert_true(strlen(c.names) < sizeof(c.names));
	assert_true(tls_cert_names_match(&c, "host00.example.test"));
	assert_false(tls_cert_names_match(&c, "host39.example.test")); /* cut off */
}

static void
test_certificate_messages_cut_anywhere_or_lying_are_unreadable(void **state)
{
	static uint8_t leaf[2048], msg[4096];
	size_t ll = make_cert(leaf, sizeof(leaf), "mx.example.test", "DNS:mx.example.test", true);
	size_t n = cert_message(msg, (const uint8_t *const[]){leaf}, (size_t[]){ll}, 1);
	struct tls_cert c;

	(void)state;
	/* Cut at every length: never read, never past the end (ASan). */
	for (size_t cut = 0; cut < n; cut++) {
		uint8_t *copy = malloc(cut ? cut : 1);

		memcpy(copy, msg, cut);
		tls_cert_parse(&c, copy, cut);
		assert_int_equal(c.state, TLS_CERT_BAD);
		free(copy);
	}
	/* Garbage where the DER should be; an empty list; a list length longer
	 * than the message. */
	msg[6] ^= 0xff;
	tls_cert_parse(&c, msg, n);
	assert_int_equal(c.state, TLS_CERT_BAD);
	tls_cert_parse(&c, (const uint8_t[]){0, 0, 0}, 3);
	assert_int_equal(c.state, TLS_CERT_BAD);
	tls_cert_parse(&c, (const uint8_t[]){0, 0, 9, 0, 0, 1, 0x30}, 7);
	assert_int_equal(c.state, TLS_CERT_BAD);
}

/* The per-thread cache of parsed messages gives exactly what a parse gives:
 * the same bytes the same result, one byte changed (same length, the same
 * 64-bit hash class is not needed: memcmp decides) a new parse, and a
 * message pushed out by many others parsed again alike. */
static void
test_certificate_cache_answers_only_for_the_same_bytes(void **state)
{
	static uint8_t leaf[2048], other[2048], msg[4096], msg2[4096];
	size_t ll = make_cert(leaf, sizeof(leaf), "mx.example.test", "DNS:mx.example.test", true);
	size_t n = cert_message(msg, (const uint8_t *const[]){leaf}, (size_t[]){ll}, 1);
	struct tls_cert first, again, changed;

	(void)state;
	tls_cert_cache_drain();
	tls_cert_parse(&first, msg, n);
	assert_int_equal(first.state, TLS_CERT_READ);
	assert_true(first.self_signed);
	tls_cert_parse(&again, msg, n);
	assert_memory_equal(&first, &again, sizeof(first));
	/* The last byte is in the signature: a new parse, no longer self-signed,
	 * another hash. */
	memcpy(msg2, msg, n);
	msg2[n - 1] ^= 0x01;
	tls_cert_parse(&changed, msg2, n);
	assert_false(changed.self_signed);
	assert_memory_not_equal(changed.h[0].cert256, first.h[0].cert256, 32);
	/* Forty other messages push it out of the cache; parsed again, it is
	 * the same. */
	for (int i = 0; i < 40; i++) {
		char cn[32];
		size_t ol, on;
		struct tls_cert o;

		snprintf(cn, sizeof(cn), "host%02d.example.test", i);
		ol = make_cert(other, sizeof(other), cn, "", true);
		on = cert_message(msg2, (const uint8_t *const[]){other}, (size_t[]){ol}, 1);
		tls_cert_parse(&o, msg2, on);
		assert_string_equal(o.subject, cn);
	}
	tls_cert_parse(&again, msg, n);
	assert_memory_equal(&first, &again, sizeof(first));
	tls_cert_cache_drain();
}

static void
test_tls12_client_without_sni_leaves_sni_empty(void **state)
{
	struct tls_facts f;

	(void)state;
	replay_vector("tls12_rsa_cbc", &f);
	assert_string_equal(f.sni, "");
	assert_string_equal(f.alpn, "");
	assert_int_equal(f.cipher, 0x002f);
	assert_false(tls_cipher_is_weak(f.cipher));
	assert_true(f.established);
}

static void
test_tls10_session_is_obsolete_and_the_anonymous_offer_is_weak(void **state)
{
	struct tls_facts f;

	(void)state;
	replay_vector("tls10_cbc_anon_offered", &f);
	assert_int_equal(f.client_version, 0x0301);
	assert_true(f.weak_cipher_offered); /* AECDH-AES128-SHA was offered */
	assert_int_equal(f.version, 0x0301);
	assert_true(tls_version_is_obsolete(f.version));
	assert_int_equal(f.cipher, 0xc013);
	assert_false(tls_cipher_is_weak(f.cipher));
	assert_true(f.established);
}

static void
test_tls12_anonymous_suite_is_negotiated_and_weak(void **state)
{
	struct tls_facts f;

	(void)state;
	replay_vector("tls12_anon", &f);
	assert_int_equal(f.cipher, 0x00a6);
	assert_true(tls_cipher_is_weak(f.cipher));
	assert_true(f.weak_cipher_offered);
	assert_true(f.established);
}

static void
test_tls12_plaintext_handshake_failure_alert_is_recorded(void **state)
{
	struct tls_facts f;

	(void)state;
	replay_vector("tls12_handshake_failure", &f);
	assert_true(f.client_hello);
	assert_false(f.server_hello);
	assert_true(f.alert);
	assert_int_equal(f.alert_dir, DIR_S2C);
	assert_int_equal(f.alert_level, 2);
	assert_int_equal(f.alert_desc, 40);
	assert_string_equal(tls_alert_name(f.alert_desc), "handshake_failure");
	assert_false(f.established);
}

/* ---- hand-made records ---- */

static void
test_record_header_split_across_feeds_is_reassembled(void **state)
{
	struct bytes rec = {.n = 0};
	struct run r;

	(void)state;
	tls12_client_hello_record(&rec);
	run_init(&r);
	run_feed(&r, DIR_C2S, rec.b, 2, 0);
	assert_false(r.f.not_tls[DIR_C2S]);
	run_feed(&r, DIR_C2S, rec.b + 2, 2, 0);
	run_feed(&r, DIR_C2S, rec.b + 4, rec.n - 4, 0);
	assert_true(r.f.client_hello);
	assert_string_equal(r.f.sni, "tls12.example.test");
	assert_int_equal(r.f.n_ciphers_offered, 3);
	assert_int_equal(r.f.records[DIR_C2S], 1);
	assert_null(r.p.d[DIR_C2S].hs_buf);
	tls_parser_free(&r.p);
}

static void
test_client_hello_spanning_three_records_is_reassembled(void **state)
{
	static const uint16_t suites[] = {0x1301, 0x1302, 0xc02b};
	struct bytes exts = {.n = 0}, ch = {.n = 0}, c2s = {.n = 0};
	struct tls_facts f;

	(void)state;
	ext_sni(&exts, "frag.example.test", 17);
	client_hello(&ch, 0x0303, suites, 3, &exts);
	/* cut inside the 4-byte handshake header, then inside the body */
	record(&c2s, 22, 0x0301, ch.b, 2);
	record(&c2s, 22, 0x0301, ch.b + 2, 40);
	record(&c2s, 22, 0x0301, ch.b + 42, ch.n - 42);
	const struct tls_vec_step steps[] = {STEP(DIR_C2S, c2s)};

	replay_all_chunkings(steps, 1, &f);
	assert_true(f.client_hello);
	assert_string_equal(f.sni, "frag.example.test");
	assert_int_equal(f.n_ciphers_offered, 3);
	assert_int_equal(f.records[DIR_C2S], 3);
	assert_int_equal(f.anomalies, 0);
}

static void
test_several_handshake_messages_in_one_record_are_all_read(void **state)
{
	struct bytes c2s = {.n = 0}, s2c = {.n = 0}, flight = {.n = 0};
	struct bytes c2s_fin = {.n = 0}, s2c_fin = {.n = 0};
	struct tls_facts f;

	(void)state;
	tls12_client_hello_record(&c2s);
	/* ServerHello, Certificate, ServerKeyExchange, ServerHelloDone together */
	server_hello(&flight, 0x0303, NULL, 0xc030, NULL);
	hs_other(&flight, 11, 300);
	hs_other(&flight, 12, 100);
	hs_other(&flight, 14, 0);
	record(&s2c, 22, 0x0303, flight.b, flight.n);
	record(&c2s_fin, 20, 0x0303, ccs_body, 1);
	record(&c2s_fin, 22, 0x0303, appdata_body, sizeof(appdata_body)); /* Finished */
	record(&s2c_fin, 20, 0x0303, ccs_body, 1);
	record(&s2c_fin, 22, 0x0303, appdata_body, sizeof(appdata_body));
	const struct tls_vec_step steps[] = {
		STEP(DIR_C2S, c2s),
		STEP(DIR_S2C, s2c),
		STEP(DIR_C2S, c2s_fin),
		STEP(DIR_S2C, s2c_fin),
	};

	replay_all_chunkings(steps, 4, &f);
	assert_true(f.server_hello);
	assert_int_equal(f.version, 0x0303);
	assert_int_equal(f.cipher, 0xc030);
	assert_true(f.established);
	assert_int_equal(f.anomalies, 0);
	assert_int_equal(f.records[DIR_S2C], 3);
}

static void
test_grease_values_are_ignored_in_suites_versions_extensions_and_alpn(void **state)
{
	static const uint16_t suites[] = {0x0a0a, 0x1301, 0xfafa, 0xc02f};
	static const uint16_t versions[] = {0x3a3a, 0x0304, 0x0303, 0xeaea};
	static const char *const alpn[] = {"\x0a\x0a", "h2", "http/1.1"};
	static const uint8_t grease_data[1] = {0};
	struct bytes exts = {.n = 0}, ch = {.n = 0}, c2s = {.n = 0};
	struct tls_facts f;

	(void)state;
	ext_raw(&exts, 0x1a1a, grease_data, 1);
	ext_client_versions(&exts, versions, 4);
	ext_alpn(&exts, alpn, 3);
	ext_raw(&exts, 0xdada, NULL, 0);
	client_hello(&ch, 0x0303, suites, 4, &exts);
	record(&c2s, 22, 0x0301, ch.b, ch.n);
	const struct tls_vec_step steps[] = {STEP(DIR_C2S, c2s)};

	replay_all_chunkings(steps, 1, &f);
	assert_int_equal(f.n_ciphers_offered, 2);
	assert_int_equal(f.client_max_version, 0x0304);
	assert_string_equal(f.alpn, "h2,http/1.1");
	assert_int_equal(f.anomalies, 0);
}

static void
test_supported_versions_with_only_grease_keeps_the_legacy_version(void **state)
{
	static const uint16_t suites[] = {0xc02f};
	static const uint16_t versions[] = {0x2a2a};
	struct bytes exts = {.n = 0}, ch = {.n = 0}, c2s = {.n = 0};
	struct tls_facts f;

	(void)state;
	ext_client_versions(&exts, versions, 1);
	client_hello(&ch, 0x0303, suites, 1, &exts);
	record(&c2s, 22, 0x0301, ch.b, ch.n);
	const struct tls_vec_step steps[] = {STEP(DIR_C2S, c2s)};

	replay_all_chunkings(steps, 1, &f);
	assert_int_equal(f.client_max_version, 0x0303);
}

static void
test_hand_made_hello_retry_request_waits_for_the_real_server_hello(void **state)
{
	static const uint16_t suites[] = {0x1301, 0x1303};
	static const uint16_t versions[] = {0x0304};
	struct bytes exts = {.n = 0}, sexts = {.n = 0}, ch = {.n = 0};
	struct bytes c1 = {.n = 0}, s1 = {.n = 0}, c2 = {.n = 0}, s2 = {.n = 0};
	struct bytes hrr = {.n = 0}, sh = {.n = 0}, c3 = {.n = 0};
	struct tls_facts f;
	struct run r;

	(void)state;
	ext_client_versions(&exts, versions, 1);
	client_hello(&ch, 0x0303, suites, 2, &exts);
	record(&c1, 22, 0x0301, ch.b, ch.n);
	ext_server_version(&sexts, 0x0304);
	server_hello(&hrr, 0x0303, hrr_random, 0x1303, &sexts);
	record(&s1, 22, 0x0303, hrr.b, hrr.n);
	record(&s1, 20, 0x0303, ccs_body, 1); /* compatibility CCS */
	record(&c2, 20, 0x0303, ccs_body, 1);
	record(&c2, 22, 0x0303, ch.b, ch.n); /* second ClientHello, in the clear */
	server_hello(&sh, 0x0303, NULL, 0x1301, &sexts);
	record(&s2, 22, 0x0303, sh.b, sh.n);
	record(&s2, 23, 0x0303, appdata_body, sizeof(appdata_body));
	record(&c3, 23, 0x0303, appdata_body, sizeof(appdata_body));

	run_init(&r);
	run_feed(&r, DIR_C2S, c1.b, c1.n, 0);
	run_feed(&r, DIR_S2C, s1.b, s1.n, 0);
	run_feed(&r, DIR_C2S, c2.b, c2.n, 0);
	/* both directions sent a CCS, but the final ServerHello is missing */
	assert_true(r.f.encrypted[DIR_C2S]);
	assert_true(r.f.encrypted[DIR_S2C]);
	assert_false(r.f.server_hello);
	assert_false(r.f.established);
	assert_int_equal(r.f.cipher, 0x1303);
	run_feed(&r, DIR_S2C, s2.b, s2.n, 0);
	assert_true(r.f.server_hello);
	assert_int_equal(r.f.cipher, 0x1301);
	assert_int_equal(r.f.version, 0x0304);
	assert_true(r.f.established);
	tls_parser_free(&r.p);

	const struct tls_vec_step steps[] = {
		STEP(DIR_C2S, c1), STEP(DIR_S2C, s1), STEP(DIR_C2S, c2),
		STEP(DIR_S2C, s2), STEP(DIR_C2S, c3),
	};
	replay_all_chunkings(steps, 5, &f);
	assert_true(f.established);
	assert_int_equal(f.cipher, 0x1301);
	assert_int_equal(f.anomalies, 0);
}

static void
test_server_hello_after_a_hello_retry_request_ends_the_cleartext_even_without_tls13(void **state)
{
	static const uint16_t suites[] = {0x1301, 0xc02f};
	static const uint8_t fatal_alert[2] = {2, 40};
	struct bytes sexts = {.n = 0}, ch = {.n = 0}, hrr = {.n = 0}, sh = {.n = 0};
	struct bytes c1 = {.n = 0}, s1 = {.n = 0}, c2 = {.n = 0}, s2 = {.n = 0};
	struct tls_facts f;

	(void)state;
	client_hello(&ch, 0x0303, suites, 2, NULL);
	record(&c1, 22, 0x0301, ch.b, ch.n);
	ext_server_version(&sexts, 0x0304);
	server_hello(&hrr, 0x0303, hrr_random, 0x1301, &sexts);
	record(&s1, 22, 0x0303, hrr.b, hrr.n);
	/* the final ServerHello claims TLS 1.2: after a HelloRetryRequest the
	 * session is TLS 1.3 anyway (RFC 8446 4.1.4), so what follows is not
	 * read in the clear, in either direction */
	server_hello(&sh, 0x0303, NULL, 0xc02f, NULL);
	record(&s2, 22, 0x0303, sh.b, sh.n);
	record(&s2, 21, 0x0303, fatal_alert, 2);
	record(&c2, 21, 0x0303, fatal_alert, 2);
	const struct tls_vec_step steps[] = {
		STEP(DIR_C2S, c1),
		STEP(DIR_S2C, s1),
		STEP(DIR_S2C, s2),
		STEP(DIR_C2S, c2),
	};

	replay_all_chunkings(steps, 4, &f);
	assert_true(f.server_hello);
	assert_int_equal(f.version, 0x0303);
	assert_int_equal(f.cipher, 0xc02f);
	assert_false(f.alert);
	assert_false(f.encrypted[DIR_C2S]);
	assert_int_equal(f.anomalies, 0);
}

static void
test_sslv2_compatible_client_hello_is_parsed(void **state)
{
	struct bytes c2s = {.n = 0}, s2c = {.n = 0}, sh = {.n = 0};
	struct tls_facts f;

	(void)state;
	/* 2-byte header, then CLIENT-HELLO: type 1, version 3.1, 3 specs,
	 * no session id, 16-byte challenge (RFC 5246 E.2) */
	put_u8(&c2s, 0x80);
	put_u8(&c2s, 9 + 9 + 16);
	put_u8(&c2s, 1);
	put_u16(&c2s, 0x0301);
	put_u16(&c2s, 9);
	put_u16(&c2s, 0);
	put_u16(&c2s, 16);
	put_mem(&c2s, "\x01\x00\x80", 3); /* SSL_CK_RC4_128_WITH_MD5 */
	put_mem(&c2s, "\x00\x00\x2f", 3); /* TLS_RSA_WITH_AES_128_CBC_SHA */
	put_mem(&c2s, "\x00\x0a\x0a", 3); /* GREASE: ignored */
	for (int i = 0; i < 16; i++)
		put_u8(&c2s, 0x33);
	assert_int_equal(tls_sniff_client(c2s.b, c2s.n), 1);
	server_hello(&sh, 0x0301, NULL, 0x002f, NULL);
	record(&s2c, 22, 0x0301, sh.b, sh.n);
	const struct tls_vec_step steps[] = {STEP(DIR_C2S, c2s), STEP(DIR_S2C, s2c)};

	replay_all_chunkings(steps, 2, &f);
	assert_true(f.client_hello);
	assert_true(f.sslv2_hello);
	assert_int_equal(f.client_version, 0x0301);
	assert_int_equal(f.client_max_version, 0x0301);
	assert_int_equal(f.n_ciphers_offered, 2);
	assert_true(f.weak_cipher_offered);
	assert_true(f.server_hello);
	assert_int_equal(f.cipher, 0x002f);
	assert_int_equal(f.records[DIR_C2S], 1);
	assert_int_equal(f.anomalies, 0);
}

static void
test_tls13_server_hello_in_the_middle_of_an_sslv2_hello_does_not_crash(void **state)
{
	struct bytes hello = {.n = 0}, s2c = {.n = 0}, sh = {.n = 0}, sexts = {.n = 0};
	struct tls_facts f;

	(void)state;
	/* Regression (hardening finding 1): the TLS 1.3 ServerHello ended the
	 * client's cleartext and freed its handshake buffer while the SSLv2
	 * record was still being read; the next client bytes were copied to NULL. */
	put_u8(&hello, 0x80);
	put_u8(&hello, 9 + 3 + 16);
	put_u8(&hello, 1);
	put_u16(&hello, 0x0301);
	put_u16(&hello, 3);
	put_u16(&hello, 0);
	put_u16(&hello, 16);
	put_mem(&hello, "\x00\x00\x2f", 3);
	for (int i = 0; i < 16; i++)
		put_u8(&hello, 0x44);
	ext_server_version(&sexts, 0x0304);
	server_hello(&sh, 0x0303, NULL, 0x1301, &sexts);
	record(&s2c, 22, 0x0303, sh.b, sh.n);
	const struct tls_vec_step steps[] = {
		{DIR_C2S, 9, hello.b},
		STEP(DIR_S2C, s2c),
		{DIR_C2S, hello.n - 9, hello.b + 9},
		{DIR_C2S, 5, (const uint8_t *)"\x17\x03\x03\x00\x00"},
	};

	replay_all_chunkings(steps, 4, &f);
	assert_true(f.server_hello);
	assert_int_equal(f.version, 0x0304);
	assert_false(f.client_hello); /* the hello was cut, never parsed */
	assert_true(f.anomalies & TLS_ANOM_BAD_HANDSHAKE);
}

static void
test_sslv2_hello_with_lying_cipher_length_is_an_anomaly(void **state)
{
	struct bytes c2s = {.n = 0};
	struct tls_facts f;

	(void)state;
	put_u8(&c2s, 0x80);
	put_u8(&c2s, 9 + 3);
	put_u8(&c2s, 1);
	put_u16(&c2s, 0x0300);
	put_u16(&c2s, 300); /* only 3 bytes follow */
	put_u16(&c2s, 0);
	put_u16(&c2s, 16);
	put_mem(&c2s, "\x00\x00\x0a", 3);
	const struct tls_vec_step steps[] = {STEP(DIR_C2S, c2s)};

	replay_all_chunkings(steps, 1, &f);
	assert_true(f.sslv2_hello);
	assert_int_equal(f.n_ciphers_offered, 1);
	assert_true(f.weak_cipher_offered); /* 3DES */
	assert_true(f.anomalies & TLS_ANOM_BAD_HANDSHAKE);
}

static void
test_plaintext_fatal_alert_after_client_hello_prevents_established(void **state)
{
	static const uint8_t fatal[2] = {2, 40};
	struct bytes c2s = {.n = 0}, s2c = {.n = 0}, sh = {.n = 0}, c2 = {.n = 0};
	struct tls_facts f;

	(void)state;
	tls12_client_hello_record(&c2s);
	server_hello(&sh, 0x0303, NULL, 0xc02f, NULL);
	record(&s2c, 22, 0x0303, sh.b, sh.n);
	record(&s2c, 21, 0x0303, fatal, 2);
	record(&s2c, 20, 0x0303, ccs_body, 1);
	record(&c2, 20, 0x0303, ccs_body, 1);
	const struct tls_vec_step steps[] = {
		STEP(DIR_C2S, c2s),
		STEP(DIR_S2C, s2c),
		STEP(DIR_C2S, c2),
	};

	replay_all_chunkings(steps, 3, &f);
	assert_true(f.alert);
	assert_int_equal(f.alert_dir, DIR_S2C);
	assert_int_equal(f.alert_level, 2);
	assert_int_equal(f.alert_desc, 40);
	assert_true(f.encrypted[DIR_C2S] && f.encrypted[DIR_S2C]);
	assert_false(f.established);
}

static void
test_fatal_alert_after_a_warning_alert_is_the_one_kept(void **state)
{
	static const uint8_t alerts[4] = {1, 112, 2, 70};
	struct bytes c2s = {.n = 0}, c2 = {.n = 0};
	struct tls_facts f;

	(void)state;
	tls12_client_hello_record(&c2s);
	record(&c2, 21, 0x0303, alerts, 4);
	const struct tls_vec_step steps[] = {STEP(DIR_C2S, c2s), STEP(DIR_C2S, c2)};

	replay_all_chunkings(steps, 2, &f);
	assert_true(f.alert);
	assert_int_equal(f.alert_dir, DIR_C2S);
	assert_int_equal(f.alert_level, 2);
	assert_int_equal(f.alert_desc, 70);
	assert_string_equal(tls_alert_name(70), "protocol_version");
}

static void
test_alert_after_change_cipher_spec_is_encrypted_and_ignored(void **state)
{
	static const uint8_t looks_fatal[2] = {2, 40};
	struct bytes c2s = {.n = 0}, s2c = {.n = 0}, sh = {.n = 0};
	struct tls_facts f;

	(void)state;
	tls12_client_hello_record(&c2s);
	server_hello(&sh, 0x0303, NULL, 0xc02f, NULL);
	record(&s2c, 22, 0x0303, sh.b, sh.n);
	record(&s2c, 20, 0x0303, ccs_body, 1);
	record(&s2c, 21, 0x0303, looks_fatal, 2);
	const struct tls_vec_step steps[] = {STEP(DIR_C2S, c2s), STEP(DIR_S2C, s2c)};

	replay_all_chunkings(steps, 2, &f);
	assert_false(f.alert);
	assert_true(f.encrypted[DIR_S2C]);
	assert_false(f.encrypted[DIR_C2S]);
	assert_false(f.established);
}

static void
test_tls13_records_after_the_server_hello_are_not_read_in_the_clear(void **state)
{
	static const uint8_t looks_fatal[2] = {2, 40};
	struct bytes c2s = {.n = 0}, s2c = {.n = 0}, sh = {.n = 0}, sexts = {.n = 0};
	struct bytes c2 = {.n = 0};
	struct tls_facts f;

	(void)state;
	tls12_client_hello_record(&c2s);
	ext_server_version(&sexts, 0x0304);
	server_hello(&sh, 0x0303, NULL, 0x1301, &sexts);
	record(&s2c, 22, 0x0303, sh.b, sh.n);
	record(&s2c, 21, 0x0303, looks_fatal, 2);
	record(&c2, 21, 0x0303, looks_fatal, 2);
	const struct tls_vec_step steps[] = {
		STEP(DIR_C2S, c2s),
		STEP(DIR_S2C, s2c),
		STEP(DIR_C2S, c2),
	};

	replay_all_chunkings(steps, 3, &f);
	assert_true(f.server_hello);
	assert_int_equal(f.version, 0x0304);
	assert_false(f.alert);
	assert_false(f.established); /* no CCS nor application data yet */
}

static void
test_non_tls_first_bytes_set_not_tls_and_are_kept_as_evidence(void **state)
{
	static const char ehlo[] = "EHLO x\r\n";
	const struct tls_vec_step steps[] = {{DIR_C2S, 8, (const uint8_t *)ehlo}};
	struct tls_facts f;
	struct run r;

	(void)state;
	replay_all_chunkings(steps, 1, &f);
	assert_true(f.not_tls[DIR_C2S]);
	assert_false(f.not_tls[DIR_S2C]);
	assert_int_equal(f.first_bytes_len[DIR_C2S], 8);
	assert_memory_equal(f.first_bytes[DIR_C2S], ehlo, 8);
	assert_false(f.client_hello);
	assert_int_equal(f.records[DIR_C2S], 0);
	assert_int_equal(f.anomalies, 0);

	/* decided on the first byte, without buffering anything */
	run_init(&r);
	run_feed(&r, DIR_C2S, (const uint8_t *)ehlo, 1, 0);
	assert_true(r.f.not_tls[DIR_C2S]);
	assert_true(r.p.d[DIR_C2S].stopped);
	assert_null(r.p.d[DIR_C2S].hs_buf);
	tls_parser_free(&r.p);
}

static void
test_evidence_of_a_non_tls_stream_stops_at_64_bytes(void **state)
{
	uint8_t text[100];
	struct run r;

	(void)state;
	for (size_t i = 0; i < sizeof(text); i++)
		text[i] = (uint8_t)('a' + i % 26);
	run_init(&r);
	/* 0x16 0x03 then a bad length: not TLS, noticed on the 5th byte */
	run_feed(&r, DIR_S2C, (const uint8_t *)"\x16\x03\x01\xff\xff", 5, 2);
	assert_true(r.f.not_tls[DIR_S2C]);
	run_feed(&r, DIR_S2C, text, sizeof(text), 9);
	assert_int_equal(r.f.first_bytes_len[DIR_S2C], 64);
	assert_memory_equal(r.f.first_bytes[DIR_S2C], "\x16\x03\x01\xff\xff", 5);
	assert_memory_equal(r.f.first_bytes[DIR_S2C] + 5, text, 59);
	tls_parser_free(&r.p);
}

static void
test_sslv2_header_from_the_server_is_not_tls(void **state)
{
	static const uint8_t v2[5] = {0x80, 0x2e, 0x01, 0x03, 0x01};
	const struct tls_vec_step steps[] = {{DIR_S2C, 5, v2}};
	struct tls_facts f;

	(void)state;
	replay_all_chunkings(steps, 1, &f);
	assert_true(f.not_tls[DIR_S2C]);
	assert_int_equal(f.first_bytes_len[DIR_S2C], 1 + 4); /* decided on byte 1 */
}

static void
test_bad_record_header_mid_stream_sets_bad_record_and_stops(void **state)
{
	struct bytes c2s = {.n = 0}, later = {.n = 0};
	struct tls_facts f;
	struct run r;

	(void)state;
	tls12_client_hello_record(&c2s);
	record(&later, 22, 0x0203, ccs_body, 1); /* version major 2 */
	tls12_client_hello_record(&later);
	const struct tls_vec_step steps[] = {STEP(DIR_C2S, c2s), STEP(DIR_C2S, later)};

	replay_all_chunkings(steps, 2, &f);
	assert_true(f.client_hello);
	assert_false(f.not_tls[DIR_C2S]);
	assert_int_equal(f.first_bytes_len[DIR_C2S], 0);
	assert_true(f.anomalies & TLS_ANOM_BAD_RECORD);
	assert_int_equal(f.records[DIR_C2S], 1);

	run_init(&r);
	run_steps(&r, steps, 2, 0);
	assert_true(r.p.d[DIR_C2S].stopped);
	tls_parser_free(&r.p);
}

static void
test_record_longer_than_the_ciphertext_limit_is_rejected(void **state)
{
	static const uint8_t big[5] = {23, 3, 3, 0x48, 0x01}; /* 2^14 + 2048 + 1 */
	static const uint8_t max[5] = {23, 3, 3, 0x48, 0x00};
	const struct tls_vec_step s1[] = {{DIR_S2C, 5, big}};
	const struct tls_vec_step s2[] = {{DIR_S2C, 5, max}};
	struct tls_facts f;

	(void)state;
	replay_all_chunkings(s1, 1, &f);
	assert_true(f.not_tls[DIR_S2C]);
	replay_all_chunkings(s2, 1, &f);
	assert_false(f.not_tls[DIR_S2C]);
	assert_true(f.encrypted[DIR_S2C]);
}

static void
test_zero_length_records_are_anomalies_not_crashes(void **state)
{
	struct bytes c2s = {.n = 0};
	struct tls_facts f;

	(void)state;
	record(&c2s, 22, 0x0301, NULL, 0);
	record(&c2s, 21, 0x0301, NULL, 0);
	tls12_client_hello_record(&c2s);
	record(&c2s, 23, 0x0303, NULL, 0); /* allowed for application data */
	const struct tls_vec_step steps[] = {STEP(DIR_C2S, c2s)};

	replay_all_chunkings(steps, 1, &f);
	assert_true(f.anomalies & TLS_ANOM_BAD_RECORD);
	assert_true(f.client_hello);
	assert_true(f.encrypted[DIR_C2S]);
	assert_int_equal(f.records[DIR_C2S], 4);
}

static void
test_extension_block_overrunning_the_hello_is_an_anomaly(void **state)
{
	static const uint16_t suites[] = {0xc02f};
	struct bytes exts = {.n = 0}, ch = {.n = 0}, c2s = {.n = 0};
	struct tls_facts f;

	(void)state;
	ext_sni(&exts, "keep.example.test", 17);
	client_hello(&ch, 0x0303, suites, 1, &exts);
	/* claim 40 more extension bytes than there are */
	size_t at = ch.n - exts.n - 2;
	ch.b[at] = (uint8_t)((exts.n + 40) >> 8);
	ch.b[at + 1] = (uint8_t)(exts.n + 40);
	record(&c2s, 22, 0x0301, ch.b, ch.n);
	const struct tls_vec_step steps[] = {STEP(DIR_C2S, c2s)};

	replay_all_chunkings(steps, 1, &f);
	assert_true(f.client_hello);
	assert_true(f.anomalies & TLS_ANOM_BAD_HANDSHAKE);
	assert_string_equal(f.sni, ""); /* the block was not trusted */
}

static void
test_lying_lengths_inside_extensions_are_anomalies(void **state)
{
	static const uint16_t suites[] = {0xc02f};
	static const uint8_t bad_sni[] = {0x00, 0x20, 0x00, 0x00, 0x05, 'a', 'b'};
	static const uint8_t bad_alpn[] = {0x00, 0x03, 0x05, 'h', '2'};
	static const uint8_t odd_versions[] = {0x03, 0x03, 0x04, 0x03};
	struct bytes exts = {.n = 0}, ch = {.n = 0}, c2s = {.n = 0};
	struct tls_facts f;

	(void)state;
	ext_raw(&exts, 0, bad_sni, sizeof(bad_sni));
	ext_raw(&exts, 16, bad_alpn, sizeof(bad_alpn));
	ext_raw(&exts, 43, odd_versions, sizeof(odd_versions));
	client_hello(&ch, 0x0303, suites, 1, &exts);
	record(&c2s, 22, 0x0301, ch.b, ch.n);
	const struct tls_vec_step steps[] = {STEP(DIR_C2S, c2s)};

	replay_all_chunkings(steps, 1, &f);
	assert_true(f.client_hello);
	assert_true(f.anomalies & TLS_ANOM_BAD_HANDSHAKE);
	assert_string_equal(f.sni, "");
	assert_int_equal(f.client_max_version, 0x0303);
}

static void
test_truncated_client_hello_is_an_anomaly(void **state)
{
	static const uint8_t body[10] = {1, 0, 0, 6, 3, 3, 0, 0, 0, 0};
	struct bytes c2s = {.n = 0};
	struct tls_facts f;

	(void)state;
	record(&c2s, 22, 0x0301, body, sizeof(body));
	const struct tls_vec_step steps[] = {STEP(DIR_C2S, c2s)};

	replay_all_chunkings(steps, 1, &f);
	assert_false(f.client_hello);
	assert_true(f.anomalies & TLS_ANOM_BAD_HANDSHAKE);
}

static void
test_client_hello_over_the_cap_is_skipped_and_counted(void **state)
{
	static const uint8_t filler[16384] = {0};
	uint32_t body = TLS_HS_CAP + 1;
	struct bytes *c2s = calloc(1, sizeof(*c2s));
	struct bytes s2c = {.n = 0}, sh = {.n = 0};
	struct run r;

	(void)state;
	assert_non_null(c2s);
	run_init(&r);
	/* handshake header + body, cut into records of at most 2^14 bytes */
	uint8_t hdr[4] = {1, (uint8_t)(body >> 16), (uint8_t)(body >> 8), (uint8_t)body};
	uint32_t left = body;

	put_u8(c2s, 22);
	put_u16(c2s, 0x0301);
	put_u16(c2s, 4 + 1000);
	put_mem(c2s, hdr, 4);
	put_mem(c2s, filler, 1000);
	run_feed(&r, DIR_C2S, c2s->b, c2s->n, 7);
	left -= 1000;
	assert_true(r.f.anomalies & TLS_ANOM_HS_CAP);
	assert_null(r.p.d[DIR_C2S].hs_buf);
	while (left > 0) {
		uint32_t n = left > sizeof(filler) ? sizeof(filler) : left;
		uint8_t rh[5] = {22, 3, 1, (uint8_t)(n >> 8), (uint8_t)n};

		run_feed(&r, DIR_C2S, rh, 5, 0);
		run_feed(&r, DIR_C2S, filler, n, 3000);
		left -= n;
	}
	assert_false(r.f.client_hello);
	assert_int_equal(r.f.cap_hits, 1);
	/* the stream stays in sync: the server's hello is still read */
	server_hello(&sh, 0x0303, NULL, 0xc02f, NULL);
	record(&s2c, 22, 0x0303, sh.b, sh.n);
	run_feed(&r, DIR_S2C, s2c.b, s2c.n, 0);
	assert_true(r.f.server_hello);
	assert_false(r.f.not_tls[DIR_C2S]);
	assert_int_equal(r.f.anomalies, TLS_ANOM_HS_CAP);
	tls_parser_free(&r.p);
	free(c2s);
}

static void
test_gap_stops_the_direction_and_frees_its_buffer(void **state)
{
	struct bytes c2s = {.n = 0};
	struct run r;

	(void)state;
	tls12_client_hello_record(&c2s);
	run_init(&r);
	run_feed(&r, DIR_C2S, c2s.b, 20, 0);
	assert_non_null(r.p.d[DIR_C2S].hs_buf);
	tls_gap(&r.p, &r.f, DIR_C2S);
	assert_null(r.p.d[DIR_C2S].hs_buf);
	assert_true(r.p.d[DIR_C2S].stopped);
	assert_true(r.f.anomalies & TLS_ANOM_GAP);
	run_feed(&r, DIR_C2S, c2s.b + 20, c2s.n - 20, 0);
	assert_false(r.f.client_hello);
	assert_false(r.f.not_tls[DIR_C2S]);
	assert_int_equal(r.f.first_bytes_len[DIR_C2S], 0);
	assert_false(r.p.d[DIR_S2C].stopped);
	tls_parser_free(&r.p);
}

static void
test_sni_non_printable_bytes_are_replaced_and_long_names_cut(void **state)
{
	static const uint16_t suites[] = {0xc02f};
	char longname[400];
	struct bytes exts = {.n = 0}, ch = {.n = 0}, c2s = {.n = 0};
	struct bytes exts2 = {.n = 0}, ch2 = {.n = 0}, c2s2 = {.n = 0};
	struct tls_facts f;

	(void)state;
	ext_sni(&exts,
		"a\x01"
		"b\xff"
		"c\0d",
		7);
	client_hello(&ch, 0x0303, suites, 1, &exts);
	record(&c2s, 22, 0x0301, ch.b, ch.n);
	const struct tls_vec_step steps[] = {STEP(DIR_C2S, c2s)};

	replay_all_chunkings(steps, 1, &f);
	assert_string_equal(f.sni, "a?b?c?d");

	memset(longname, 'x', sizeof(longname));
	ext_sni(&exts2, longname, sizeof(longname));
	client_hello(&ch2, 0x0303, suites, 1, &exts2);
	record(&c2s2, 22, 0x0301, ch2.b, ch2.n);
	const struct tls_vec_step steps2[] = {STEP(DIR_C2S, c2s2)};

	replay_all_chunkings(steps2, 1, &f);
	assert_int_equal(strlen(f.sni), TLS_SNI_MAX - 1);
	assert_int_equal(f.sni[0], 'x');
}

static void
test_alpn_list_is_cut_to_fit(void **state)
{
	static const uint16_t suites[] = {0xc02f};
	static const char *const names[] = {
		"http/1.1", "spdy/1", "spdy/2", "spdy/3", "stun.turn",	 "webrtc",
		"c-webrtc", "ftp",    "imap",	"pop3",	  "managesieve", "xmpp-client",
	};
	struct bytes exts = {.n = 0}, ch = {.n = 0}, c2s = {.n = 0};
	struct tls_facts f;

	(void)state;
	ext_alpn(&exts, names, sizeof(names) / sizeof(names[0]));
	client_hello(&ch, 0x0303, suites, 1, &exts);
	record(&c2s, 22, 0x0301, ch.b, ch.n);
	const struct tls_vec_step steps[] = {STEP(DIR_C2S, c2s)};

	replay_all_chunkings(steps, 1, &f);
	assert_true(strlen(f.alpn) <= TLS_ALPN_MAX - 1);
	assert_true(strncmp(f.alpn, "http/1.1,spdy/1,spdy/2,spdy/3,stun.turn,webrtc,c-webrtc,",
			    56) == 0);
	assert_true(f.alpn[strlen(f.alpn) - 1] != ',');
	assert_int_equal(f.anomalies, 0);
}

static void
test_hellos_in_the_wrong_direction_are_ignored(void **state)
{
	struct bytes c2s = {.n = 0}, sh = {.n = 0}, s2c = {.n = 0};
	struct tls_facts f;

	(void)state;
	server_hello(&sh, 0x0303, NULL, 0xc02f, NULL);
	record(&c2s, 22, 0x0303, sh.b, sh.n);
	tls12_client_hello_record(&s2c);
	const struct tls_vec_step steps[] = {STEP(DIR_C2S, c2s), STEP(DIR_S2C, s2c)};

	replay_all_chunkings(steps, 2, &f);
	assert_false(f.server_hello);
	assert_false(f.client_hello);
}

/* Tiny deterministic PRNG (xorshift32); the state lives in the caller. */
static uint32_t
rnd(uint32_t *s)
{
	uint32_t x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*s = x;
	return x;
}

/* Feeds n bytes in random-sized pieces. */
static void
feed_random_chunks(struct run *r, enum dir dir, const uint8_t *p, size_t n, uint32_t *seed)
{
	size_t off = 0;

	while (off < n) {
		size_t k = 1 + rnd(seed) % 97;

		if (k > n - off)
			k = n - off;
		tls_feed(&r->p, &r->f, dir, p + off, k);
		off += k;
	}
}

/* Mutates the first flight of each direction of a real conversation. */
static void
fuzz_vector(const char *name, uint32_t seed, int iterations)
{
	const struct tls_vector *v = vector(name);
	const struct tls_vec_step *ch = &v->steps[0], *sh = &v->steps[1];
	uint8_t *buf[2];

	assert_int_equal(ch->dir, DIR_C2S);
	assert_int_equal(sh->dir, DIR_S2C);
	buf[0] = malloc(ch->len + 64);
	buf[1] = malloc(sh->len + 64);
	assert_non_null(buf[0]);
	assert_non_null(buf[1]);
	for (int iter = 0; iter < iterations; iter++) {
		size_t len[2] = {ch->len, sh->len};
		struct run whole, cut;

		memcpy(buf[0], ch->bytes, ch->len);
		memcpy(buf[1], sh->bytes, sh->len);
		for (int d = 0; d < 2; d++) {
			int edits = 1 + (int)(rnd(&seed) % 6);

			for (int e = 0; e < edits; e++) {
				size_t at = rnd(&seed) % len[d];

				switch (rnd(&seed) % 5) {
				case 0: /* flip a byte */
					buf[d][at] ^= (uint8_t)(1 + rnd(&seed) % 255);
					break;
				case 1: /* a length-looking field set to something large */
					buf[d][at] = 0xff;
					if (at + 1 < len[d])
						buf[d][at + 1] = (uint8_t)rnd(&seed);
					break;
				case 2: /* a small value, e.g. a length of zero */
					buf[d][at] = (uint8_t)(rnd(&seed) % 3);
					break;
				case 3: /* truncate */
					len[d] = at + 1;
					break;
				default: /* duplicate a stretch (the buffer has room) */
					if (len[d] + 16 <= (d ? sh->len : ch->len) + 64 &&
					    at + 16 <= len[d]) {
						memmove(buf[d] + at + 16, buf[d] + at, len[d] - at);
						len[d] += 16;
					}
					break;
				}
			}
		}
		run_init(&whole);
		run_init(&cut);
		for (int d = 0; d < 2; d++) {
			tls_feed(&whole.p, &whole.f, (enum dir)d, buf[d], len[d]);
			feed_random_chunks(&cut, (enum dir)d, buf[d], len[d], &seed);
		}
		assert_memory_equal(&whole.f, &cut.f, sizeof(whole.f));
		assert_true(whole.f.sni[TLS_SNI_MAX - 1] == '\0');
		assert_true(whole.f.alpn[TLS_ALPN_MAX - 1] == '\0');
		assert_true(whole.f.first_bytes_len[0] <= 64 && whole.f.first_bytes_len[1] <= 64);
		tls_parser_free(&whole.p);
		tls_parser_free(&cut.p);
	}
	free(buf[0]);
	free(buf[1]);
}

static void
test_random_mutations_of_real_hellos_never_crash_and_ignore_chunking(void **state)
{
	(void)state;
	fuzz_vector("tls13_sni_alpn", 0x7e5715u, 2000);
	fuzz_vector("tls12_ecdhe_gcm", 0x5eed12u, 2000);
	fuzz_vector("tls12_handshake_failure", 0xa1e27u, 500);
}

static void
test_parser_can_be_reused_after_free_and_init(void **state)
{
	struct bytes c2s = {.n = 0};
	struct run r;

	(void)state;
	tls12_client_hello_record(&c2s);
	run_init(&r);
	run_feed(&r, DIR_C2S, c2s.b, 30, 0);
	tls_parser_free(&r.p);
	run_init(&r);
	run_feed(&r, DIR_C2S, c2s.b, c2s.n, 0);
	assert_true(r.f.client_hello);
	tls_parser_free(&r.p);
	tls_parser_free(&r.p); /* twice is harmless */
}

/* ---- the hello unit alone (tls_hello.h), as DTLS and QUIC call it ---- */

/* The body of a handshake message built above (its 4-byte header dropped). */
static const uint8_t *
hs_body(const struct bytes *msg, size_t *len)
{
	assert_true(msg->n >= 4);
	*len = msg->n - 4;
	return msg->b + 4;
}

/* A DTLS ClientHello body (RFC 6347 4.2.1): a cookie after the session id,
 * DTLS version numbers (0xfefd 1.2, 0xfefc 1.3) in supported_versions. */
static void
dtls_client_hello_body(struct bytes *out, const uint8_t *cookie, size_t cookie_len)
{
	static const uint16_t suites[] = {0x1301, 0xc02b, 0x000a};
	static const uint16_t versions[] = {0x3a3a, 0xfefd, 0xfefc};
	static const char *const alpn[] = {"coap"};
	struct bytes exts = {.n = 0};
	size_t list;

	ext_sni(&exts, "dtls.example.test", 17);
	ext_alpn(&exts, alpn, 1);
	ext_client_versions(&exts, versions, 3);
	put_u16(out, 0xfefd);
	for (int i = 0; i < 32; i++)
		put_u8(out, 0x44);
	put_u8(out, 0); /* session id */
	put_u8(out, (unsigned)cookie_len);
	put_mem(out, cookie, cookie_len);
	list = open_len(out, 2);
	for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		put_u16(out, suites[i]);
	close_len(out, list, 2);
	put_u8(out, 1); /* compression: null */
	put_u8(out, 0);
	put_u16(out, (unsigned)exts.n);
	put_mem(out, exts.b, exts.n);
}

static void
test_hello_unit_reads_a_dtls_client_hello_after_its_cookie(void **state)
{
	static const uint8_t cookie[16] = {0x10, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00,
					   0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08};
	struct bytes body = {.n = 0};
	struct tls_facts f;

	(void)state;
	dtls_client_hello_body(&body, cookie, sizeof(cookie));
	memset(&f, 0, sizeof(f));
	assert_int_equal(tls_hello_parse_client(&f, body.b, body.n, TLS_HELLO_DTLS), TLS_HELLO_OK);
	assert_true(f.client_hello);
	assert_false(f.sslv2_hello);
	assert_int_equal(f.client_version, 0xfefd);
	assert_int_equal(f.client_max_version, 0xfefc); /* DTLS 1.3: the lower number */
	assert_int_equal(f.n_ciphers_offered, 3);
	assert_true(f.weak_cipher_offered);
	assert_string_equal(f.sni, "dtls.example.test");
	assert_string_equal(f.alpn, "coap");
	assert_int_equal(f.anomalies, 0);

	/* Read as TLS, the cookie length is taken for the suites length. */
	memset(&f, 0, sizeof(f));
	assert_int_equal(tls_hello_parse_client(&f, body.b, body.n, TLS_HELLO_TLS),
			 TLS_HELLO_MALFORMED);
	assert_false(f.client_hello);
	assert_int_equal(f.anomalies, TLS_ANOM_BAD_HANDSHAKE);
}

static void
test_hello_unit_dtls_client_hello_with_an_empty_cookie_gives_the_tls_facts(void **state)
{
	static const uint16_t suites[] = {0x0a0a, 0xc02f, 0x0005};
	static const uint16_t versions[] = {0x0304};
	static const char *const alpn[] = {"h2", "http/1.1"};
	struct bytes exts = {.n = 0}, ch = {.n = 0}, dtls = {.n = 0};
	struct tls_facts tls_f, dtls_f;
	const uint8_t *b;
	size_t n;

	(void)state;
	ext_sni(&exts, "same.example.test", 17);
	ext_alpn(&exts, alpn, 2);
	ext_client_versions(&exts, versions, 1);
	client_hello(&ch, 0x0303, suites, 3, &exts);
	b = hs_body(&ch, &n);
	put_mem(&dtls, b, 2 + 32 + 1); /* version, random, empty session id */
	put_u8(&dtls, 0);	       /* empty cookie */
	put_mem(&dtls, b + 35, n - 35);

	memset(&tls_f, 0, sizeof(tls_f));
	memset(&dtls_f, 0, sizeof(dtls_f));
	assert_int_equal(tls_hello_parse_client(&tls_f, b, n, TLS_HELLO_TLS), TLS_HELLO_OK);
	assert_int_equal(tls_hello_parse_client(&dtls_f, dtls.b, dtls.n, TLS_HELLO_DTLS),
			 TLS_HELLO_OK);
	assert_memory_equal(&tls_f, &dtls_f, sizeof(tls_f));
	assert_string_equal(tls_f.alpn, "h2,http/1.1");
	assert_int_equal(tls_f.client_max_version, 0x0304);
	assert_int_equal(tls_f.n_ciphers_offered, 2);
}

static void
test_hello_unit_tells_ok_retry_encrypted_and_malformed_apart(void **state)
{
	struct bytes sexts = {.n = 0}, dexts = {.n = 0};
	struct bytes sh12 = {.n = 0}, hrr = {.n = 0}, sh13 = {.n = 0}, dsh13 = {.n = 0};
	struct tls_facts f, zero;
	const uint8_t *b;
	size_t n;

	(void)state;
	memset(&zero, 0, sizeof(zero));
	ext_server_version(&sexts, 0x0304);
	ext_server_version(&dexts, 0xfefc);
	server_hello(&sh12, 0x0303, NULL, 0xc02f, NULL);
	server_hello(&hrr, 0x0303, hrr_random, 0x1302, &sexts);
	server_hello(&sh13, 0x0303, NULL, 0x1301, &sexts);
	server_hello(&dsh13, 0xfefd, NULL, 0x1301, &dexts);

	memset(&f, 0, sizeof(f));
	b = hs_body(&sh12, &n);
	assert_int_equal(tls_hello_parse_server(&f, b, n, TLS_HELLO_TLS), TLS_HELLO_OK);
	assert_true(f.server_hello);
	assert_int_equal(f.version, 0x0303);
	assert_int_equal(f.cipher, 0xc02f);

	memset(&f, 0, sizeof(f));
	b = hs_body(&hrr, &n);
	assert_int_equal(tls_hello_parse_server(&f, b, n, TLS_HELLO_TLS), TLS_HELLO_RETRY);
	assert_false(f.server_hello);
	assert_int_equal(f.version, 0x0304);
	assert_int_equal(f.cipher, 0x1302);

	memset(&f, 0, sizeof(f));
	b = hs_body(&sh13, &n);
	assert_int_equal(tls_hello_parse_server(&f, b, n, TLS_HELLO_TLS), TLS_HELLO_ENCRYPTED);
	assert_true(f.server_hello);
	assert_int_equal(f.version, 0x0304);
	assert_int_equal(f.anomalies, 0);

	/* cut inside the random: nothing but the anomaly is recorded */
	memset(&f, 0, sizeof(f));
	assert_int_equal(tls_hello_parse_server(&f, b, 20, TLS_HELLO_TLS), TLS_HELLO_MALFORMED);
	zero.anomalies = TLS_ANOM_BAD_HANDSHAKE;
	assert_memory_equal(&f, &zero, sizeof(f));

	/* DTLS 1.3 is 0xfefc (RFC 9147); to a TLS reader it is just a version */
	memset(&f, 0, sizeof(f));
	b = hs_body(&dsh13, &n);
	assert_int_equal(tls_hello_parse_server(&f, b, n, TLS_HELLO_DTLS), TLS_HELLO_ENCRYPTED);
	assert_int_equal(f.version, 0xfefc);
	memset(&f, 0, sizeof(f));
	assert_int_equal(tls_hello_parse_server(&f, b, n, TLS_HELLO_TLS), TLS_HELLO_OK);
}

static void
test_hello_unit_client_hello_cut_after_its_suites_keeps_what_was_read(void **state)
{
	static const uint16_t suites[] = {0x1301, 0x0004};
	struct bytes ch = {.n = 0};
	struct tls_facts f;
	const uint8_t *b;
	size_t n;

	(void)state;
	client_hello(&ch, 0x0303, suites, 2, NULL);
	b = hs_body(&ch, &n);
	memset(&f, 0, sizeof(f));
	/* version, random, session id, suites: the compression methods are cut */
	assert_int_equal(tls_hello_parse_client(&f, b, 2 + 32 + 1 + 2 + 4, TLS_HELLO_TLS),
			 TLS_HELLO_MALFORMED);
	assert_true(f.client_hello);
	assert_int_equal(f.n_ciphers_offered, 2);
	assert_true(f.weak_cipher_offered);
	assert_int_equal(f.anomalies, TLS_ANOM_BAD_HANDSHAKE);

	memset(&f, 0, sizeof(f));
	assert_int_equal(tls_hello_parse_client(&f, b, 0, TLS_HELLO_TLS), TLS_HELLO_MALFORMED);
	assert_false(f.client_hello);
	memset(&f, 0, sizeof(f));
	assert_int_equal(tls_hello_parse_client(&f, NULL, 0, TLS_HELLO_DTLS), TLS_HELLO_MALFORMED);
}

static void
test_hello_unit_reads_an_sslv2_client_hello_from_its_message_type(void **state)
{
	struct bytes rec = {.n = 0};
	struct tls_facts f;

	(void)state;
	put_u8(&rec, 1);
	put_u16(&rec, 0x0300);
	put_u16(&rec, 6);
	put_u16(&rec, 0);
	put_u16(&rec, 16);
	put_mem(&rec, "\x07\x00\xc0", 3); /* SSL_CK_DES_192_EDE3_CBC_WITH_MD5 */
	put_mem(&rec, "\x00\x00\x35", 3); /* TLS_RSA_WITH_AES_256_CBC_SHA */
	for (int i = 0; i < 16; i++)
		put_u8(&rec, 0x55);
	memset(&f, 0, sizeof(f));
	assert_int_equal(tls_hello_parse_sslv2(&f, rec.b, rec.n), TLS_HELLO_OK);
	assert_true(f.client_hello);
	assert_true(f.sslv2_hello);
	assert_int_equal(f.client_version, 0x0300);
	assert_int_equal(f.n_ciphers_offered, 2);
	assert_true(f.weak_cipher_offered);
	assert_int_equal(f.anomalies, 0);

	memset(&f, 0, sizeof(f));
	assert_int_equal(tls_hello_parse_sslv2(&f, rec.b, 8), TLS_HELLO_MALFORMED);
	assert_false(f.client_hello);
	assert_int_equal(f.anomalies, TLS_ANOM_BAD_HANDSHAKE);
}

/* ---- sniffers and names ---- */

static void
test_client_sniffer_needs_three_bytes_for_a_handshake_record(void **state)
{
	(void)state;
	assert_int_equal(tls_sniff_client((const uint8_t *)"", 0), -1);
	assert_int_equal(tls_sniff_client((const uint8_t *)"\x16", 1), -1);
	assert_int_equal(tls_sniff_client((const uint8_t *)"\x16\x03", 2), -1);
	assert_int_equal(tls_sniff_client((const uint8_t *)"\x16\x03\x01", 3), 1);
	assert_int_equal(tls_sniff_client((const uint8_t *)"\x16\x03\x00", 3), 1);
	assert_int_equal(tls_sniff_client((const uint8_t *)"\x16\x03\x04", 3), 1);
	assert_int_equal(tls_sniff_client((const uint8_t *)"\x16\x03\x05", 3), 0);
	assert_int_equal(tls_sniff_client((const uint8_t *)"\x16\x02\x00", 3), 0);
	assert_int_equal(tls_sniff_client((const uint8_t *)"\x17\x03\x03", 3), 0);
	assert_int_equal(tls_sniff_client((const uint8_t *)"EHLO", 4), 0);
	assert_int_equal(tls_sniff_client((const uint8_t *)"\x16\x03\x01\x00\x10", 5), 1);
}

static void
test_client_sniffer_recognises_an_sslv2_hello_on_its_fifth_byte(void **state)
{
	static const uint8_t v2[] = {0x80, 0x2e, 0x01, 0x03, 0x01};
	static const uint8_t v2_ssl2[] = {0x80, 0x2e, 0x01, 0x00, 0x02};

	(void)state;
	for (size_t n = 1; n < 5; n++)
		assert_int_equal(tls_sniff_client(v2, n), -1);
	assert_int_equal(tls_sniff_client(v2, 5), 1);
	assert_int_equal(tls_sniff_client(v2_ssl2, 5), 1);
	assert_int_equal(tls_sniff_client((const uint8_t *)"\x80\x2e\x02", 3), 0);
	assert_int_equal(tls_sniff_client((const uint8_t *)"\x80\x2e\x01\x03\x04", 5), 0);
	assert_int_equal(tls_sniff_client((const uint8_t *)"\x80\x2e\x01\x01", 4), 0);
}

static void
test_record_sniffer_accepts_any_record_type(void **state)
{
	(void)state;
	assert_int_equal(tls_sniff_record((const uint8_t *)"\x14\x03\x03", 3), 1);
	assert_int_equal(tls_sniff_record((const uint8_t *)"\x15\x03\x01", 3), 1);
	assert_int_equal(tls_sniff_record((const uint8_t *)"\x16\x03\x03", 3), 1);
	assert_int_equal(tls_sniff_record((const uint8_t *)"\x17\x03\x03", 3), 1);
	assert_int_equal(tls_sniff_record((const uint8_t *)"\x18\x03\x03", 3), 0);
	assert_int_equal(tls_sniff_record((const uint8_t *)"\x17", 1), -1);
	assert_int_equal(tls_sniff_record((const uint8_t *)"\x17\x03", 2), -1);
	assert_int_equal(tls_sniff_record((const uint8_t *)"\x80\x2e\x01", 3), 0);
	assert_int_equal(tls_sniff_record((const uint8_t *)"+OK", 3), 0);
}

static void
test_version_names_and_obsolete_versions(void **state)
{
	char buf[8];

	(void)state;
	assert_string_equal(tls_version_name(0x0002, buf), "SSLv2");
	assert_string_equal(tls_version_name(0x0300, buf), "SSLv3");
	assert_string_equal(tls_version_name(0x0301, buf), "TLSv1.0");
	assert_string_equal(tls_version_name(0x0302, buf), "TLSv1.1");
	assert_string_equal(tls_version_name(0x0303, buf), "TLSv1.2");
	assert_string_equal(tls_version_name(0x0304, buf), "TLSv1.3");
	assert_string_equal(tls_version_name(0x7f1c, buf), "0x7f1c");
	assert_true(tls_version_is_obsolete(0x0002));
	assert_true(tls_version_is_obsolete(0x0300));
	assert_true(tls_version_is_obsolete(0x0301));
	assert_true(tls_version_is_obsolete(0x0302));
	assert_false(tls_version_is_obsolete(0x0303));
	assert_false(tls_version_is_obsolete(0x0304));
	assert_false(tls_version_is_obsolete(0));
}

static void
test_cipher_names_come_from_the_iana_registry(void **state)
{
	char buf[8];

	(void)state;
	assert_string_equal(tls_cipher_name(0x1301, buf), "TLS_AES_128_GCM_SHA256");
	assert_string_equal(tls_cipher_name(0x1303, buf), "TLS_CHACHA20_POLY1305_SHA256");
	assert_string_equal(tls_cipher_name(0xcca8, buf),
			    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");
	assert_string_equal(tls_cipher_name(0x000a, buf), "TLS_RSA_WITH_3DES_EDE_CBC_SHA");
	assert_string_equal(tls_cipher_name(0x0003, buf), "TLS_RSA_EXPORT_WITH_RC4_40_MD5");
	assert_string_equal(tls_cipher_name(0x00ff, buf), "TLS_EMPTY_RENEGOTIATION_INFO_SCSV");
	assert_string_equal(tls_cipher_name(0xd001, buf), "TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256");
	assert_string_equal(tls_cipher_name(0x1234, buf), "0x1234");
	assert_string_equal(tls_cipher_name(0x0a0a, buf), "0x0a0a");
}

static void
test_weak_ciphers_are_null_export_rc4_anon_des_and_3des(void **state)
{
	static const uint16_t weak[] = {
		0x0000, 0x0001, 0x0003, 0x0004, 0x0005, 0x0006, 0x0009, 0x000a, 0x000d, 0x0018,
		0x001b, 0x001f, 0x0028, 0x002c, 0x0034, 0x003b, 0x0064, 0x008a, 0x00a6, 0x00b0,
		0xc007, 0xc011, 0xc012, 0xc016, 0xc018, 0xc01a, 0xc039, 0xc05a, 0xc0b4,
	};
	static const uint16_t strong[] = {
		0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc030, 0x002f, 0x0035,
		0x009c, 0xcca8, 0xcca9, 0x0007, 0x00ff, 0x5600, 0x1234,
	};

	(void)state;
	for (size_t i = 0; i < sizeof(weak) / sizeof(weak[0]); i++)
		assert_true(tls_cipher_is_weak(weak[i]));
	for (size_t i = 0; i < sizeof(strong) / sizeof(strong[0]); i++)
		assert_false(tls_cipher_is_weak(strong[i]));
}

static void
test_alert_names_cover_rfc8446_and_rfc5246(void **state)
{
	(void)state;
	assert_string_equal(tls_alert_name(0), "close_notify");
	assert_string_equal(tls_alert_name(20), "bad_record_mac");
	assert_string_equal(tls_alert_name(21), "decryption_failed");
	assert_string_equal(tls_alert_name(40), "handshake_failure");
	assert_string_equal(tls_alert_name(48), "unknown_ca");
	assert_string_equal(tls_alert_name(86), "inappropriate_fallback");
	assert_string_equal(tls_alert_name(109), "missing_extension");
	assert_string_equal(tls_alert_name(112), "unrecognized_name");
	assert_string_equal(tls_alert_name(116), "certificate_required");
	assert_string_equal(tls_alert_name(120), "no_application_protocol");
	assert_null(tls_alert_name(1));
	assert_null(tls_alert_name(255));
}

/* The bitmap tls_cipher_is_weak reads agrees with the tables for every
 * code (a named suite's flag decides over the ranges). */
static void
test_tls_weak_suite_bitmap_agrees_with_the_tables(void **state)
{
	unsigned weak = 0;

	(void)state;
	for (uint32_t c = 0; c < 65536; c++) {
		assert_int_equal(tls_cipher_is_weak((uint16_t)c),
				 tls_cipher_is_weak_uncached((uint16_t)c));
		weak += tls_cipher_is_weak((uint16_t)c);
	}
	assert_true(weak > 50);
	assert_true(tls_cipher_is_weak(0x0005));  /* RSA_WITH_RC4_128_SHA */
	assert_false(tls_cipher_is_weak(0x1301)); /* TLS_AES_128_GCM_SHA256 */
	assert_true(tls_cipher_is_weak(0x000b));  /* a range: DH_DSS EXPORT */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tls_weak_suite_bitmap_agrees_with_the_tables),
		cmocka_unit_test(test_every_vector_gives_identical_facts_for_every_chunking),
		cmocka_unit_test(test_tls12_certificate_of_a_real_server_is_read_in_every_chunking),
		cmocka_unit_test(test_tls13_certificate_is_encrypted_and_anonymous_tls12_has_none),
		cmocka_unit_test(test_certificate_names_issuer_chain_and_hashes),
		cmocka_unit_test(test_certificate_with_too_many_names_is_cut_and_says_so),
		cmocka_unit_test(
			test_certificate_chain_links_are_verified_and_a_bad_one_cuts_the_chain),
		cmocka_unit_test(test_certificate_messages_cut_anywhere_or_lying_are_unreadable),
		cmocka_unit_test(test_certificate_cache_answers_only_for_the_same_bytes),
		cmocka_unit_test(test_tls13_client_hello_carries_sni_alpn_and_supported_versions),
		cmocka_unit_test(test_tls13_server_hello_version_comes_from_supported_versions),
		cmocka_unit_test(test_tls13_hello_retry_request_is_not_taken_for_the_server_hello),
		cmocka_unit_test(test_tls12_ecdhe_session_is_established_with_its_suite),
		cmocka_unit_test(test_tls12_client_without_sni_leaves_sni_empty),
		cmocka_unit_test(test_tls10_session_is_obsolete_and_the_anonymous_offer_is_weak),
		cmocka_unit_test(test_tls12_anonymous_suite_is_negotiated_and_weak),
		cmocka_unit_test(test_tls12_plaintext_handshake_failure_alert_is_recorded),
		cmocka_unit_test(test_record_header_split_across_feeds_is_reassembled),
		cmocka_unit_test(test_client_hello_spanning_three_records_is_reassembled),
		cmocka_unit_test(test_several_handshake_messages_in_one_record_are_all_read),
		cmocka_unit_test(
			test_grease_values_are_ignored_in_suites_versions_extensions_and_alpn),
		cmocka_unit_test(test_supported_versions_with_only_grease_keeps_the_legacy_version),
		cmocka_unit_test(
			test_hand_made_hello_retry_request_waits_for_the_real_server_hello),
		cmocka_unit_test(
			test_server_hello_after_a_hello_retry_request_ends_the_cleartext_even_without_tls13),
		cmocka_unit_test(test_sslv2_compatible_client_hello_is_parsed),
		cmocka_unit_test(test_sslv2_hello_with_lying_cipher_length_is_an_anomaly),
		cmocka_unit_test(
			test_tls13_server_hello_in_the_middle_of_an_sslv2_hello_does_not_crash),
		cmocka_unit_test(
			test_plaintext_fatal_alert_after_client_hello_prevents_established),
		cmocka_unit_test(test_fatal_alert_after_a_warning_alert_is_the_one_kept),
		cmocka_unit_test(test_alert_after_change_cipher_spec_is_encrypted_and_ignored),
		cmocka_unit_test(
			test_tls13_records_after_the_server_hello_are_not_read_in_the_clear),
		cmocka_unit_test(test_non_tls_first_bytes_set_not_tls_and_are_kept_as_evidence),
		cmocka_unit_test(test_evidence_of_a_non_tls_stream_stops_at_64_bytes),
		cmocka_unit_test(test_sslv2_header_from_the_server_is_not_tls),
		cmocka_unit_test(test_bad_record_header_mid_stream_sets_bad_record_and_stops),
		cmocka_unit_test(test_record_longer_than_the_ciphertext_limit_is_rejected),
		cmocka_unit_test(test_zero_length_records_are_anomalies_not_crashes),
		cmocka_unit_test(test_extension_block_overrunning_the_hello_is_an_anomaly),
		cmocka_unit_test(test_lying_lengths_inside_extensions_are_anomalies),
		cmocka_unit_test(test_truncated_client_hello_is_an_anomaly),
		cmocka_unit_test(test_client_hello_over_the_cap_is_skipped_and_counted),
		cmocka_unit_test(test_gap_stops_the_direction_and_frees_its_buffer),
		cmocka_unit_test(test_sni_non_printable_bytes_are_replaced_and_long_names_cut),
		cmocka_unit_test(test_alpn_list_is_cut_to_fit),
		cmocka_unit_test(test_hellos_in_the_wrong_direction_are_ignored),
		cmocka_unit_test(
			test_random_mutations_of_real_hellos_never_crash_and_ignore_chunking),
		cmocka_unit_test(test_parser_can_be_reused_after_free_and_init),
		cmocka_unit_test(test_hello_unit_reads_a_dtls_client_hello_after_its_cookie),
		cmocka_unit_test(
			test_hello_unit_dtls_client_hello_with_an_empty_cookie_gives_the_tls_facts),
		cmocka_unit_test(test_hello_unit_tells_ok_retry_encrypted_and_malformed_apart),
		cmocka_unit_test(
			test_hello_unit_client_hello_cut_after_its_suites_keeps_what_was_read),
		cmocka_unit_test(test_hello_unit_reads_an_sslv2_client_hello_from_its_message_type),
		cmocka_unit_test(test_client_sniffer_needs_three_bytes_for_a_handshake_record),
		cmocka_unit_test(test_client_sniffer_recognises_an_sslv2_hello_on_its_fifth_byte),
		cmocka_unit_test(test_record_sniffer_accepts_any_record_type),
		cmocka_unit_test(test_version_names_and_obsolete_versions),
		cmocka_unit_test(test_cipher_names_come_from_the_iana_registry),
		cmocka_unit_test(test_weak_ciphers_are_null_export_rc4_anon_des_and_3des),
		cmocka_unit_test(test_alert_names_cover_rfc8446_and_rfc5246),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
