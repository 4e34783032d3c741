/*
 * test_sctp.c - SCTP (RFC 9260): the chunk walk (bundling, padding, a
 * length under 4 or past the packet, a packet cut by the capture), the
 * fields of a DATA chunk, TSN serial order, and an association through the
 * engine: who the client is, user data in TSN order into the session (a
 * retransmission skipped, missing DATA a gap, a message in fragments), its
 * end by SHUTDOWN COMPLETE or ABORT, and packets that start nothing.
 */
#include <pcap/dlt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "decode.h"
#include "engine.h"
#include "sctp.h"

/* ---- chunks -------------------------------------------------------------- */

/* Appends a chunk (header, value, padding) at b + *n. */
static void
put_chunk(uint8_t *b, size_t *n, uint8_t type, uint8_t flags, const uint8_t *v, size_t vlen)
{
	size_t len = 4 + vlen;

	b[*n] = type;
	b[*n + 1] = flags;
	b[*n + 2] = (uint8_t)(len >> 8);
	b[*n + 3] = (uint8_t)len;
	if (vlen)
		memcpy(b + *n + 4, v, vlen);
	memset(b + *n + len, 0, (4 - len % 4) % 4);
	*n += (len + 3) & ~(size_t)3;
}

/* Appends a DATA chunk of user data d (PPID 46, stream 0). */
static void
put_data(uint8_t *b, size_t *n, uint32_t tsn, uint8_t flags, const void *d, size_t dlen)
{
	uint8_t v[512] = {(uint8_t)(tsn >> 24),
			  (uint8_t)(tsn >> 16),
			  (uint8_t)(tsn >> 8),
			  (uint8_t)tsn,
			  0,
			  0,
			  0,
			  0,
			  0,
			  0,
			  0,
			  SCTP_PPID_DIAMETER};

	memcpy(v + 12, d, dlen);
	put_chunk(b, n, SCTP_DATA, flags, v, 12 + dlen);
}

static void
test_sctp_walk_bundled_chunks_with_padding(void **state)
{
	static const uint8_t sack[12] = {0, 0, 0, 9, 0, 1, 0, 0, 0, 0, 0, 0};
	uint8_t b[256];
	size_t n = 0, off = 0;
	struct sctp_chunk c;
	struct sctp_data d;

	(void)state;
	put_chunk(b, &n, SCTP_SACK, 0, sack, sizeof(sack));
	put_data(b, &n, 77, SCTP_DATA_BEGIN | SCTP_DATA_END, "abc", 3); /* padded by 1 */
	put_chunk(b, &n, SCTP_COOKIE_ACK, 0, NULL, 0);
	assert_int_equal(n, 16 + 20 + 4);

	assert_int_equal(sctp_next_chunk(b, n, false, &off, &c), SCTP_WALK_CHUNK);
	assert_int_equal(c.type, SCTP_SACK);
	assert_int_equal(c.value_len, 12);
	assert_int_equal(sctp_next_chunk(b, n, false, &off, &c), SCTP_WALK_CHUNK);
	assert_int_equal(c.type, SCTP_DATA);
	assert_int_equal(c.length, 19);
	assert_int_equal(c.flags, SCTP_DATA_BEGIN | SCTP_DATA_END);
	assert_true(sctp_data_fields(&c, &d));
	assert_int_equal(d.tsn, 77);
	assert_int_equal(d.ppid, SCTP_PPID_DIAMETER);
	assert_int_equal(d.len, 3);
	assert_memory_equal(d.data, "abc", 3);
	assert_false(d.cut);
	assert_int_equal(off, 36); /* past the padding byte */
	assert_int_equal(sctp_next_chunk(b, n, false, &off, &c), SCTP_WALK_CHUNK);
	assert_int_equal(c.type, SCTP_COOKIE_ACK);
	assert_int_equal(c.value_len, 0);
	assert_int_equal(sctp_next_chunk(b, n, false, &off, &c), SCTP_WALK_END);
}

static void
test_sctp_walk_stops_at_a_length_under_4_or_past_a_whole_packet(void **state)
{
	uint8_t b[64] = {SCTP_SACK, 0, 0, 3};
	size_t off = 0;
	struct sctp_chunk c;

	(void)state;
	assert_int_equal(sctp_next_chunk(b, 8, false, &off, &c), SCTP_WALK_BAD);
	assert_int_equal(off, 8);
	/* 40 bytes claimed, 20 there, and the packet was captured whole. */
	off = 0;
	b[3] = 40;
	assert_int_equal(sctp_next_chunk(b, 20, false, &off, &c), SCTP_WALK_BAD);
	/* Three stray bytes after a chunk are no chunk header. */
	off = 0;
	b[3] = 4;
	assert_int_equal(sctp_next_chunk(b, 7, false, &off, &c), SCTP_WALK_CHUNK);
	assert_int_equal(sctp_next_chunk(b, 7, false, &off, &c), SCTP_WALK_BAD);
}

static void
test_sctp_walk_gives_a_chunk_cut_by_the_capture_then_ends(void **state)
{
	uint8_t b[128];
	size_t n = 0, off = 0;
	struct sctp_chunk c;
	struct sctp_data d;

	(void)state;
	put_data(b, &n, 5, SCTP_DATA_BEGIN | SCTP_DATA_END, "0123456789abcdef", 16);
	assert_int_equal(sctp_next_chunk(b, 20, true, &off, &c), SCTP_WALK_CHUNK);
	assert_true(c.cut);
	assert_int_equal(c.value_len, 16);
	assert_true(sctp_data_fields(&c, &d));
	assert_int_equal(d.len, 4);
	assert_true(d.cut);
	assert_int_equal(sctp_next_chunk(b, 20, true, &off, &c), SCTP_WALK_END);
	/* Cut inside the DATA header: no fields. */
	off = 0;
	assert_int_equal(sctp_next_chunk(b, 10, true, &off, &c), SCTP_WALK_CHUNK);
	assert_false(sctp_data_fields(&c, &d));
}

static void
test_sctp_tsn_order_wraps(void **state)
{
	(void)state;
	assert_true(sctp_tsn_before(1, 2));
	assert_false(sctp_tsn_before(2, 1));
	assert_false(sctp_tsn_before(7, 7));
	assert_true(sctp_tsn_before(0xfffffffeu, 1));
	assert_false(sctp_tsn_before(1, 0xfffffffeu));
}

/* ---- an association through the engine ------------------------------------ */

struct seen {
	size_t sessions;
	struct session last;
};

static void
on_session(void *ctx, const struct session *s)
{
	struct seen *n = ctx;

	n->sessions++;
	n->last = *s;
}

static void
on_alert(void *ctx, const struct alert *a)
{
	(void)ctx;
	(void)a;
}

/* A raw IPv4 SCTP packet holding the chunks ch[0..chn) between
 * 10.9.0.2:40000 (the client) and 10.9.0.1:3868. */
static size_t
sctp_packet(uint8_t *f, bool from_client, const uint8_t *ch, size_t chn)
{
	size_t total = 20 + 12 + chn;

	memset(f, 0, 32);
	f[0] = 0x45;
	f[2] = (uint8_t)(total >> 8);
	f[3] = (uint8_t)total;
	f[8] = 64;
	f[9] = 132;
	f[12] = 10, f[13] = 9, f[15] = from_client ? 2 : 1;
	f[16] = 10, f[17] = 9, f[19] = from_client ? 1 : 2;
	f[from_client ? 20 : 22] = 40000 >> 8, f[from_client ? 21 : 23] = 40000 & 0xff;
	f[from_client ? 22 : 20] = 3868 >> 8, f[from_client ? 23 : 21] = 3868 & 0xff;
	memcpy(f + 32, ch, chn);
	return total;
}

/* An INIT's value: Initiate Tag, a_rwnd, streams, Initial TSN 1000. */
static const uint8_t init[16] = {0x1a, 0x2b, 0x3c, 0x4d, 0, 1, 0xa0, 0,
				 0,    10,   0xff, 0xff, 0, 0, 0x03, 0xe8};

/* A Capabilities-Exchange-Request (its header and an Origin-Host AVP). */
static size_t
cer(uint8_t *m)
{
	static const char host[] = "peer1.example"; /* 13 bytes, padded to 16 */
	size_t len = 20 + 8 + 16;

	memset(m, 0, len);
	m[0] = 1;
	m[3] = (uint8_t)len;
	m[4] = 0x80;		      /* R */
	m[7] = 1;		      /* command 257 */
	m[20 + 2] = 1, m[20 + 3] = 8; /* AVP 264 Origin-Host */
	m[20 + 4] = 0x40;
	m[20 + 7] = (uint8_t)(8 + strlen(host));
	memcpy(m + 28, host, strlen(host));
	return len;
}

static struct engine *
sctp_engine(struct seen *seen)
{
	static struct engine_config cfg;
	struct engine_output out = {seen, on_session, on_alert};
	char err[256];
	struct engine *e;

	engine_config_defaults(&cfg);
	cfg.use_ndpi = false;
	e = engine_new(&cfg, &out, err, sizeof(err));
	assert_non_null(e);
	return e;
}

static void
test_sctp_decode_gives_the_ports_and_the_chunks_as_payload(void **state)
{
	uint8_t ch[64], f[128];
	size_t n = 0, len;
	struct packet pk;

	(void)state;
	put_chunk(ch, &n, SCTP_COOKIE_ACK, 0, NULL, 0);
	len = sctp_packet(f, true, ch, n);
	assert_int_equal(decode_packet(DLT_RAW, f, len, &pk), DECODE_OK);
	assert_int_equal(pk.l4, 132);
	assert_int_equal(pk.sport, 40000);
	assert_int_equal(pk.dport, 3868);
	assert_ptr_equal(pk.payload, f + 32);
	assert_int_equal(pk.payload_len, 4);
	assert_false(pk.payload_cut);
	/* Cut by the snap length inside the chunks. */
	assert_int_equal(decode_packet(DLT_RAW, f, len - 2, &pk), DECODE_OK);
	assert_int_equal(pk.payload_len, 2);
	assert_true(pk.payload_cut);
	/* No room for the common header. */
	f[3] = 28;
	assert_int_equal(decode_packet(DLT_RAW, f, 28, &pk), DECODE_MALFORMED);
}

static void
test_sctp_association_reads_user_data_in_tsn_order(void **state)
{
	struct seen seen = {0};
	struct engine *e = sctp_engine(&seen);
	const struct stats *st;
	uint8_t m[64], ch[256], f[512];
	size_t mlen = cer(m), n;
	uint64_t ts = 1000000;

	(void)state;
	n = 0;
	put_chunk(ch, &n, SCTP_INIT, 0, init, sizeof(init));
	engine_packet(e, DLT_RAW, f, sctp_packet(f, true, ch, n), ts++);
	/* The CER in two fragments, the first sent twice. */
	n = 0;
	put_data(ch, &n, 1000, SCTP_DATA_BEGIN, m, 10);
	engine_packet(e, DLT_RAW, f, sctp_packet(f, true, ch, n), ts++);
	engine_packet(e, DLT_RAW, f, sctp_packet(f, true, ch, n), ts++);
	n = 0;
	put_data(ch, &n, 1001, SCTP_DATA_END, m + 10, mlen - 10);
	engine_packet(e, DLT_RAW, f, sctp_packet(f, true, ch, n), ts++);
	/* TSN 1002 never seen: 1003 is read after a gap. */
	n = 0;
	put_data(ch, &n, 1003, SCTP_DATA_BEGIN | SCTP_DATA_END, "x", 1);
	engine_packet(e, DLT_RAW, f, sctp_packet(f, true, ch, n), ts++);
	n = 0;
	put_chunk(ch, &n, SCTP_SHUTDOWN_COMPLETE, 0, NULL, 0);
	engine_packet(e, DLT_RAW, f, sctp_packet(f, true, ch, n), ts++);

	st = engine_stats(e);
	assert_int_equal(st->sctp_packets, 6);
	assert_int_equal(st->sctp_data_dup, 1);
	assert_int_equal(st->sctp_data_gaps, 1);
	assert_int_equal(st->sctp_chunks_bad, 0);
	assert_int_equal(seen.sessions, 1);
	assert_int_equal(seen.last.l4, 132);
	assert_int_equal(seen.last.server_port, 3868);
	assert_int_equal(seen.last.client_port, 40000);
	assert_true(seen.last.syn_seen);
	assert_false(seen.last.midstream);
	assert_int_equal(seen.last.end, END_FIN);
	assert_string_equal(seen.last.service, "diameter");
	assert_non_null(seen.last.proto); /* the CER, whole from its two fragments */
	assert_int_equal(seen.last.bytes[DIR_C2S], mlen + 1);
	assert_true(seen.last.gap);
	engine_free(e);
}

static void
test_sctp_first_data_missing_after_the_init_is_a_gap(void **state)
{
	/* Initial TSN 1000; the DATA of TSN 1000 was not captured. */
	struct seen seen = {0};
	struct engine *e = sctp_engine(&seen);
	uint8_t m[64], ch[256], f[512];
	size_t n = 0;

	(void)state;
	put_chunk(ch, &n, SCTP_INIT, 0, init, sizeof(init));
	engine_packet(e, DLT_RAW, f, sctp_packet(f, true, ch, n), 1000000);
	n = 0;
	put_data(ch, &n, 1001, SCTP_DATA_BEGIN | SCTP_DATA_END, m, cer(m));
	engine_packet(e, DLT_RAW, f, sctp_packet(f, true, ch, n), 1000001);
	assert_int_equal(engine_stats(e)->sctp_data_gaps, 1);
	engine_finish_all(e);
	assert_int_equal(seen.sessions, 1);
	assert_true(seen.last.gap);
	engine_free(e);
}

static void
test_sctp_abort_ends_and_a_lone_sack_starts_nothing(void **state)
{
	static const uint8_t sack[12] = {0, 0, 0, 9, 0, 1, 0, 0, 0, 0, 0, 0};
	struct seen seen = {0};
	struct engine *e = sctp_engine(&seen);
	uint8_t m[64], ch[256], f[512];
	size_t n = 0;

	(void)state;
	put_chunk(ch, &n, SCTP_SACK, 0, sack, sizeof(sack));
	engine_packet(e, DLT_RAW, f, sctp_packet(f, false, ch, n), 1000000);
	assert_int_equal(engine_stats(e)->stray_packets, 1);
	assert_int_equal(engine_open_flows(e), 0);
	/* DATA of an association whose start was not seen, from the server
	 * side: the client is still the side off the known port. */
	n = 0;
	put_data(ch, &n, 9, SCTP_DATA_BEGIN | SCTP_DATA_END, m, cer(m));
	engine_packet(e, DLT_RAW, f, sctp_packet(f, false, ch, n), 1000001);
	n = 0;
	put_chunk(ch, &n, SCTP_ABORT, 0, NULL, 0);
	engine_packet(e, DLT_RAW, f, sctp_packet(f, true, ch, n), 1000002);
	assert_int_equal(seen.sessions, 1);
	assert_true(seen.last.midstream);
	assert_int_equal(seen.last.server_port, 3868);
	assert_int_equal(seen.last.end, END_RST);
	assert_int_equal(seen.last.bytes[DIR_S2C], 44);
	/* Late: the association is over. */
	engine_packet(e, DLT_RAW, f, sctp_packet(f, true, ch, n), 1000003);
	assert_int_equal(engine_stats(e)->late_packets, 1);
	engine_free(e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sctp_walk_bundled_chunks_with_padding),
		cmocka_unit_test(test_sctp_walk_stops_at_a_length_under_4_or_past_a_whole_packet),
		cmocka_unit_test(test_sctp_walk_gives_a_chunk_cut_by_the_capture_then_ends),
		cmocka_unit_test(test_sctp_tsn_order_wraps),
		cmocka_unit_test(test_sctp_decode_gives_the_ports_and_the_chunks_as_payload),
		cmocka_unit_test(test_sctp_association_reads_user_data_in_tsn_order),
		cmocka_unit_test(test_sctp_first_data_missing_after_the_init_is_a_gap),
		cmocka_unit_test(test_sctp_abort_ends_and_a_lone_sack_starts_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
