/*
 * test_http.c - the HTTP/1 parser: Basic, Proxy, Digest, NTLM, Bearer
 * credentials and their outcome; the RFC 2817 upgrade accepted, ignored,
 * refused, injected; 101 to other protocols; CONNECT tunnels; bodies
 * skipped (Content-Length, chunked, until close, none), pipelining, folding,
 * long lines; transcripts replayed in every chunk size; sniffing; hostile
 * input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "transcript.h"

extern const struct proto_desc proto_http;

#define SB(s)                                                                                      \
	{                                                                                          \
		DIR_S2C, (s), sizeof(s) - 1                                                        \
	} /* binary server bytes */

/* alice:AlicePass2024, alice:WrongPass999, bob:BobPass2024 */
#define ALICE "YWxpY2U6QWxpY2VQYXNzMjAyNA=="
#define ALICE_WRONG "YWxpY2U6V3JvbmdQYXNzOTk5"
#define BOB "Ym9iOkJvYlBhc3MyMDI0"

#define GET_AUTH(cred)                                                                             \
	"GET /private/ HTTP/1.1\r\nHost: www.tlswatch.test\r\nAuthorization: Basic " cred          \
	"\r\nAccept: */*\r\n\r\n"
#define OK_BODY "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello"
#define UNAUTHORIZED                                                                               \
	"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"tlswatch lab\"\r\n"          \
	"Content-Length: 12\r\n\r\nunauthorized"

/* The own fields as the sinks would render them. */
struct own_seen {
	uint64_t requests, responses;
	char tunnel[16], switched[16];
};

static void
own_str(void *ctx, const char *key, const char *value)
{
	struct own_seen *o = ctx;

	if (strcmp(key, "tunnel") == 0)
		snprintf(o->tunnel, sizeof(o->tunnel), "%s", value);
	else if (strcmp(key, "switched") == 0)
		snprintf(o->switched, sizeof(o->switched), "%s", value);
	else
		fail_msg("unexpected own field %s", key);
}

static void
own_num(void *ctx, const char *key, uint64_t value)
{
	struct own_seen *o = ctx;

	if (strcmp(key, "requests") == 0)
		o->requests = value;
	else if (strcmp(key, "responses") == 0)
		o->responses = value;
	else
		fail_msg("unexpected own field %s", key);
}

static struct own_seen
own_of(const struct proto_facts *f)
{
	struct own_seen o;
	struct proto_writer w = {&o, own_str, own_num};

	memset(&o, 0, sizeof(o));
	proto_http.write(f, &w);
	return o;
}

static void
test_http_basic_auth_is_a_login_whose_outcome_is_the_status(void **unused)
{
	const struct step ok[] = {
		C(GET_AUTH(ALICE)),
		S(OK_BODY),
	};
	const struct step bad[] = {
		C("GET /private/ HTTP/1.1\r\nHost: www.tlswatch.test\r\n\r\n"),
		S(UNAUTHORIZED),
		C(GET_AUTH(ALICE_WRONG)),
		S(UNAUTHORIZED),
	};
	const struct step forbidden[] = {
		C(GET_AUTH(BOB)),
		S("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n"),
	};
	const struct step redirect[] = {
		C(GET_AUTH(BOB)),
		S("HTTP/1.1 301 Moved Permanently\r\nLocation: /private/x/\r\nContent-Length: "
		  "0\r\n\r\n"),
	};
	const struct step other[] = {
		C(GET_AUTH(BOB)),
		S("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_http, ok, N_STEPS(ok), &r);
	assert_int_equal(r.facts.n_logins, 1);
	assert_login(&r.facts, 0, "BASIC", "alice", "AlicePass2024", true, LOGIN_SUCCESS);
	assert_false(r.facts.auth_cleartext_offered);
	assert_false(r.facts.upgrade_requested);
	assert_int_equal(own_of(&r.facts).requests, 1);
	assert_int_equal(own_of(&r.facts).responses, 1);

	transcript_run(&proto_http, bad, N_STEPS(bad), &r);
	assert_int_equal(r.facts.n_logins, 1);
	assert_login(&r.facts, 0, "BASIC", "alice", "WrongPass999", true, LOGIN_FAILURE);
	assert_true(r.facts.auth_cleartext_offered); /* the Basic challenge */
	assert_int_equal(own_of(&r.facts).requests, 2);

	transcript_run(&proto_http, forbidden, N_STEPS(forbidden), &r);
	assert_login(&r.facts, 0, "BASIC", "bob", "BobPass2024", true, LOGIN_FAILURE);
	transcript_run(&proto_http, redirect, N_STEPS(redirect), &r);
	assert_login(&r.facts, 0, "BASIC", "bob", "BobPass2024", true, LOGIN_SUCCESS);
	transcript_run(&proto_http, other, N_STEPS(other), &r);
	assert_login(&r.facts, 0, "BASIC", "bob", "BobPass2024", true, LOGIN_UNKNOWN);
}

static void
test_http_the_same_credentials_on_every_request_are_one_login(void **unused)
{
	const struct step t[] = {
		C(GET_AUTH(ALICE) GET_AUTH(ALICE)),
		S(OK_BODY OK_BODY),
		C(GET_AUTH(ALICE)),
		S(UNAUTHORIZED), /* a later refusal does not undo the success */
		C(GET_AUTH(BOB)),
		S(OK_BODY),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_http, t, N_STEPS(t), &r);
	assert_int_equal(r.facts.n_logins, 2);
	assert_login(&r.facts, 0, "BASIC", "alice", "AlicePass2024", true, LOGIN_SUCCESS);
	assert_login(&r.facts, 1, "BASIC", "bob", "BobPass2024", true, LOGIN_SUCCESS);
	assert_int_equal(own_of(&r.facts).requests, 4);
	assert_int_equal(own_of(&r.facts).responses, 4);
}

static void
test_http_many_requests_are_counted_and_logins_capped(void **unused)
{
	char client[4096], server[2048];
	size_t c = 0, s = 0;
	struct replay_result r;

	(void)unused;
	/* Ten requests, each with another user ("u0:p" ... "u9:p"), pipelined. */
	for (int i = 0; i < 10; i++) {
		static const char *const b64[] = {
			"dTA6cA==", "dTE6cA==", "dTI6cA==", "dTM6cA==", "dTQ6cA==",
			"dTU6cA==", "dTY6cA==", "dTc6cA==", "dTg6cA==", "dTk6cA=="};

		c += (size_t)snprintf(client + c, sizeof(client) - c,
				      "GET /%d HTTP/1.1\r\nAuthorization: Basic %s\r\n\r\n", i,
				      b64[i]);
		s += (size_t)snprintf(server + s, sizeof(server) - s,
				      "HTTP/1.1 401 No\r\nContent-Length: 2\r\n\r\nno");
	}
	const struct step t[] = {C(client), S(server)};

	transcript_run(&proto_http, t, N_STEPS(t), &r);
	assert_int_equal(r.facts.n_logins, LOGIN_MAX);
	assert_int_equal(r.facts.logins_dropped, 10 - LOGIN_MAX);
	assert_login(&r.facts, 3, "BASIC", "u3", "p", true, LOGIN_FAILURE);
	assert_int_equal(own_of(&r.facts).requests, 10);
	assert_int_equal(own_of(&r.facts).responses, 10);
	assert_int_equal(r.facts.anomalies, 0);
}

static void
test_http_proxy_digest_bearer_ntlm_and_negotiate(void **unused)
{
	const struct step t[] = {
		C("GET http://www.tlswatch.test/ HTTP/1.1\r\nProxy-Authorization: Basic " BOB
		  "\r\n\r\n"),
		S("HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic "
		  "realm=\"proxy\"\r\nContent-Length: 0\r\n\r\n"),
		C("GET /d HTTP/1.1\r\nAuthorization: Digest username=\"carol\", realm=\"lab\", "
		  "nonce=\"abc\", uri=\"/d\", "
		  "response=\"0123456789abcdef0123456789abcdef\"\r\n\r\n"),
		S("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
		C("GET /b HTTP/1.1\r\nAuthorization: Bearer mF_9.B5f-4.1JqM\r\n\r\n"),
		S("HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer "
		  "error=\"invalid_token\"\r\n"
		  "Content-Length: 0\r\n\r\n"),
		/* NTLM NEGOTIATE (type 1): no login; AUTHENTICATE (type 3, unicode,
		 * domain LAB, user alice): one. */
		C("GET /n HTTP/1.1\r\nAuthorization: NTLM "
		  "TlRMTVNTUAABAAAAB4IIAAAAAAAAAAAAAAAAAAAAAAA="
		  "\r\n\r\n"),
		S("HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: NTLM "
		  "TlRMTVNTUAACAAAAAAAAAAAAAAA=\r\nContent-Length: 0\r\n\r\n"),
		C("GET /n HTTP/1.1\r\nAuthorization: NTLM "
		  "TlRMTVNTUAADAAAAAAAAAAAAAAAAAAAAAAAAAAYABgBAAAAACgAKAEYAAAAAAAAAAAAAAAAAAAAAAAAA"
		  "AQAAAEwAQQBCAGEAbABpAGMAZQA="
		  "\r\n\r\n"),
		S("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
		/* Kerberos through Negotiate: nothing reusable crosses. */
		C("GET /k HTTP/1.1\r\nAuthorization: Negotiate "
		  "YIIClAYGKwYBBQUCoIICiDCCAoSgDTAL\r\n\r\n"),
		S("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_http, t, N_STEPS(t), &r);
	assert_int_equal(r.facts.n_logins, 4);
	assert_login(&r.facts, 0, "PROXY-BASIC", "bob", "BobPass2024", true, LOGIN_FAILURE);
	assert_login(&r.facts, 1, "DIGEST", "carol", "", false, LOGIN_SUCCESS);
	assert_login(&r.facts, 2, "BEARER", "", "mF_9.B5f-4.1JqM", true, LOGIN_FAILURE);
	assert_login(&r.facts, 3, "NTLM", "LAB\\alice", "", false, LOGIN_SUCCESS);
	assert_true(r.facts.auth_cleartext_offered); /* the proxy's Basic challenge */
	assert_int_equal(r.facts.anomalies, 0);
}

static void
test_http_folded_and_overlong_fields(void **unused)
{
	char longline[LINE_CAP + 200];
	struct replay_result r;

	(void)unused;
	memset(longline, 'a', sizeof(longline));
	memcpy(longline, "Cookie: ", 8);
	longline[sizeof(longline) - 3] = '\r';
	longline[sizeof(longline) - 2] = '\n';
	longline[sizeof(longline) - 1] = '\0';
	const struct step t[] = {
		C("GET / HTTP/1.1\r\nAuthorization: Basic\r\n\t" ALICE "\r\n"),
		C(longline),
		C("X-Other: 1\r\n\r\n"),
		S("HTTP/1.1 200 OK\r\nContent-Length:\r\n 3\r\n\r\nabc"),
		C("GET / HTTP/1.1\r\n\r\n"),
		S("HTTP/1.1 204 No Content\r\n\r\n"),
	};

	transcript_run(&proto_http, t, N_STEPS(t), &r);
	assert_login(&r.facts, 0, "BASIC", "alice", "AlicePass2024", true, LOGIN_SUCCESS);
	assert_true(r.facts.anomalies & PROTO_ANOM_LINE_TOO_LONG);
	assert_false(r.facts.anomalies & PROTO_ANOM_BAD_SYNTAX);
	assert_int_equal(own_of(&r.facts).responses, 2);
}

/* Bodies are skipped, never read as messages: a request body and a
 * response body holding what looks like headers and status lines. */
static void
test_http_bodies_are_skipped_whatever_their_framing(void **unused)
{
	const struct step t[] = {
		/* Content-Length request body */
		C("POST /a HTTP/1.1\r\nContent-Length: 51\r\n\r\n"
		  "Authorization: Basic " ALICE "\r\n"),
		/* chunked response, extensions and a trailer */
		S("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
		  "1b;name=value\r\nHTTP/1.1 401 Unauthorized\r\n\r\n"
		  "10\r\nHTTP/1.1 101 Sw!\r\n0\r\nTrailer: x\r\n\r\n"),
		/* chunked request body */
		C("PUT /b HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
		  "14\r\nGET / HTTP/1.1\r\nUpgr\r\n0\r\n\r\n"),
		S("HTTP/1.1 201 Created\r\nContent-Length: 4\r\n\r\nUpgr"),
		/* HEAD: the length is the GET's, no body follows */
		C("HEAD /c HTTP/1.1\r\n\r\nGET /c HTTP/1.1\r\nAuthorization: Basic " BOB
		  "\r\n\r\n"),
		S("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"
		  "HTTP/1.1 100 Continue\r\n\r\n"
		  "HTTP/1.1 304 Not Modified\r\nContent-Length: 1000\r\n\r\n"),
		/* HTTP/1.0: the body runs until the close */
		C("GET /d HTTP/1.0\r\n\r\n"),
		S("HTTP/1.0 200 OK\r\n\r\nHTTP/1.1 200 OK\r\nUpgrade: TLS/1.0\r\n\r\n"),
		C("GET /e HTTP/1.0\r\nUpgrade: TLS/1.0\r\nConnection: Upgrade\r\n\r\n"),
	};
	struct replay_result r;
	struct own_seen o;

	(void)unused;
	transcript_run(&proto_http, t, N_STEPS(t), &r);
	assert_int_equal(r.facts.n_logins, 1);
	assert_login(&r.facts, 0, "BASIC", "bob", "BobPass2024", true, LOGIN_SUCCESS);
	assert_false(r.facts.tls_offered);
	assert_false(r.facts.switch_to_tls);
	assert_int_equal(r.facts.anomalies, 0);
	o = own_of(&r.facts);
	assert_int_equal(o.requests, 6);
	assert_int_equal(o.responses, 6); /* the 100 Continue counts */
}

#define UPGRADE_REQUEST                                                                            \
	"OPTIONS * HTTP/1.1\r\nHost: www.tlswatch.test\r\nUpgrade: TLS/1.0\r\n"                    \
	"Connection: Upgrade\r\n\r\n"
#define SWITCHING                                                                                  \
	"HTTP/1.1 101 Switching Protocols\r\nUpgrade: TLS/1.0, HTTP/1.1\r\n"                       \
	"Connection: Upgrade\r\n\r\n"

static void
test_http_upgrade_to_tls_switches_after_the_101(void **unused)
{
	const struct step t[] = {
		C(UPGRADE_REQUEST),
		SB(SWITCHING "\x16\x03\x03\x00\x05hello"),
		CB("\x16\x03\x01\x00\x05hello"),
	};
	const struct step ahead[] = {
		C(UPGRADE_REQUEST),
		CB("\x16\x03\x01\x00\x05hello"),
		S(SWITCHING),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_http, t, N_STEPS(t), &r);
	assert_true(r.facts.upgrade_requested);
	assert_true(r.facts.upgrade_accepted);
	assert_true(r.facts.switch_to_tls);
	assert_false(r.facts.upgrade_refused);
	assert_int_equal(r.facts.indicators, 0);
	assert_int_equal(r.after_switch[DIR_S2C], 10);
	assert_int_equal(r.after_switch[DIR_C2S], 10);
	assert_string_equal(r.facts.upgrade_reply, "HTTP/1.1 101 Switching Protocols");

	/* A ClientHello without waiting for the 101: the client went ahead. */
	transcript_run(&proto_http, ahead, N_STEPS(ahead), &r);
	assert_true(r.facts.switch_to_tls);
	assert_int_equal(r.after_switch[DIR_C2S], 10);
	assert_int_equal(r.facts.indicators, 0);
}

static void
test_http_upgrade_ignored_by_a_server_that_never_offered_is_no_refusal(void **unused)
{
	const struct step t[] = {
		C("GET / HTTP/1.1\r\nUpgrade: TLS/1.0\r\nConnection: Upgrade\r\n\r\n"),
		S("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"),
		C("GET /next HTTP/1.1\r\n\r\n"),
		S("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_http, t, N_STEPS(t), &r);
	assert_true(r.facts.upgrade_requested);
	assert_false(r.facts.upgrade_refused);
	assert_false(r.facts.tls_offered);
	assert_int_equal(r.facts.indicators, 0);
	assert_string_equal(r.facts.upgrade_reply, "HTTP/1.1 200 OK");
}

static void
test_http_upgrade_refused_after_the_server_offered_it(void **unused)
{
	const struct step after_426[] = {
		C("GET /secure HTTP/1.1\r\n\r\n"),
		S("HTTP/1.1 426 Upgrade Required\r\nUpgrade: TLS/1.0, HTTP/1.1\r\n"
		  "Connection: Upgrade\r\nContent-Length: 0\r\n\r\n"),
		C(UPGRADE_REQUEST),
		S("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"),
		C(GET_AUTH(ALICE)),
		S(OK_BODY),
	};
	/* The refusal itself names the protocol it will not switch to. */
	const struct step in_answer[] = {
		C(UPGRADE_REQUEST),
		S("HTTP/1.1 200 OK\r\nUpgrade: TLS/1.2\r\nContent-Length: 0\r\n\r\n"),
	};
	const struct step offered_only[] = {
		C("GET / HTTP/1.1\r\n\r\n"),
		S("HTTP/1.1 426 Upgrade Required\r\nUpgrade: TLS/1.0, HTTP/1.1\r\n"
		  "Content-Length: 0\r\n\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_http, after_426, N_STEPS(after_426), &r);
	assert_true(r.facts.tls_offered);
	assert_true(r.facts.capa_seen);
	assert_string_equal(r.facts.capa, "TLS/1.0");
	assert_true(r.facts.upgrade_requested);
	assert_true(r.facts.upgrade_refused);
	assert_true(r.facts.cleartext_after_refusal);
	assert_true(r.facts.indicators & IND_UPGRADE_REFUSED);
	assert_evidence(&r.facts, "HTTP/1.1 400 Bad Request");
	assert_login(&r.facts, 0, "BASIC", "alice", "AlicePass2024", true, LOGIN_SUCCESS);

	transcript_run(&proto_http, in_answer, N_STEPS(in_answer), &r);
	assert_true(r.facts.upgrade_refused);
	assert_string_equal(r.facts.capa, "TLS/1.2");

	transcript_run(&proto_http, offered_only, N_STEPS(offered_only), &r);
	assert_true(r.facts.tls_offered);
	assert_false(r.facts.upgrade_requested);
	assert_false(r.facts.upgrade_refused);
}

static void
test_http_bytes_behind_the_upgrade_request_are_injection_only_if_it_switches(void **unused)
{
	const struct step switched[] = {
		C(UPGRADE_REQUEST "GET /injected HTTP/1.1\r\n\r\n"),
		S(SWITCHING),
	};
	const struct step partial[] = {
		C(UPGRADE_REQUEST "GET /inj"),
		S(SWITCHING),
	};
	const struct step ignored[] = {
		C(UPGRADE_REQUEST "GET /pipelined HTTP/1.1\r\n\r\n"),
		S("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
		  "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_http, switched, N_STEPS(switched), &r);
	assert_true(r.facts.switch_to_tls);
	assert_true(r.facts.indicators & IND_CMD_INJECTION);
	assert_evidence(&r.facts, "GET /injected HTTP/1.1");

	transcript_run(&proto_http, partial, N_STEPS(partial), &r);
	assert_true(r.facts.indicators & IND_CMD_INJECTION);
	assert_evidence(&r.facts, "GET /inj");

	transcript_run(&proto_http, ignored, N_STEPS(ignored), &r);
	assert_false(r.facts.switch_to_tls);
	assert_int_equal(r.facts.indicators, 0);
	assert_int_equal(own_of(&r.facts).requests, 2);
}

static void
test_http_101_to_websocket_or_h2c_ends_parsing(void **unused)
{
	const struct step ws[] = {
		C("GET /chat HTTP/1.1\r\nAuthorization: Basic " ALICE "\r\nUpgrade: websocket\r\n"
		  "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n"),
		S("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: "
		  "Upgrade\r\n"
		  "\r\n\x81\x05hello"),
		CB("\x81\x85\x01\x02\x03\x04GET / HTTP/1.1\r\nAuthorization: Basic " BOB
		   "\r\n\r\n"),
	};
	const struct step h2c[] = {
		C("GET / HTTP/1.1\r\nUpgrade: h2c, TLS/1.0\r\nConnection: Upgrade, "
		  "HTTP2-Settings\r\n"
		  "HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n"),
		S("HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n"),
		CB("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_http, ws, N_STEPS(ws), &r);
	assert_false(r.facts.switch_to_tls);
	assert_int_equal(r.facts.n_logins, 1);
	assert_login(&r.facts, 0, "BASIC", "alice", "AlicePass2024", true, LOGIN_SUCCESS);
	assert_string_equal(own_of(&r.facts).switched, "websocket");
	assert_int_equal(own_of(&r.facts).requests, 1);

	transcript_run(&proto_http, h2c, N_STEPS(h2c), &r);
	assert_false(r.facts.switch_to_tls);
	assert_false(r.facts.upgrade_accepted);
	assert_true(r.facts.upgrade_requested); /* TLS was among the protocols asked */
	assert_string_equal(own_of(&r.facts).switched, "h2c");
}

static void
test_http_connect_tunnel_carrying_tls_is_read_as_tls(void **unused)
{
	const struct step tls[] = {
		C("CONNECT www.tlswatch.test:443 HTTP/1.1\r\nHost: www.tlswatch.test:443\r\n\r\n"),
		S("HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic "
		  "realm=\"p\"\r\nContent-Length: 0\r\n\r\n"),
		C("CONNECT www.tlswatch.test:443 HTTP/1.1\r\nProxy-Authorization: Basic " BOB
		  "\r\n\r\n"),
		S("HTTP/1.1 200 Connection established\r\n\r\n"),
		CB("\x16\x03\x01\x00\x05hello"),
		SB("\x16\x03\x03\x00\x05hello"),
	};
	const struct step other[] = {
		C("CONNECT mail.tlswatch.test:25 HTTP/1.1\r\n\r\n"),
		S("HTTP/1.1 200 OK\r\n\r\n220 mail.tlswatch.test ESMTP\r\n"),
		C("EHLO x\r\n"),
	};
	const struct step early[] = {
		C("CONNECT www.tlswatch.test:443 HTTP/1.1\r\n\r\n"),
		CB("\x16\x03\x01\x00\x05hello"),
		S("HTTP/1.1 200 Connection established\r\n\r\n"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_http, tls, N_STEPS(tls), &r);
	assert_true(r.facts.switch_to_tls);
	assert_false(r.facts.upgrade_requested);
	assert_int_equal(r.after_switch[DIR_C2S], 10);
	assert_int_equal(r.after_switch[DIR_S2C], 10);
	assert_login(&r.facts, 0, "PROXY-BASIC", "bob", "BobPass2024", true, LOGIN_SUCCESS);
	assert_string_equal(own_of(&r.facts).tunnel, "connect");
	assert_int_equal(own_of(&r.facts).requests, 2);

	transcript_run(&proto_http, other, N_STEPS(other), &r);
	assert_false(r.facts.switch_to_tls);
	assert_string_equal(own_of(&r.facts).tunnel, "connect");

	transcript_run(&proto_http, early, N_STEPS(early), &r);
	assert_false(r.facts.switch_to_tls);
	assert_string_equal(own_of(&r.facts).tunnel, "");
}

static void
test_http_sniff_tells_requests_and_responses(void **unused)
{
	static const struct {
		enum dir dir;
		const char *text;
		enum sniff_result want;
	} cases[] = {
		{DIR_C2S, "GET / HTTP/1.1\r\n", SNIFF_STRONG},
		{DIR_C2S, "OPTIONS * HTTP/1.1\r\n", SNIFF_STRONG},
		{DIR_C2S, "CONNECT a:443 HTTP/1.1\r\n", SNIFF_STRONG},
		{DIR_C2S, "GET /", SNIFF_MORE},
		{DIR_C2S, "GE", SNIFF_MORE},
		{DIR_C2S, "OPTIONS rtsp://a/ RTSP/1.0\r\n", SNIFF_NO},
		{DIR_C2S, "OPTIONS sip:a SIP/2.0\r\n", SNIFF_NO},
		{DIR_C2S, "HEAD <a@b>\r\n", SNIFF_NO}, /* NNTP's */
		{DIR_C2S, "POST\r\n", SNIFF_NO},       /* NNTP's */
		{DIR_C2S, "EHLO x\r\n", SNIFF_NO},
		{DIR_C2S, "get / HTTP/1.1\r\n", SNIFF_NO},
		{DIR_S2C, "HTTP/1.1 200 OK\r\n", SNIFF_STRONG},
		{DIR_S2C, "HTTP/1.0 400", SNIFF_STRONG},
		{DIR_S2C, "HTTP/1.", SNIFF_MORE},
		{DIR_S2C, "HTTP/2 200\r\n", SNIFF_NO},
		{DIR_S2C, "RTSP/1.0 200 OK\r\n", SNIFF_NO},
		{DIR_S2C, "220 mail ESMTP\r\n", SNIFF_NO},
	};
	char longreq[200];

	(void)unused;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(proto_http.sniff(cases[i].dir, (const uint8_t *)cases[i].text,
						  strlen(cases[i].text)),
				 cases[i].want);
	/* A target longer than the bytes held while sniffing. */
	memset(longreq, 'a', sizeof(longreq));
	memcpy(longreq, "GET /", 5);
	assert_int_equal(proto_http.sniff(DIR_C2S, (const uint8_t *)longreq, 160), SNIFF_STRONG);
	memcpy(longreq, "GET a", 5);
	assert_int_equal(proto_http.sniff(DIR_C2S, (const uint8_t *)longreq, 160), SNIFF_NO);
}

static void
test_http_junk_and_truncated_input_never_crash(void **unused)
{
	static const char *const junk[] = {
		"GET\r\n",
		"HTTP/1.1 20\r\n",
		"Content-Length: 99999999999999999999999\r\n\r\n",
		"Transfer-Encoding: chunked\r\n\r\nzz\r\n",
		"Transfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n",
		"Authorization: Basic ===\r\n",
		"Authorization: NTLM TlRMTVNTUAADAAAA\r\n",
		"Authorization: Digest username=\"\r\n",
		"Upgrade: ,,/,TLS/\r\n\r\n",
		": \r\n",
		"\x16\x03\x01",
	};
	struct replay_result r;

	(void)unused;
	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		const struct step t[] = {C("GET / HTTP/1.1\r\n"),
					 C(junk[i]),
					 S("HTTP/1.1 200 OK\r\n"),
					 S(junk[i]),
					 C(junk[i]),
					 S(junk[i])};

		transcript_run(&proto_http, t, N_STEPS(t), &r);
		assert_true(r.facts.n_logins <= LOGIN_MAX);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_http_basic_auth_is_a_login_whose_outcome_is_the_status),
		cmocka_unit_test(test_http_the_same_credentials_on_every_request_are_one_login),
		cmocka_unit_test(test_http_many_requests_are_counted_and_logins_capped),
		cmocka_unit_test(test_http_proxy_digest_bearer_ntlm_and_negotiate),
		cmocka_unit_test(test_http_folded_and_overlong_fields),
		cmocka_unit_test(test_http_bodies_are_skipped_whatever_their_framing),
		cmocka_unit_test(test_http_upgrade_to_tls_switches_after_the_101),
		cmocka_unit_test(
			test_http_upgrade_ignored_by_a_server_that_never_offered_is_no_refusal),
		cmocka_unit_test(test_http_upgrade_refused_after_the_server_offered_it),
		cmocka_unit_test(
			test_http_bytes_behind_the_upgrade_request_are_injection_only_if_it_switches),
		cmocka_unit_test(test_http_101_to_websocket_or_h2c_ends_parsing),
		cmocka_unit_test(test_http_connect_tunnel_carrying_tls_is_read_as_tls),
		cmocka_unit_test(test_http_sniff_tells_requests_and_responses),
		cmocka_unit_test(test_http_junk_and_truncated_input_never_crash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
