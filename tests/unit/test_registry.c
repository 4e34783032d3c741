/*
 * test_registry.c - the conformance test every registered protocol gets for
 * free (src/proto/proto_list.h): its descriptor is complete and agrees with
 * every other one, every lookup derived from the registry finds it, and,
 * when it has a parser, the parser keeps the proto.h contract on inputs
 * built from its own descriptor: sniff never claims random bytes, feed
 * gives the same facts whatever the chunking (whole, a byte at a time,
 * random cuts), never consumes more than it was given, survives gaps and
 * input cut anywhere, and every string it records is printable.
 *
 * Run one case: TEST_CASE=sniff make unit TESTS=test_registry
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto.h"

#define CONVERSATIONS 300 /* per parser */
#define CONV_MAX 6000

static uint64_t rng_state;

static uint32_t
rng(void)
{
	/* xorshift64*: the same inputs on every run */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 2685821657736338717ull) >> 32);
}

static bool
has_parser(const struct proto_desc *d)
{
	return d->feed || d->datagram || d->sniff || d->init;
}

static bool
name_ok(const char *s)
{
	if (!s || !*s || strlen(s) > 15)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
			return false;
	return true;
}

static void
test_every_descriptor_is_complete(void **state)
{
	(void)state;
	assert_non_null(proto_all[0]);
	for (size_t i = 0; proto_all[i]; i++) {
		const struct proto_desc *d = proto_all[i];

		print_message("  %s\n", d->name);
		assert_true(name_ok(d->name));
		assert_true(d->transports != 0);
		assert_true((d->transports & ~(PROTO_TCP | PROTO_UDP | PROTO_SCTP)) == 0);
		assert_true(d->clear_ports[0] != 0 || d->tls_ports[0] != 0);
		/* Implicit-TLS ports and the transports they run on go together. */
		assert_int_equal(d->tls_ports[0] != 0, d->tls_transports != 0);
		assert_int_equal(d->clear_ports[PROTO_PORTS_MAX - 1], 0);
		assert_int_equal(d->tls_ports[PROTO_PORTS_MAX - 1], 0);
		/* An upgrade has all three words or none. */
		if (d->upgrade.request || d->upgrade.offer || d->upgrade.accept) {
			assert_non_null(d->upgrade.request);
			assert_non_null(d->upgrade.offer);
			assert_non_null(d->upgrade.accept);
		}
		if (!has_parser(d))
			continue;
		/* A parser: every callback the core calls, and its RFCs. */
		assert_non_null(d->rfc);
		assert_non_null(d->sniff);
		assert_non_null(d->init);
		assert_non_null(d->gap);
		assert_true(d->state_size > 0);
		if (d->transports & (PROTO_TCP | PROTO_SCTP)) /* SCTP is read as a stream */
			assert_non_null(d->feed);
		if (d->transports & PROTO_UDP)
			assert_non_null(d->datagram);
	}
}

static void
test_names_ports_and_ids_belong_to_one_protocol_each(void **state)
{
	(void)state;
	for (size_t i = 0; proto_all[i]; i++) {
		const struct proto_desc *a = proto_all[i];

		for (size_t j = i + 1; proto_all[j]; j++) {
			const struct proto_desc *b = proto_all[j];

			assert_string_not_equal(a->name, b->name);
			for (size_t k = 0; k < PROTO_NAMES_MAX && a->ndpi[k]; k++)
				for (size_t l = 0; l < PROTO_NAMES_MAX && b->ndpi[l]; l++)
					assert_string_not_equal(a->ndpi[k], b->ndpi[l]);
			for (size_t k = 0; k < PROTO_NAMES_MAX && a->alpn[k]; k++)
				for (size_t l = 0; l < PROTO_NAMES_MAX && b->alpn[l]; l++)
					assert_string_not_equal(a->alpn[k], b->alpn[l]);
		}
	}
}

/* Every port, nDPI name, ALPN id and upgrade word of a descriptor is found
 * by the lookups, on each of its transports. */
static void
test_every_lookup_is_derived_from_the_descriptors(void **state)
{
	static const uint8_t l4s[] = {6, 17, 132};

	(void)state;
	for (size_t i = 0; proto_all[i]; i++) {
		const struct proto_desc *d = proto_all[i];
		bool tls;

		assert_ptr_equal(proto_by_name(d->name), d);
		for (size_t t = 0; t < sizeof(l4s); t++) {
			uint8_t bit = l4s[t] == 6    ? PROTO_TCP
				      : l4s[t] == 17 ? PROTO_UDP
						     : PROTO_SCTP;

			for (size_t k = 0; d->clear_ports[k]; k++) {
				const struct proto_desc *got =
					proto_by_port(d->clear_ports[k], l4s[t], &tls);

				if (d->transports & bit) {
					assert_ptr_equal(got, d);
					assert_false(tls);
					assert_true(proto_has_port(d, d->clear_ports[k]));
				} else {
					assert_ptr_not_equal(got, d);
				}
			}
			for (size_t k = 0; d->tls_ports[k]; k++) {
				const struct proto_desc *got =
					proto_by_port(d->tls_ports[k], l4s[t], &tls);

				if (d->tls_transports & bit) {
					assert_ptr_equal(got, d);
					assert_true(tls);
				} else {
					assert_ptr_not_equal(got, d);
				}
			}
		}
		for (size_t k = 0; k < PROTO_NAMES_MAX && d->ndpi[k]; k++) {
			char dotted[64];

			assert_string_equal(proto_name_by_ndpi(d->ndpi[k]), d->name);
			snprintf(dotted, sizeof(dotted), "%s.Google", d->ndpi[k]);
			assert_string_equal(proto_name_by_ndpi(dotted), d->name);
		}
		for (size_t k = 0; k < PROTO_NAMES_MAX && d->alpn[k]; k++)
			assert_string_equal(proto_name_by_alpn(d->alpn[k]), d->name);
		assert_string_equal(proto_offer_word(d->name),
				    d->upgrade.offer ? d->upgrade.offer : "STARTTLS");
	}
	assert_string_equal(proto_name_by_ndpi("TLS.Amazon"), "tls");
	assert_null(proto_name_by_ndpi("NoSuchProtocol"));
	assert_null(proto_name_by_alpn("no-such-id"));
	assert_false(proto_by_port(0, 6, &(bool){false}));
}

/* Random binary bytes are no protocol's first bytes. */
static void
test_sniff_never_claims_random_bytes(void **state)
{
	uint8_t buf[160];

	(void)state;
	rng_state = 0x5eed5eed5eedull;
	for (size_t i = 0; proto_all[i]; i++) {
		const struct proto_desc *d = proto_all[i];

		if (!d->sniff)
			continue;
		for (int trial = 0; trial < 5000; trial++) {
			size_t len = 1 + rng() % sizeof(buf);
			enum dir dir = (enum dir)(trial & 1);
			enum sniff_result r;

			for (size_t k = 0; k < len; k++)
				buf[k] = (uint8_t)rng();
			buf[0] |= 0x80; /* never an ASCII start */
			r = d->sniff(dir, buf, len);
			if (r == SNIFF_WEAK || r == SNIFF_STRONG)
				fail_msg("%s claims random bytes (trial %d)", d->name, trial);
		}
	}
}

/* ---- feed: conversations built from the descriptor's own words ---------- */

/* Lines any text protocol may meet, the descriptor's words besides. */
static const char *const server_lines[] = {
	"220 mail.example.org ESMTP ready",
	"250-mail.example.org",
	"250-AUTH PLAIN LOGIN",
	"250 8BITMIME",
	"* OK [CAPABILITY IMAP4rev1 STARTTLS] ready",
	"* CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN",
	"a1 OK done",
	"a2 NO failed",
	"+OK ready",
	"-ERR no",
	"STLS",
	"SASL PLAIN",
	".",
	"334 ",
	"235 2.7.0 ok",
	"535 5.7.8 no",
	"454 4.7.0 TLS not available",
	"+ ",
	"XXXXXXXX",
	"382 go ahead",
	"234 AUTH TLS ok",
};
static const char *const client_lines[] = {
	"EHLO client.example.org",
	"STARTTLS",
	"a1 STARTTLS",
	"STLS",
	"CAPA",
	"a0 CAPABILITY",
	"USER bob",
	"PASS secret",
	"AUTH PLAIN AGJvYgBzZWNyZXQ=",
	"AUTH LOGIN",
	"Ym9i",
	"a2 LOGIN bob secret",
	"a3 AUTHENTICATE PLAIN",
	"QUIT",
	"MAIL FROM:<a@b>",
	"DATA",
	"a4 APPEND x {5}",
	"AUTHINFO USER bob",
	"AUTH TLS",
	"XXXXXXXX",
};

static size_t
conv_put(uint8_t *buf, size_t have, const void *p, size_t n)
{
	if (have + n > CONV_MAX)
		n = CONV_MAX - have;
	memcpy(buf + have, p, n);
	return have + n;
}

/* One record [dir|gap][len][bytes] of the fuzz harnesses' format. */
static size_t
conv_record(uint8_t *buf, size_t have, enum dir dir, bool gap, const char *text, size_t n)
{
	uint8_t hdr[2] = {(uint8_t)(dir | (gap ? 0x80 : 0)), 0};

	while (n > 0 && have + 2 < CONV_MAX) {
		size_t part = n > 255 ? 255 : n;

		hdr[1] = (uint8_t)part;
		have = conv_put(buf, have, hdr, 2);
		have = conv_put(buf, have, text, part);
		text += part;
		n -= part;
		hdr[0] &= 0x7f;
	}
	return have;
}

static const char *
pick_word(const struct proto_desc *d, enum dir dir)
{
	uint32_t r = rng() % 8;

	if (r == 0 && d->upgrade.request)
		return dir == DIR_C2S ? d->upgrade.request : d->upgrade.offer;
	if (r == 1 && d->upgrade.accept)
		return dir == DIR_S2C ? d->upgrade.accept : d->upgrade.request;
	if (dir == DIR_S2C)
		return server_lines[rng() % (sizeof(server_lines) / sizeof(server_lines[0]))];
	return client_lines[rng() % (sizeof(client_lines) / sizeof(client_lines[0]))];
}

/* A conversation: mostly lines of words, sometimes a long line, bare CR,
 * binary bytes, a TLS record header, or a gap. */
static size_t
conv_make(const struct proto_desc *d, uint8_t *buf)
{
	size_t have = 0, lines = 1 + rng() % 24;
	char line[2200];

	for (size_t i = 0; i < lines && have < CONV_MAX - 300; i++) {
		enum dir dir = (enum dir)(i == 0 ? DIR_S2C : rng() % 2);
		uint32_t kind = rng() % 16;
		size_t n;

		if (kind == 0) {
			n = 1100 + rng() % 1000; /* past LINE_CAP */
			memset(line, 'A' + (int)(rng() % 26), n);
			memcpy(line + n - 2, "\r\n", 2);
		} else if (kind == 1) {
			n = 1 + rng() % 40;
			for (size_t k = 0; k < n; k++)
				line[k] = (char)rng();
		} else if (kind == 2) {
			memcpy(line, "\x16\x03\x01\x00\x05hello", 10);
			n = 10;
		} else {
			n = (size_t)snprintf(line, sizeof(line), "%s%s", pick_word(d, dir),
					     kind == 3	 ? "\r"
					     : kind == 4 ? "\n"
							 : "\r\n");
		}
		have = conv_record(buf, have, dir, kind == 5, line, n);
	}
	return have;
}

struct run {
	struct proto_facts f;
	size_t consumed[2];
	bool done[2];
};

/* Feeds a conversation cut into chunks: step bytes, or random sizes when
 * step is 0, and only its first cut bytes. */
static void
conv_run(const struct proto_desc *d, const uint8_t *conv, size_t size, size_t step, size_t cut,
	 struct run *r)
{
	void *st = calloc(1, d->state_size);
	size_t off = 0;

	assert_non_null(st);
	memset(r, 0, sizeof(*r));
	d->init(st);
	while (off + 2 <= size) {
		enum dir dir = (enum dir)(conv[off] & 1);
		size_t len = conv[off + 1];
		const uint8_t *p = conv + off + 2;

		if ((conv[off] & 0x80) && !r->f.switch_to_tls)
			d->gap(st, &r->f, dir);
		off += 2;
		if (len > size - off)
			len = size - off;
		if (off + len > cut)
			len = cut > off ? cut - off : 0;
		off += conv[off - 1];
		while (len > 0 && !r->done[dir] && !r->f.switch_to_tls) {
			size_t n = step ? step : 1 + rng() % 64;
			size_t used;

			if (n > len)
				n = len;
			used = d->feed(st, &r->f, dir, p, n);
			assert_true(used <= n);
			r->consumed[dir] += used;
			if (used < n)
				r->done[dir] = true;
			p += n;
			len -= n;
		}
		if (off >= cut)
			break;
	}
	if (d->fini)
		d->fini(st);
	free(st);
}

static void
assert_printable(const char *field, size_t size)
{
	size_t n = strnlen(field, size);

	assert_true(n < size);
	for (size_t i = 0; i < n; i++)
		assert_true(field[i] >= 0x20 && field[i] < 0x7f);
}

static void
own_str(void *ctx, const char *key, const char *value)
{
	(void)ctx;
	assert_printable(key, strlen(key) + 1);
	assert_printable(value, strlen(value) + 1);
	assert_true(key[0] != '\0');
}

static void
own_num(void *ctx, const char *key, uint64_t value)
{
	(void)ctx;
	(void)value;
	assert_printable(key, strlen(key) + 1);
	assert_true(key[0] != '\0');
}

/* The protocol's own fields as a sink renders them, and the endpoints it
 * announced: printable keys and values, a port for every endpoint. */
static void
assert_own_printable(const struct proto_desc *d, const struct proto_facts *f)
{
	struct proto_writer w = {NULL, own_str, own_num};

	for (unsigned i = 0; i < PROTO_EXPECT_RING && i < f->n_expect; i++) {
		assert_true(f->expect[i].port != 0);
		assert_true(f->expect[i].family == 0 || f->expect[i].family == 4 ||
			    f->expect[i].family == 6);
	}
	if (d->write)
		d->write(f, &w);
}

static void
assert_facts_printable(const struct proto_facts *f)
{
	assert_printable(f->capa, sizeof(f->capa));
	assert_printable(f->upgrade_reply, sizeof(f->upgrade_reply));
	assert_true(f->n_logins <= LOGIN_MAX);
	for (size_t i = 0; i < f->n_logins; i++) {
		assert_printable(f->logins[i].mechanism, sizeof(f->logins[i].mechanism));
		assert_printable(f->logins[i].username, sizeof(f->logins[i].username));
		assert_printable(f->logins[i].secret, sizeof(f->logins[i].secret));
	}
	assert_true(f->evidence_len <= EVIDENCE_MAX);
}

static void
test_feed_facts_do_not_depend_on_chunking(void **state)
{
	static uint8_t conv[CONV_MAX];
	static struct run whole, bytes, random;

	(void)state;
	rng_state = 0xfeedfacecafeull;
	for (size_t i = 0; proto_all[i]; i++) {
		const struct proto_desc *d = proto_all[i];

		if (!d->feed)
			continue;
		for (int c = 0; c < CONVERSATIONS; c++) {
			size_t size = conv_make(d, conv);

			conv_run(d, conv, size, CONV_MAX, SIZE_MAX, &whole);
			conv_run(d, conv, size, 1, SIZE_MAX, &bytes);
			conv_run(d, conv, size, 0, SIZE_MAX, &random);
			assert_facts_printable(&whole.f);
			assert_own_printable(d, &whole.f);
			if (memcmp(&whole, &bytes, sizeof(whole)) != 0 ||
			    memcmp(&whole, &random, sizeof(whole)) != 0)
				fail_msg("%s: facts depend on chunking (conversation %d)", d->name,
					 c);
		}
	}
}

/* Input cut anywhere, mid-line or mid-record, then the end: no parser
 * state outlives its buffers (ASan in make check), the facts so far stay
 * printable. */
static void
test_feed_survives_input_cut_anywhere(void **state)
{
	static uint8_t conv[CONV_MAX];
	static struct run r;

	(void)state;
	rng_state = 0xc0ffee11ull;
	for (size_t i = 0; proto_all[i]; i++) {
		const struct proto_desc *d = proto_all[i];

		if (!d->feed)
			continue;
		for (int c = 0; c < CONVERSATIONS / 3; c++) {
			size_t size = conv_make(d, conv);

			for (int k = 0; k < 8; k++) {
				conv_run(d, conv, size, 0, rng() % (size + 1), &r);
				assert_facts_printable(&r.f);
				assert_own_printable(d, &r.f);
			}
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_descriptor_is_complete),
		cmocka_unit_test(test_names_ports_and_ids_belong_to_one_protocol_each),
		cmocka_unit_test(test_every_lookup_is_derived_from_the_descriptors),
		cmocka_unit_test(test_sniff_never_claims_random_bytes),
		cmocka_unit_test(test_feed_facts_do_not_depend_on_chunking),
		cmocka_unit_test(test_feed_survives_input_cut_anywhere),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
