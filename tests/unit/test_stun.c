/*
 * test_stun.c - the STUN/TURN parser (src/proto/stun.c): real coturn
 * 4.6.1 messages (from the lab's capture: turnutils_stunclient's Binding,
 * turnutils_uclient's Allocate challenged with 401 then sent with
 * long-term credentials, ChannelBind, ChannelData) as datagrams and as a
 * TCP stream replayed in every chunk size; the TURN login and its outcome
 * (success, 401 after credentials, 438, other 4xx, nothing after a
 * success); hostile lengths, every cut, junk over TCP; sniffing; and
 * through the session and the verdict: STUN in the clear on 3478 and 5349.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "session.h"
#include "transcript.h"
#include "verdict.h"

extern const struct proto_desc proto_stun;

/* Captured from coturn 4.6.1 and its turnutils clients (tools/record-stun.sh). */
#define ALLOC0                                                                                     \
	"\x00\x03\x00\x28\x21\x12\xa4\x42\x90\x21\xd1\xdd\x76\x76\x5b\x21"                         \
	"\x46\xcc\xf4\xbc\x00\x19\x00\x04\x11\x00\x00\x00\x00\x0d\x00\x04"                         \
	"\x00\x00\x03\x09\x00\x18\x00\x01\x00\x00\x00\x00\x00\x17\x00\x04"                         \
	"\x01\x00\x00\x00\x80\x28\x00\x04\xf3\x29\x13\x70"
#define ALLOC0_LEN 60

#define ERR401                                                                                     \
	"\x01\x13\x00\x5c\x21\x12\xa4\x42\x90\x21\xd1\xdd\x76\x76\x5b\x21"                         \
	"\x46\xcc\xf4\xbc\x00\x09\x00\x10\x00\x00\x04\x01\x55\x6e\x61\x75"                         \
	"\x74\x68\x6f\x72\x69\x7a\x65\x64\x00\x15\x00\x10\x38\x63\x30\x64"                         \
	"\x64\x31\x31\x35\x61\x61\x63\x64\x64\x33\x36\x65\x00\x14\x00\x0d"                         \
	"\x74\x6c\x73\x77\x61\x74\x63\x68\x2e\x74\x65\x73\x74\x00\x00\x00"                         \
	"\x80\x22\x00\x14\x43\x6f\x74\x75\x72\x6e\x2d\x34\x2e\x36\x2e\x31"                         \
	"\x20\x27\x47\x6f\x72\x73\x74\x27\x80\x28\x00\x04\x05\x8c\xa3\xf1"
#define ERR401_LEN 112

#define ALLOC1                                                                                     \
	"\x00\x03\x00\x74\x21\x12\xa4\x42\x0a\x3b\x19\x1b\x43\xf0\x08\xc7"                         \
	"\xd4\xb6\x20\x4e\x00\x19\x00\x04\x11\x00\x00\x00\x00\x0d\x00\x04"                         \
	"\x00\x00\x03\x09\x00\x18\x00\x01\x00\x00\x00\x00\x00\x17\x00\x04"                         \
	"\x01\x00\x00\x00\x00\x06\x00\x05\x61\x6c\x69\x63\x65\x00\x00\x00"                         \
	"\x00\x15\x00\x10\x38\x63\x30\x64\x64\x31\x31\x35\x61\x61\x63\x64"                         \
	"\x64\x33\x36\x65\x00\x14\x00\x0d\x74\x6c\x73\x77\x61\x74\x63\x68"                         \
	"\x2e\x74\x65\x73\x74\x00\x00\x00\x00\x08\x00\x14\xa7\xc9\x07\x5a"                         \
	"\x6b\x07\xeb\x2d\xae\xa7\x30\xd0\xd0\x53\x6b\xfd\x4c\x25\x94\xde"                         \
	"\x80\x28\x00\x04\x97\x46\x18\x1e"
#define ALLOC1_LEN 136

#define ALLOCOK                                                                                    \
	"\x01\x03\x00\x58\x21\x12\xa4\x42\x0a\x3b\x19\x1b\x43\xf0\x08\xc7"                         \
	"\xd4\xb6\x20\x4e\x00\x16\x00\x08\x00\x01\xde\xe2\x5e\x12\xa4\x43"                         \
	"\x00\x20\x00\x08\x00\x01\xfa\xd8\x5e\x12\xa4\x43\x00\x0d\x00\x04"                         \
	"\x00\x00\x03\x09\x80\x22\x00\x14\x43\x6f\x74\x75\x72\x6e\x2d\x34"                         \
	"\x2e\x36\x2e\x31\x20\x27\x47\x6f\x72\x73\x74\x27\x00\x08\x00\x14"                         \
	"\xd0\xf2\x7e\xcd\xad\x14\xd2\x4c\x3d\x5c\x1c\x6a\x3b\x29\x53\x04"                         \
	"\x63\x88\x08\xcb\x80\x28\x00\x04\x29\x21\xa1\x25"
#define ALLOCOK_LEN 108

#define CHBIND                                                                                     \
	"\x00\x09\x00\x68\x21\x12\xa4\x42\xbf\x79\xd9\xc2\x85\x56\x55\xf8"                         \
	"\xfa\x15\x91\x27\x00\x0c\x00\x04\x42\x11\x00\x00\x00\x12\x00\x08"                         \
	"\x00\x01\x2c\x8b\x5e\x12\xa4\x43\x00\x06\x00\x05\x61\x6c\x69\x63"                         \
	"\x65\x00\x00\x00\x00\x15\x00\x10\x38\x63\x30\x64\x64\x31\x31\x35"                         \
	"\x61\x61\x63\x64\x64\x33\x36\x65\x00\x14\x00\x0d\x74\x6c\x73\x77"                         \
	"\x61\x74\x63\x68\x2e\x74\x65\x73\x74\x00\x00\x00\x00\x08\x00\x14"                         \
	"\xd2\xea\xbc\x1f\x74\x34\x04\xac\x36\x2d\xc1\x0e\xd6\x8e\x1a\x66"                         \
	"\x0b\x76\x06\x26\x80\x28\x00\x04\x85\x0e\xe8\x20"
#define CHBIND_LEN 124

#define CHBINDOK                                                                                   \
	"\x01\x09\x00\x38\x21\x12\xa4\x42\xbf\x79\xd9\xc2\x85\x56\x55\xf8"                         \
	"\xfa\x15\x91\x27\x80\x22\x00\x14\x43\x6f\x74\x75\x72\x6e\x2d\x34"                         \
	"\x2e\x36\x2e\x31\x20\x27\x47\x6f\x72\x73\x74\x27\x00\x08\x00\x14"                         \
	"\x71\x85\x52\xdb\x1b\xd4\x80\x3a\xe2\x0c\x63\x59\x88\xa1\xd7\xd1"                         \
	"\xaf\x7f\xcf\xc9\x80\x28\x00\x04\x19\xf3\xd2\x1d"
#define CHBINDOK_LEN 76

#define CHDATA                                                                                     \
	"\x58\x10\x00\x28\x00\x00\x00\x00\x07\x07\x07\x07\xcb\x0a\x00\x00"                         \
	"\x00\x00\x00\x00\x07\x07\x07\x07\x07\x07\x07\x07\x07\x07\x07\x07"                         \
	"\x07\x07\x07\x07\x07\x07\x07\x07\x07\x07\x07\x07"
#define CHDATA_LEN 44

#define BINDREQ                                                                                    \
	"\x00\x01\x00\x00\x21\x12\xa4\x42\xa5\xa6\xf2\xf6\xeb\x23\xbe\xaf"                         \
	"\x46\x72\x23\x27"
#define BINDREQ_LEN 20

#define BINDOK                                                                                     \
	"\x01\x01\x00\x3c\x21\x12\xa4\x42\xa5\xa6\xf2\xf6\xeb\x23\xbe\xaf"                         \
	"\x46\x72\x23\x27\x00\x20\x00\x08\x00\x01\xe5\xf8\x5e\x12\xa4\x43"                         \
	"\x00\x01\x00\x08\x00\x01\xc4\xea\x7f\x00\x00\x01\x80\x2b\x00\x08"                         \
	"\x00\x01\x0d\x96\x7f\x00\x00\x01\x80\x22\x00\x14\x43\x6f\x74\x75"                         \
	"\x72\x6e\x2d\x34\x2e\x36\x2e\x31\x20\x27\x47\x6f\x72\x73\x74\x27"
#define BINDOK_LEN 80

struct run {
	struct proto_facts f;
	_Alignas(max_align_t) uint8_t state[4096];
};

static void
run_init(struct run *r)
{
	assert_true(proto_stun.state_size <= sizeof(r->state));
	memset(r, 0, sizeof(*r));
	proto_stun.init(r->state);
}

/* One datagram in a buffer of exactly its size (ASan sees a read past it). */
static void
run_dgram(struct run *r, enum dir dir, const void *p, size_t n)
{
	uint8_t *copy = malloc(n ? n : 1);

	assert_non_null(copy);
	memcpy(copy, p, n);
	proto_stun.datagram(r->state, &r->f, dir, copy, n);
	free(copy);
}

/* ERR401 made the answer to the request whose transaction ID req holds,
 * with its ERROR-CODE set to code: a refusal of that request. */
static void
error_for(uint8_t out[ERR401_LEN], const char *req, unsigned code)
{
	memcpy(out, ERR401, ERR401_LEN);
	memcpy(out + 8, req + 8, 12);
	out[26] = (uint8_t)(code / 100);
	out[27] = (uint8_t)(code % 100);
}

static void
test_stun_binding_request_and_response_are_counted(void **unused)
{
	struct run r;
	struct own_text t;

	(void)unused;
	run_init(&r);
	run_dgram(&r, DIR_C2S, BINDREQ, BINDREQ_LEN);
	run_dgram(&r, DIR_S2C, BINDOK, BINDOK_LEN);
	assert_string_equal(
		own_fields(&proto_stun, &r.f, &t),
		"methods=binding;requests=1;successes=1;software=Coturn-4.6.1 'Gorst';");
	assert_int_equal(r.f.anomalies, 0);
	assert_int_equal(r.f.n_logins, 0);
}

static void
test_stun_turn_allocate_with_credentials_is_a_login_without_a_secret(void **unused)
{
	struct run r;
	struct own_text t;

	(void)unused;
	run_init(&r);
	run_dgram(&r, DIR_C2S, ALLOC0, ALLOC0_LEN);
	run_dgram(&r, DIR_S2C, ERR401, ERR401_LEN);
	assert_int_equal(r.f.n_logins, 0); /* the challenge: no credentials yet */
	run_dgram(&r, DIR_C2S, ALLOC1, ALLOC1_LEN);
	assert_login(&r.f, 0, "TURN", "alice", "", false, LOGIN_UNKNOWN);
	run_dgram(&r, DIR_S2C, ALLOCOK, ALLOCOK_LEN);
	run_dgram(&r, DIR_C2S, CHBIND, CHBIND_LEN);
	run_dgram(&r, DIR_S2C, CHBINDOK, CHBINDOK_LEN);
	run_dgram(&r, DIR_C2S, CHDATA, CHDATA_LEN);
	run_dgram(&r, DIR_S2C, CHDATA, CHDATA_LEN);
	assert_int_equal(r.f.n_logins, 1);
	assert_login(&r.f, 0, "TURN", "alice", "", false, LOGIN_SUCCESS);
	assert_string_equal(own_fields(&proto_stun, &r.f, &t),
			    "methods=allocate,channel-bind;requests=3;successes=2;errors=1;"
			    "channel_data=2;error_code=401;user=alice;realm=tlswatch.test;"
			    "software=Coturn-4.6.1 'Gorst';");
	assert_int_equal(r.f.anomalies, 0);
}

static void
test_stun_tcp_stream_gives_the_same_facts_in_every_chunk_size(void **unused)
{
	struct replay_result r;
	struct own_text t;
	const struct step steps[] = {
		CB(ALLOC0),
		{DIR_S2C, ERR401, ERR401_LEN},
		CB(ALLOC1),
		{DIR_S2C, ALLOCOK, ALLOCOK_LEN},
		CB(CHBIND CHDATA), /* back to back in one segment */
		{DIR_S2C, CHBINDOK CHDATA, CHBINDOK_LEN + CHDATA_LEN},
	};

	(void)unused;
	transcript_run(&proto_stun, steps, N_STEPS(steps), &r);
	assert_int_equal(r.facts.n_logins, 1);
	assert_login(&r.facts, 0, "TURN", "alice", "", false, LOGIN_SUCCESS);
	assert_string_equal(own_fields(&proto_stun, &r.facts, &t),
			    "methods=allocate,channel-bind;requests=3;successes=2;errors=1;"
			    "channel_data=2;error_code=401;user=alice;realm=tlswatch.test;"
			    "software=Coturn-4.6.1 'Gorst';");
	assert_int_equal(r.facts.anomalies, 0);
}

static void
test_stun_401_to_credentials_is_a_failure_438_is_not(void **unused)
{
	uint8_t refused[ERR401_LEN];
	struct run r;

	(void)unused;
	/* 438 (stale nonce): the client retries, nothing decided. */
	run_init(&r);
	run_dgram(&r, DIR_C2S, ALLOC1, ALLOC1_LEN);
	error_for(refused, ALLOC1, 438);
	run_dgram(&r, DIR_S2C, refused, sizeof(refused));
	assert_login(&r.f, 0, "TURN", "alice", "", false, LOGIN_UNKNOWN);
	/* The retry (here the same bytes) is the same login; 401: refused. */
	run_dgram(&r, DIR_C2S, ALLOC1, ALLOC1_LEN);
	error_for(refused, ALLOC1, 401);
	run_dgram(&r, DIR_S2C, refused, sizeof(refused));
	assert_int_equal(r.f.n_logins, 1);
	assert_login(&r.f, 0, "TURN", "alice", "", false, LOGIN_FAILURE);

	/* Another 4xx (403 Forbidden) refuses the login too. */
	run_init(&r);
	run_dgram(&r, DIR_C2S, ALLOC1, ALLOC1_LEN);
	error_for(refused, ALLOC1, 403);
	run_dgram(&r, DIR_S2C, refused, sizeof(refused));
	assert_login(&r.f, 0, "TURN", "alice", "", false, LOGIN_FAILURE);

	/* After a success, a 437 (allocation mismatch) refuses the request,
	 * not the credentials. */
	run_init(&r);
	run_dgram(&r, DIR_C2S, ALLOC1, ALLOC1_LEN);
	run_dgram(&r, DIR_S2C, ALLOCOK, ALLOCOK_LEN);
	run_dgram(&r, DIR_C2S, ALLOC1, ALLOC1_LEN);
	error_for(refused, ALLOC1, 437);
	run_dgram(&r, DIR_S2C, refused, sizeof(refused));
	assert_int_equal(r.f.n_logins, 1);
	assert_login(&r.f, 0, "TURN", "alice", "", false, LOGIN_SUCCESS);

	/* An answer to a transaction never seen changes nothing. */
	run_init(&r);
	run_dgram(&r, DIR_C2S, ALLOC1, ALLOC1_LEN);
	run_dgram(&r, DIR_S2C, ERR401, ERR401_LEN); /* ALLOC0's ID */
	assert_login(&r.f, 0, "TURN", "alice", "", false, LOGIN_UNKNOWN);
}

static void
test_stun_requests_other_than_allocate_are_no_login(void **unused)
{
	struct run r;

	(void)unused;
	run_init(&r);
	run_dgram(&r, DIR_C2S, CHBIND, CHBIND_LEN); /* USERNAME, REALM, MI */
	run_dgram(&r, DIR_S2C, CHBINDOK, CHBINDOK_LEN);
	assert_int_equal(r.f.n_logins, 0);
}

static void
test_stun_hostile_lengths_are_anomalies_never_read_past(void **unused)
{
	uint8_t m[ALLOC1_LEN];
	struct run r;
	struct own_text t;

	(void)unused;
	/* USERNAME's length (at offset 46) runs past the message. */
	memcpy(m, ALLOC1, sizeof(m));
	m[46] = 0x7f;
	m[47] = 0xf0;
	run_init(&r);
	run_dgram(&r, DIR_C2S, m, sizeof(m));
	assert_true(r.f.anomalies & PROTO_ANOM_BAD_SYNTAX);
	assert_int_equal(r.f.n_logins, 0);

	/* A message length that is not a multiple of 4 is no STUN. */
	memcpy(m, ALLOC1, sizeof(m));
	m[3] = 0x73;
	run_init(&r);
	run_dgram(&r, DIR_C2S, m, sizeof(m));
	assert_true(r.f.anomalies & PROTO_ANOM_BAD_SYNTAX);
	assert_string_equal(own_fields(&proto_stun, &r.f, &t), "");
	assert_int_equal(proto_stun.sniff(DIR_C2S, m, sizeof(m)), SNIFF_NO);

	/* A length past the datagram (and the largest one): read as far as it
	 * goes, flagged. */
	memcpy(m, ALLOC1, sizeof(m));
	m[2] = 0xff;
	m[3] = 0xfc;
	run_init(&r);
	run_dgram(&r, DIR_C2S, m, sizeof(m));
	assert_true(r.f.anomalies & PROTO_ANOM_BAD_SYNTAX);
	assert_login(&r.f, 0, "TURN", "alice", "", false, LOGIN_UNKNOWN);

	/* ChannelData before any ChannelBind is no STUN; after one, longer
	 * than its datagram, it is counted and flagged. */
	run_init(&r);
	run_dgram(&r, DIR_C2S, CHDATA, CHDATA_LEN);
	assert_true(r.f.anomalies & PROTO_ANOM_BAD_SYNTAX);
	assert_string_equal(own_fields(&proto_stun, &r.f, &t), "");
	run_init(&r);
	run_dgram(&r, DIR_C2S, CHBIND, CHBIND_LEN);
	run_dgram(&r, DIR_C2S, "\x40\x00\xff\xff\x01\x02", 6);
	assert_true(r.f.anomalies & PROTO_ANOM_BAD_SYNTAX);
	assert_non_null(strstr(own_fields(&proto_stun, &r.f, &t), "channel_data=1;"));
}

static void
test_stun_every_cut_of_a_message_is_read_without_harm(void **unused)
{
	(void)unused;
	for (size_t n = 0; n <= ALLOC1_LEN; n++) {
		struct run r;
		struct own_text t;

		run_init(&r);
		run_dgram(&r, DIR_C2S, ALLOC1, n);
		own_fields(&proto_stun, &r.f, &t);
		if (n < ALLOC1_LEN)
			assert_true(r.f.anomalies & PROTO_ANOM_BAD_SYNTAX);
		else
			assert_int_equal(r.f.anomalies, 0);
		if (n >= 20)
			assert_non_null(strstr(t.buf, "requests=1;"));
	}
}

static void
test_stun_tcp_junk_or_a_huge_length_stops_without_harm(void **unused)
{
	struct replay_result r;
	struct own_text t;

	(void)unused;
	{
		/* A request, then text: the direction stops. */
		const struct step steps[] = {
			CB(BINDREQ "GET / HTTP/1.1\r\n\r\n" BINDREQ),
		};

		transcript_run(&proto_stun, steps, N_STEPS(steps), &r);
		assert_true(r.facts.anomalies & PROTO_ANOM_BAD_SYNTAX);
		assert_string_equal(own_fields(&proto_stun, &r.facts, &t),
				    "methods=binding;requests=1;");
	}
	{
		/* The largest length, its bytes never coming: nothing counted. */
		const struct step steps[] = {
			CB("\x00\x03\xff\xfc\x21\x12\xa4\x42"
			   "0123456789ab"
			   "\x00\x06\xff\xf0"),
		};

		transcript_run(&proto_stun, steps, N_STEPS(steps), &r);
		assert_int_equal(r.facts.anomalies, 0);
		assert_string_equal(own_fields(&proto_stun, &r.facts, &t), "");
	}
	{
		/* The wrong cookie stops the direction at once, whatever the
		 * length says. */
		const struct step steps[] = {
			CB("\x00\x01\xff\xfc\x12\x34\x56\x78"),
		};

		transcript_run(&proto_stun, steps, N_STEPS(steps), &r);
		assert_true(r.facts.anomalies & PROTO_ANOM_BAD_SYNTAX);
	}
	{
		/* A 20-byte header with the wrong cookie: not STUN. */
		const struct step steps[] = {
			CB("\x00\x01\x00\x00\x12\x34\x56\x78"
			   "0123456789ab"),
		};

		transcript_run(&proto_stun, steps, N_STEPS(steps), &r);
		assert_true(r.facts.anomalies & PROTO_ANOM_BAD_SYNTAX);
		assert_string_equal(own_fields(&proto_stun, &r.facts, &t), "");
	}
}

static void
test_stun_many_unanswered_requests_keep_the_latest(void **unused)
{
	struct run r;
	uint8_t m[BINDREQ_LEN];

	(void)unused;
	run_init(&r);
	run_dgram(&r, DIR_C2S, ALLOC1, ALLOC1_LEN);
	for (unsigned i = 0; i < 1000; i++) { /* pushes ALLOC1 out */
		memcpy(m, BINDREQ, sizeof(m));
		m[8] = (uint8_t)i;
		m[9] = (uint8_t)(i >> 8);
		run_dgram(&r, DIR_C2S, m, sizeof(m));
	}
	run_dgram(&r, DIR_S2C, ALLOCOK, ALLOCOK_LEN);
	assert_login(&r.f, 0, "TURN", "alice", "", false, LOGIN_UNKNOWN);
	assert_int_equal(r.f.anomalies, 0);
}

static void
test_stun_sniff_claims_whole_messages_with_the_cookie(void **unused)
{
	(void)unused;
	assert_int_equal(proto_stun.sniff(DIR_C2S, (const uint8_t *)BINDREQ, BINDREQ_LEN),
			 SNIFF_STRONG);
	assert_int_equal(proto_stun.sniff(DIR_C2S, (const uint8_t *)ALLOC1, ALLOC1_LEN),
			 SNIFF_STRONG);
	assert_int_equal(proto_stun.sniff(DIR_C2S, (const uint8_t *)ALLOC1, 40), SNIFF_MORE);
	assert_int_equal(proto_stun.sniff(DIR_C2S, (const uint8_t *)ALLOC1, 5), SNIFF_MORE);
	assert_int_equal(proto_stun.sniff(DIR_C2S, (const uint8_t *)CHDATA, CHDATA_LEN), SNIFF_NO);
	assert_int_equal(proto_stun.sniff(DIR_C2S,
					  (const uint8_t *)"\x00\x01\x00\x00\x00\x00\x00\x00"
							   "0123456789ab",
					  20),
			 SNIFF_NO); /* RFC 3489, no cookie */
	assert_int_equal(proto_stun.sniff(DIR_C2S,
					  (const uint8_t *)"\x16\x03\x01\x00\x10\x01\x00\x00\x0c",
					  9),
			 SNIFF_NO);
	assert_int_equal(proto_stun.sniff(DIR_C2S, (const uint8_t *)"220 mail ESMTP\r\n", 16),
			 SNIFF_NO);
}

/* A UDP session of one Binding to port, named and judged. */
static void
judge_binding_on(uint16_t port, struct session *s)
{
	struct alert alerts[4];

	session_init(s, 1, 1000000);
	s->family = 4;
	s->l4 = 17;
	s->server_port = port;
	s->client_port = 40000;
	session_on_datagram(s, DIR_C2S, (const uint8_t *)BINDREQ, BINDREQ_LEN, false);
	session_on_datagram(s, DIR_S2C, (const uint8_t *)BINDOK, BINDOK_LEN, false);
	session_name_service(s);
	verdict_judge(s, NULL, alerts, 4);
}

static void
test_stun_in_the_clear_on_3478_is_cleartext_and_on_5349_plaintext_on_tls_port(void **unused)
{
	struct session s;

	(void)unused;
	judge_binding_on(3478, &s);
	assert_string_equal(s.service, "stun");
	assert_int_equal(s.verdict, VERDICT_CLEARTEXT);
	assert_int_equal(s.reason, REASON_NO_TLS_PROTOCOL);
	session_release(&s);

	judge_binding_on(5349, &s);
	assert_string_equal(s.service, "stun");
	assert_int_equal(s.verdict, VERDICT_DOWNGRADED);
	assert_int_equal(s.reason, REASON_PLAINTEXT_ON_TLS_PORT);
	session_release(&s);

	judge_binding_on(40001, &s); /* any port, by content */
	assert_string_equal(s.service, "stun");
	session_release(&s);
}

/* A TLS session that offered ALPN ids to port, named without a parser. */
static const char *
name_tls_offering(uint16_t port, const char *alpn)
{
	static char service[32];
	struct session s;

	session_init(&s, 1, 1000000);
	s.family = 4;
	s.l4 = 6;
	s.server_port = port;
	s.client_port = 40000;
	snprintf(s.tf.alpn, sizeof(s.tf.alpn), "%s", alpn);
	session_name_service(&s);
	snprintf(service, sizeof(service), "%s", s.service ? s.service : "");
	session_release(&s);
	return service;
}

static void
test_stun_tls_offering_stun_turn_among_others_on_5349_is_stun(void **unused)
{
	(void)unused;
	/* turnutils_uclient -S offers "http/1.1,stun.turn,stun.nat-discovery". */
	assert_string_equal(name_tls_offering(5349, "http/1.1,stun.turn,stun.nat-discovery"),
			    "stun");
	assert_string_equal(name_tls_offering(5349, "stun.nat-discovery"), "stun");
	assert_string_equal(name_tls_offering(5349, "h2,http/1.1"), "http");
	assert_string_equal(name_tls_offering(443, "http/1.1,stun.turn"), "http");
	assert_string_equal(name_tls_offering(40002, "stun.turn,h2"), "stun");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stun_binding_request_and_response_are_counted),
		cmocka_unit_test(
			test_stun_turn_allocate_with_credentials_is_a_login_without_a_secret),
		cmocka_unit_test(test_stun_tcp_stream_gives_the_same_facts_in_every_chunk_size),
		cmocka_unit_test(test_stun_401_to_credentials_is_a_failure_438_is_not),
		cmocka_unit_test(test_stun_requests_other_than_allocate_are_no_login),
		cmocka_unit_test(test_stun_hostile_lengths_are_anomalies_never_read_past),
		cmocka_unit_test(test_stun_every_cut_of_a_message_is_read_without_harm),
		cmocka_unit_test(test_stun_tcp_junk_or_a_huge_length_stops_without_harm),
		cmocka_unit_test(test_stun_many_unanswered_requests_keep_the_latest),
		cmocka_unit_test(test_stun_sniff_claims_whole_messages_with_the_cookie),
		cmocka_unit_test(
			test_stun_in_the_clear_on_3478_is_cleartext_and_on_5349_plaintext_on_tls_port),
		cmocka_unit_test(test_stun_tls_offering_stun_turn_among_others_on_5349_is_stun),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
