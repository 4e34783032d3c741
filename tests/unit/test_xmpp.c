/*
 * test_xmpp.c - the XMPP parser: STARTTLS (offered, required, accepted,
 * refused, injected around, masked), SASL and XEP-0078 logins,
 * transcripts replayed in every chunk size; sniffing; own fields; hostile
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

extern const struct proto_desc proto_xmpp;

#define C_HDR                                                                                      \
	"<?xml version='1.0'?><stream:stream to='tlswatch.test' version='1.0' "                    \
	"xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>"
#define S_HDR                                                                                      \
	"<?xml version='1.0'?><stream:stream xmlns='jabber:client' "                               \
	"xmlns:stream='http://etherx.jabber.org/streams' id='f3a1' from='tlswatch.test' "          \
	"version='1.0' xml:lang='en'>"
#define TLS_NS "urn:ietf:params:xml:ns:xmpp-tls"
#define SASL_NS "urn:ietf:params:xml:ns:xmpp-sasl"
#define FEATURES(tls)                                                                              \
	"<stream:features>" tls "<mechanisms xmlns='" SASL_NS                                      \
	"'><mechanism>SCRAM-SHA-1</mechanism>"                                                     \
	"<mechanism>PLAIN</mechanism></mechanisms></stream:features>"
#define STARTTLS_OFFER "<starttls xmlns='" TLS_NS "'/>"
#define STARTTLS_REQUIRED "<starttls xmlns='" TLS_NS "'><required/></starttls>"
#define PROCEED "<proceed xmlns='" TLS_NS "'/>"
#define ALICE_PLAIN "AGFsaWNlAEFsaWNlUGFzczIwMjQ=" /* \0alice\0AlicePass2024 */
#define ALICE_WRONG "AGFsaWNlAFdyb25nUGFzczk5OQ==" /* \0alice\0WrongPass999 */
#define AUTH_PLAIN(b64) "<auth xmlns='" SASL_NS "' mechanism='PLAIN'>" b64 "</auth>"
#define SUCCESS "<success xmlns='" SASL_NS "'/>"
#define CLIENT_HELLO "\x16\x03\x01\x00\x05hello"

/* The own fields as one string: "key=value ..." */
static char own_text[256];

static void
own_str(void *ctx, const char *key, const char *value)
{
	size_t n = strlen(own_text);

	(void)ctx;
	snprintf(own_text + n, sizeof(own_text) - n, "%s%s=%s", n ? " " : "", key, value);
}

static void
own_num(void *ctx, const char *key, uint64_t value)
{
	(void)ctx;
	(void)key;
	(void)value;
}

static const char *
own(const struct proto_facts *f)
{
	struct proto_writer w = {NULL, own_str, own_num};

	own_text[0] = '\0';
	proto_xmpp.write(f, &w);
	return own_text;
}

static void
test_xmpp_starttls_required_and_accepted_hands_the_client_hello_to_tls(void **unused)
{
	const struct step t[] = {
		C(C_HDR),
		S(S_HDR FEATURES(STARTTLS_REQUIRED)),
		C("<starttls xmlns='" TLS_NS "'/>"),
		S(PROCEED),
		CB(CLIENT_HELLO),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_xmpp, t, N_STEPS(t), &r);
	assert_true(r.facts.greeting);
	assert_true(r.facts.capa_seen);
	assert_true(r.facts.tls_offered);
	assert_true(r.facts.upgrade_requested);
	assert_true(r.facts.upgrade_accepted);
	assert_true(r.facts.switch_to_tls);
	assert_true(r.facts.auth_cleartext_offered);
	assert_int_equal(r.facts.indicators, 0);
	assert_int_equal(r.facts.anomalies, 0);
	assert_int_equal(r.after_switch[DIR_C2S], 10);
	assert_int_equal(r.after_switch[DIR_S2C], 0);
	assert_string_equal(r.facts.capa, "starttls mechanisms SCRAM-SHA-1 PLAIN");
	assert_string_equal(r.facts.upgrade_reply, PROCEED);
	assert_string_equal(own(&r.facts), "starttls=required stream=c2s domain=tlswatch.test");
}

static void
test_xmpp_prefixes_double_quotes_and_whitespace_change_nothing(void **unused)
{
	/* Another prefix for the streams namespace, a prefixed TLS namespace,
	 * double quotes, whitespace between everything, a non-empty proceed. */
	const struct step t[] = {
		C("\n<s:stream xmlns:s=\"http://etherx.jabber.org/streams\" "
		  "xmlns=\"jabber:client\" "
		  "to=\"tlswatch.test\" >\n"),
		S("<s:stream xmlns:s='http://etherx.jabber.org/streams' xmlns='jabber:client'>\n"
		  "  <s:features>\n    <tls:starttls xmlns:tls=\"" TLS_NS
		  "\">\n      <tls:required/>"
		  "\n    </tls:starttls >\n  </s:features>\n"),
		C("  <tls:starttls xmlns:tls='" TLS_NS "' />  \r\n"),
		S("<tls:proceed xmlns:tls='" TLS_NS "'></tls:proceed>"),
		CB(CLIENT_HELLO),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_xmpp, t, N_STEPS(t), &r);
	assert_true(r.facts.tls_offered);
	assert_true(r.facts.switch_to_tls);
	assert_int_equal(r.facts.indicators, 0);
	assert_int_equal(r.after_switch[DIR_C2S], 10);
	assert_string_equal(own(&r.facts), "starttls=required stream=c2s domain=tlswatch.test");
}

static void
test_xmpp_server_bytes_after_proceed_go_to_the_core(void **unused)
{
	const struct step t[] = {
		C(C_HDR),
		S(S_HDR FEATURES(STARTTLS_OFFER)),
		C("<starttls xmlns='" TLS_NS "'/>"),
		S(PROCEED "<success xmlns='" SASL_NS "'/>"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_xmpp, t, N_STEPS(t), &r);
	assert_true(r.facts.switch_to_tls);
	assert_int_equal(r.after_switch[DIR_S2C], strlen("<success xmlns='" SASL_NS "'/>"));
	assert_string_equal(own(&r.facts), "starttls=optional stream=c2s domain=tlswatch.test");
}

static void
test_xmpp_plain_login_in_cleartext_succeeds_and_parsing_stops(void **unused)
{
	const struct step t[] = {
		C(C_HDR),
		S(S_HDR FEATURES(STARTTLS_OFFER)),
		C(AUTH_PLAIN(ALICE_PLAIN)),
		S(SUCCESS),
		C(C_HDR),
		S(S_HDR "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>"
			"</stream:features>"),
		C("<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>"
		  "<starttls xmlns='" TLS_NS "'/>"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_xmpp, t, N_STEPS(t), &r);
	assert_true(r.facts.tls_offered);
	assert_false(r.facts.upgrade_requested); /* after the login: not read */
	assert_int_equal(r.facts.n_logins, 1);
	assert_login(&r.facts, 0, "PLAIN", "alice", "AlicePass2024", true, LOGIN_SUCCESS);
	assert_true(r.facts.auth_cleartext_offered);
	assert_string_equal(r.facts.capa, "starttls mechanisms SCRAM-SHA-1 PLAIN");
}

static void
test_xmpp_a_success_without_an_exchange_does_not_stop_the_parser(void **unused)
{
	const struct step t[] = {
		C(C_HDR),
		S(S_HDR SUCCESS FEATURES(STARTTLS_OFFER)),
		C("<starttls xmlns='" TLS_NS "'/>"),
		S(PROCEED),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_xmpp, t, N_STEPS(t), &r);
	assert_true(r.facts.anomalies & PROTO_ANOM_BAD_SYNTAX);
	assert_true(r.facts.tls_offered);
	assert_true(r.facts.switch_to_tls);
	assert_int_equal(r.facts.n_logins, 0);
}

static void
test_xmpp_plain_failure_then_a_second_try_after_an_empty_challenge(void **unused)
{
	const struct step t[] = {
		C(C_HDR),
		S(S_HDR FEATURES("")),
		C(AUTH_PLAIN(ALICE_WRONG)),
		S("<failure xmlns='" SASL_NS "'><not-authorized/></failure>"),
		C("<auth xmlns='" SASL_NS "' mechanism='PLAIN'/>"),
		S("<challenge xmlns='" SASL_NS "'/>"),
		C("<response xmlns='" SASL_NS "'>AGFsaWNl\n  AEFsaWNlUGFz\nczIwMjQ=</response>"),
		S(SUCCESS),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_xmpp, t, N_STEPS(t), &r);
	assert_false(r.facts.tls_offered);
	assert_true(r.facts.capa_seen);
	assert_int_equal(r.facts.n_logins, 2);
	assert_login(&r.facts, 0, "PLAIN", "alice", "WrongPass999", true, LOGIN_FAILURE);
	assert_login(&r.facts, 1, "PLAIN", "alice", "AlicePass2024", true, LOGIN_SUCCESS);
	assert_string_equal(own(&r.facts), "stream=c2s domain=tlswatch.test");
}

static void
test_xmpp_challenge_response_mechanisms_name_the_user_without_a_secret(void **unused)
{
	const struct step digest[] = {
		C(C_HDR),
		S(S_HDR FEATURES("")),
		C("<auth xmlns='" SASL_NS
		  "' mechanism='DIGEST-MD5' xmlns:ga='http://www.google.com/"
		  "talk/protocol/auth' ga:client-uses-full-bind-result='true'/>"),
		S("<challenge xmlns='" SASL_NS "'>bm9uY2U9IjEiLHFvcD0iYXV0aCI=</challenge>"),
		C("<response xmlns='" SASL_NS "'>"
		  "dXNlcm5hbWU9InRvbSIscmVhbG09IngiLG5vbmNlPSIxIixjbm9u"
		  "Y2U9IjIiLG5jPTAwMDAwMDAxLHFvcD1hdX"
		  "RoLGRpZ2VzdC11cmk9InhtcHAveCIscmVzcG9uc2U9YWJj</response>"),
		S("<challenge xmlns='" SASL_NS "'>cnNwYXV0aD0x</challenge>"),
		C("<response xmlns='" SASL_NS "'/>"),
		S(SUCCESS),
	};
	const struct step scram[] = {
		C(C_HDR),
		S(S_HDR FEATURES("")),
		C("<auth xmlns='" SASL_NS "' mechanism='SCRAM-SHA-1'>"
		  "biwsbj1hbGljZSxyPWZ5a28rZDJsYmJGZ09OUnY5cWt4ZGF3TA==</auth>"),
		S("<challenge xmlns='" SASL_NS "'>cj1meWtv</challenge>"),
		C("<response xmlns='" SASL_NS "'>Yz1iaXdz</response>"),
		S("<failure xmlns='" SASL_NS "'><not-authorized/></failure>"),
	};
	const struct step oauth[] = {
		C(C_HDR),
		S(S_HDR FEATURES("")),
		C("<auth xmlns='" SASL_NS "' mechanism='X-OAUTH2'>"
		  "AGFsaWNlQHRsc3dhdGNoLnRlc3QAeWEyOS5BSEVTNlpSdG9rZW4=</auth>"),
		S(SUCCESS),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_xmpp, digest, N_STEPS(digest), &r);
	assert_login(&r.facts, 0, "DIGEST-MD5", "tom", "", false, LOGIN_SUCCESS);
	transcript_run(&proto_xmpp, scram, N_STEPS(scram), &r);
	assert_login(&r.facts, 0, "SCRAM-SHA-1", "alice", "", false, LOGIN_FAILURE);
	transcript_run(&proto_xmpp, oauth, N_STEPS(oauth), &r);
	assert_login(&r.facts, 0, "X-OAUTH2", "alice@tlswatch.test", "ya29.AHES6ZRtoken", true,
		     LOGIN_SUCCESS);
}

static void
test_xmpp_starttls_failure_or_a_stream_error_is_a_refusal(void **unused)
{
	const struct step t[] = {
		C(C_HDR),
		S(S_HDR FEATURES("")),
		C("<starttls xmlns='" TLS_NS "'/>"),
		S("<failure xmlns='" TLS_NS "'/></stream:stream>"),
		C(AUTH_PLAIN(ALICE_PLAIN)),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_xmpp, t, N_STEPS(t), &r);
	assert_true(r.facts.upgrade_requested);
	assert_true(r.facts.upgrade_refused);
	assert_false(r.facts.upgrade_accepted);
	assert_true(r.facts.cleartext_after_refusal);
	assert_true(r.facts.indicators & IND_UPGRADE_REFUSED);
	assert_evidence(&r.facts, "<failure xmlns='" TLS_NS "'/>");
	assert_string_equal(r.facts.upgrade_reply, "<failure xmlns='" TLS_NS "'/>");
	assert_login(&r.facts, 0, "PLAIN", "alice", "AlicePass2024", true, LOGIN_UNKNOWN);

	/* A server without mod_tls closes the stream instead. */
	const struct step closed[] = {
		C(C_HDR),
		S(S_HDR FEATURES("")),
		C("<starttls xmlns='" TLS_NS "'/>"),
		S("<stream:error><unsupported-stanza-type "
		  "xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
		  "</stream:error></stream:stream>"),
	};

	transcript_run(&proto_xmpp, closed, N_STEPS(closed), &r);
	assert_true(r.facts.upgrade_refused);
	assert_false(r.facts.cleartext_after_refusal);
	assert_evidence(&r.facts, "<stream:error>");
}

static void
test_xmpp_client_bytes_after_starttls_are_injection_unless_tls_or_whitespace(void **unused)
{
	const struct step injected[] = {
		C(C_HDR),
		S(S_HDR FEATURES(STARTTLS_OFFER)),
		C("<starttls xmlns='" TLS_NS "'/>" AUTH_PLAIN(ALICE_PLAIN)),
		S(PROCEED),
	};
	const struct step junk[] = {
		C(C_HDR),
		S(S_HDR FEATURES(STARTTLS_OFFER)),
		C("<starttls xmlns='" TLS_NS "'/>"),
		C("junk"),
		S(PROCEED),
	};
	const struct step ahead[] = {
		C(C_HDR),
		S(S_HDR FEATURES(STARTTLS_OFFER)),
		C("<starttls xmlns='" TLS_NS "'/>\r\n  "),
		CB(CLIENT_HELLO),
		S(PROCEED),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_xmpp, injected, N_STEPS(injected), &r);
	assert_true(r.facts.indicators & IND_CMD_INJECTION);
	assert_evidence(&r.facts, "<auth xmlns='" SASL_NS "' mechanism='PLAIN'>");
	assert_true(r.facts.switch_to_tls);
	assert_login(&r.facts, 0, "PLAIN", "alice", "AlicePass2024", true, LOGIN_UNKNOWN);

	transcript_run(&proto_xmpp, junk, N_STEPS(junk), &r);
	assert_true(r.facts.indicators & IND_CMD_INJECTION);
	assert_evidence(&r.facts, "junk");

	/* The client went ahead with TLS before the answer was captured. */
	transcript_run(&proto_xmpp, ahead, N_STEPS(ahead), &r);
	assert_int_equal(r.facts.indicators, 0);
	assert_true(r.facts.upgrade_accepted);
	assert_true(r.facts.switch_to_tls);
	assert_int_equal(r.after_switch[DIR_C2S], 10);
	assert_int_equal(r.after_switch[DIR_S2C], strlen(PROCEED));
}

static void
test_xmpp_masked_starttls_feature_and_command_are_flagged(void **unused)
{
	const struct step name[] = {
		C(C_HDR),
		S(S_HDR "<stream:features><XXXXXXXX xmlns='" TLS_NS "'><required/></XXXXXXXX>"
			"</stream:features>"),
	};
	const struct step ns[] = {
		C(C_HDR),
		S(S_HDR "<stream:features><starttls xmlns='XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX'/>"
			"</stream:features>"),
	};
	const struct step command[] = {
		C(C_HDR),
		S(S_HDR FEATURES(STARTTLS_OFFER)),
		C("<XXXXXXXX xmlns='" TLS_NS "'/>"),
		S("<stream:error><unsupported-stanza-type "
		  "xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
		  "</stream:error>"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_xmpp, name, N_STEPS(name), &r);
	assert_true(r.facts.indicators & IND_CAPA_MASKED);
	assert_false(r.facts.tls_offered);
	assert_evidence(&r.facts, "<XXXXXXXX xmlns='" TLS_NS "'>");
	assert_string_equal(own(&r.facts), "stream=c2s domain=tlswatch.test");

	transcript_run(&proto_xmpp, ns, N_STEPS(ns), &r);
	assert_true(r.facts.indicators & IND_CAPA_MASKED);
	assert_false(r.facts.tls_offered);

	transcript_run(&proto_xmpp, command, N_STEPS(command), &r);
	assert_true(r.facts.indicators & IND_CMD_MASKED);
	assert_false(r.facts.upgrade_requested);
	assert_evidence(&r.facts, "<XXXXXXXX xmlns='" TLS_NS "'/>");
}

static void
test_xmpp_iq_auth_password_and_digest_logins_get_their_answer_by_id(void **unused)
{
	const struct step password[] = {
		C(C_HDR),
		S(S_HDR),
		C("<iq type='get' id='a1'><query xmlns='jabber:iq:auth'><username>alice</username>"
		  "</query></iq>"),
		S("<iq type='result' id='a1'><query xmlns='jabber:iq:auth'><username/><password/>"
		  "<resource/></query></iq>"),
		C("<iq type='set' id='a2'><query xmlns='jabber:iq:auth'><username>alice</username>"
		  "<password>AlicePass2024</password><resource>lab</resource></query></iq>"),
		S("<iq type='result' id='a1'/>"), /* not its id */
		S("<iq type='result' id='a2'/>"),
	};
	const struct step digest[] = {
		C(C_HDR),
		S(S_HDR),
		C("<iq type='set' id='d1'><query xmlns='jabber:iq:auth'><username>bob</username>"
		  "<digest>48fc78be9ec8f86d8ce1c39c320c97c21d62334d</digest><resource>x</resource>"
		  "</query></iq>"),
		S("<iq type='error' id='d1'><error code='401' type='auth'><not-authorized "
		  "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_xmpp, password, N_STEPS(password), &r);
	assert_int_equal(r.facts.n_logins, 1);
	assert_login(&r.facts, 0, "IQ-AUTH", "alice", "AlicePass2024", true, LOGIN_SUCCESS);
	transcript_run(&proto_xmpp, digest, N_STEPS(digest), &r);
	assert_login(&r.facts, 0, "IQ-AUTH", "bob", "", false, LOGIN_FAILURE);
}

static void
test_xmpp_a_server_to_server_stream_is_named(void **unused)
{
	const struct step t[] = {
		C("<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/"
		  "streams' xmlns:db='jabber:server:dialback' from='a.example' to='b.example' "
		  "version='1.0'>"),
		S("<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/"
		  "streams' from='b.example' version='1.0'>" FEATURES(STARTTLS_OFFER)),
		C("<db:result from='a.example' to='b.example'>ab12cd</db:result>"),
	};
	struct replay_result r;

	(void)unused;
	transcript_run(&proto_xmpp, t, N_STEPS(t), &r);
	assert_true(r.facts.tls_offered);
	assert_int_equal(r.facts.n_logins, 0);
	assert_string_equal(own(&r.facts), "starttls=optional stream=s2s domain=b.example");
}

static void
test_xmpp_sniff_tells_stream_headers(void **unused)
{
	static const char *const strong[] = {
		C_HDR,
		S_HDR,
		"<stream:stream to='x'>",
		"\r\n<stream:stream>",
		"<x:stream xmlns:x='http://etherx.jabber.org/streams' to='a'>",
		"<stream xmlns='http://etherx.jabber.org/streams'>",
	};
	static const char *const more[] = {
		"<?xm",
		"<?xml version='1.0' ?>",
		"<?xml version='1.0'?><stream:str",
		"<x:stream xmlns:x='http://etherx",
		"  ",
	};
	static const char *const no[] = {
		"<?xml version='1.0'?><html>",
		"<x:stream xmlns:x='urn:other'>",
		"<iq type='get'>",
		"220 mail ESMTP\r\n",
		"GET / HTTP/1.1\r\n",
		"<stream:streams>",
	};

	(void)unused;
	for (size_t i = 0; i < sizeof(strong) / sizeof(strong[0]); i++)
		assert_int_equal(proto_xmpp.sniff((enum dir)(i & 1), (const uint8_t *)strong[i],
						  strlen(strong[i])),
				 SNIFF_STRONG);
	for (size_t i = 0; i < sizeof(more) / sizeof(more[0]); i++)
		assert_int_equal(
			proto_xmpp.sniff(DIR_C2S, (const uint8_t *)more[i], strlen(more[i])),
			SNIFF_MORE);
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		assert_int_equal(proto_xmpp.sniff(DIR_S2C, (const uint8_t *)no[i], strlen(no[i])),
				 SNIFF_NO);
}

static void
test_xmpp_junk_and_truncated_input_never_crash(void **unused)
{
	static const char *const junk[] = {
		"<",
		"<stream:features><starttls",
		"<auth xmlns='" SASL_NS "'>",
		"<auth xmlns='" SASL_NS "' mechanism='PLAIN'>!!!!</auth>",
		"<proceed xmlns='" TLS_NS "'/>",
		"<failure xmlns='" TLS_NS "'/>",
		"<success xmlns='" SASL_NS "'/>",
		"</stream:stream></x></y>",
		"<!DOCTYPE x [<!ENTITY a 'b'>]>&a;",
		"<a b='<'>\x16\x03",
		"<![CDATA[",
	};
	struct replay_result r;

	(void)unused;
	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		const struct step t[] = {C(junk[i]),
					 S(S_HDR),
					 S(junk[i]),
					 C(junk[i]),
					 C("<starttls xmlns='" TLS_NS "'/>"),
					 S(junk[i]),
					 C(junk[i])};

		transcript_run(&proto_xmpp, t, N_STEPS(t), &r);
		assert_true(r.facts.n_logins <= LOGIN_MAX);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_xmpp_starttls_required_and_accepted_hands_the_client_hello_to_tls),
		cmocka_unit_test(test_xmpp_prefixes_double_quotes_and_whitespace_change_nothing),
		cmocka_unit_test(test_xmpp_server_bytes_after_proceed_go_to_the_core),
		cmocka_unit_test(test_xmpp_plain_login_in_cleartext_succeeds_and_parsing_stops),
		cmocka_unit_test(test_xmpp_a_success_without_an_exchange_does_not_stop_the_parser),
		cmocka_unit_test(
			test_xmpp_plain_failure_then_a_second_try_after_an_empty_challenge),
		cmocka_unit_test(
			test_xmpp_challenge_response_mechanisms_name_the_user_without_a_secret),
		cmocka_unit_test(test_xmpp_starttls_failure_or_a_stream_error_is_a_refusal),
		cmocka_unit_test(
			test_xmpp_client_bytes_after_starttls_are_injection_unless_tls_or_whitespace),
		cmocka_unit_test(test_xmpp_masked_starttls_feature_and_command_are_flagged),
		cmocka_unit_test(
			test_xmpp_iq_auth_password_and_digest_logins_get_their_answer_by_id),
		cmocka_unit_test(test_xmpp_a_server_to_server_stream_is_named),
		cmocka_unit_test(test_xmpp_sniff_tells_stream_headers),
		cmocka_unit_test(test_xmpp_junk_and_truncated_input_never_crash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
