/*
 * test_sasl.c - base64, login field sanitising and SASL client responses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sasl.h"

#define BYTES(s) (const uint8_t *)(s), (sizeof(s) - 1)

static void
test_sasl_base64_decodes_the_rfc4648_vectors(void **unused)
{
	static const struct {
		const char *in, *out;
	} v[] = {
		{"", ""},
		{"Zg==", "f"},
		{"Zm8=", "fo"},
		{"Zm9v", "foo"},
		{"Zm9vYg==", "foob"},
		{"Zm9vYmE=", "fooba"},
		{"Zm9vYmFy", "foobar"},
	};
	uint8_t out[16];
	size_t n;

	(void)unused;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		assert_true(sasl_base64_decode((const uint8_t *)v[i].in, strlen(v[i].in), out,
					       sizeof(out), &n));
		assert_int_equal(n, strlen(v[i].out));
		assert_memory_equal(out, v[i].out, n);
	}
}

static void
test_sasl_base64_accepts_missing_padding(void **unused)
{
	uint8_t out[16];
	size_t n;

	(void)unused;
	assert_true(sasl_base64_decode(BYTES("Zm9vYg"), out, sizeof(out), &n));
	assert_int_equal(n, 4);
	assert_memory_equal(out, "foob", 4);
}

static void
test_sasl_base64_rejects_bad_input(void **unused)
{
	uint8_t out[16];
	size_t n;

	(void)unused;
	assert_false(sasl_base64_decode(BYTES("Zm9v!"), out, sizeof(out), &n));
	assert_false(sasl_base64_decode(BYTES("Zg==Zg=="), out, sizeof(out), &n));
	assert_false(sasl_base64_decode(BYTES("Z"), out, sizeof(out), &n));
	assert_false(sasl_base64_decode(BYTES("Zg==="), out, sizeof(out), &n));
	assert_false(sasl_base64_decode(BYTES("Zg="), out, sizeof(out), &n));
	assert_false(sasl_base64_decode(BYTES("Zm9v YmFy"), out, sizeof(out), &n));
}

static void
test_sasl_base64_never_writes_past_the_output(void **unused)
{
	uint8_t out[4] = {0};
	size_t n;

	(void)unused;
	assert_false(sasl_base64_decode(BYTES("Zm9vYmFy"), out, 2, &n));
	assert_int_equal(n, 2);
	assert_int_equal(out[2], 0);
}

static void
test_sasl_fields_are_cut_and_nonprintables_replaced(void **unused)
{
	char dst[8];
	uint8_t raw[] = {'a', 0, 'b', '\r', '\n', 0xc3, 0xa9};

	(void)unused;
	sasl_field_set(dst, sizeof(dst), raw, sizeof(raw));
	assert_string_equal(dst, "a?b????");
	/* A cut value ends in "..." (hardening finding 10: it was cut at 63
	 * bytes with no marker), whole or in pieces alike. */
	sasl_field_set(dst, sizeof(dst), BYTES("abcdefghijkl"));
	assert_string_equal(dst, "abcd...");
	sasl_field_set(dst, sizeof(dst), BYTES("ab"));
	sasl_field_append(dst, sizeof(dst), BYTES("cdefghij"));
	assert_string_equal(dst, "abcd...");
	sasl_field_set(dst, sizeof(dst), BYTES("abcdef"));
	sasl_field_append(dst, sizeof(dst), BYTES("g"));
	assert_string_equal(dst, "abcdefg"); /* exactly full: not cut */
	sasl_field_append(dst, sizeof(dst), BYTES("h"));
	assert_string_equal(dst, "abcd...");
	sasl_field_append(dst, sizeof(dst), BYTES("i"));
	assert_string_equal(dst, "abcd...");
	sasl_field_set(NULL, 0, BYTES("x")); /* no crash */
}

static void
test_sasl_mechanism_names_are_uppercased_and_cut(void **unused)
{
	char name[16];

	(void)unused;
	assert_int_equal(sasl_mech_parse(BYTES("plain"), name, sizeof(name)), SASL_MECH_PLAIN);
	assert_string_equal(name, "PLAIN");
	assert_int_equal(sasl_mech_parse(BYTES("Cram-MD5"), name, sizeof(name)),
			 SASL_MECH_CRAM_MD5);
	assert_string_equal(name, "CRAM-MD5");
	assert_int_equal(sasl_mech_parse(BYTES("SCRAM-SHA-256-PLUS"), name, sizeof(name)),
			 SASL_MECH_SCRAM);
	assert_string_equal(name, "SCRAM-SHA-25...");
	assert_int_equal(sasl_mech_parse(BYTES("scram-sha-1"), name, sizeof(name)),
			 SASL_MECH_SCRAM);
	assert_string_equal(name, "SCRAM-SHA-1");
	assert_int_equal(sasl_mech_parse(BYTES("digest-md5"), name, sizeof(name)),
			 SASL_MECH_DIGEST_MD5);
	assert_string_equal(name, "DIGEST-MD5");
	assert_int_equal(sasl_mech_parse(BYTES("SCRAM"), name, sizeof(name)), SASL_MECH_OTHER);
	assert_int_equal(sasl_mech_parse(BYTES("NTLM"), name, sizeof(name)), SASL_MECH_OTHER);
}

static void
test_sasl_plain_gives_authcid_and_password(void **unused)
{
	struct login l = {0};

	(void)unused;
	assert_true(sasl_plain_parse(BYTES("admin\0alice\0s3cr3t"), &l));
	assert_string_equal(l.username, "alice");
	assert_string_equal(l.secret, "s3cr3t");
	assert_true(l.has_secret);
	assert_false(sasl_plain_parse(BYTES("alice\0s3cr3t"), &l));
	assert_false(sasl_plain_parse(BYTES(""), &l));
	assert_true(sasl_plain_parse(BYTES("\0bob\0"), &l));
	assert_string_equal(l.username, "bob");
	assert_string_equal(l.secret, "");
}

static void
test_sasl_plain_response_is_decoded(void **unused)
{
	struct sasl_exchange x;
	struct login l = {0};

	(void)unused;
	sasl_exchange_start(&x, SASL_MECH_PLAIN);
	assert_true(sasl_exchange_response(&x, &l, BYTES("AGFsaWNlAHMzY3IzdA==")));
	assert_string_equal(l.username, "alice");
	assert_string_equal(l.secret, "s3cr3t");
	assert_true(l.has_secret);
}

static void
test_sasl_login_takes_username_then_password(void **unused)
{
	struct sasl_exchange x;
	struct login l = {0};

	(void)unused;
	sasl_exchange_start(&x, SASL_MECH_LOGIN);
	assert_true(sasl_exchange_response(&x, &l, BYTES("YWxpY2U=")));
	assert_string_equal(l.username, "alice");
	assert_false(l.has_secret);
	assert_true(sasl_exchange_response(&x, &l, BYTES("czNjcjN0")));
	assert_string_equal(l.secret, "s3cr3t");
	assert_true(l.has_secret);
}

static void
test_sasl_cram_md5_gives_a_username_and_no_secret(void **unused)
{
	struct sasl_exchange x;
	struct login l = {0};

	(void)unused;
	sasl_exchange_start(&x, SASL_MECH_CRAM_MD5);
	assert_true(sasl_exchange_response(
		&x, &l, BYTES("YWxpY2UgM2RiYzg4ZjA2MjQ3NzZhNzM3YjM5MDkzZjZlYjY0Mjc=")));
	assert_string_equal(l.username, "alice");
	assert_false(l.has_secret);
	assert_string_equal(l.secret, "");
}

static void
test_sasl_xoauth2_gives_user_and_bearer_token(void **unused)
{
	struct sasl_exchange x;
	struct login l = {0};

	(void)unused;
	sasl_exchange_start(&x, SASL_MECH_XOAUTH2);
	assert_true(sasl_exchange_response(
		&x, &l, BYTES("dXNlcj1hbGljZUBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnRvawEB")));
	assert_string_equal(l.username, "alice@example.com");
	assert_string_equal(l.secret, "ya29.tok");
	assert_true(l.has_secret);
	/* The empty response after a failure changes nothing. */
	assert_true(sasl_exchange_response(&x, &l, BYTES("")));
	assert_string_equal(l.username, "alice@example.com");
}

static void
test_sasl_oauthbearer_takes_the_user_from_the_gs2_header(void **unused)
{
	struct sasl_exchange x;
	struct login l = {0};

	(void)unused;
	sasl_exchange_start(&x, SASL_MECH_OAUTHBEARER);
	assert_true(sasl_exchange_response(
		&x, &l,
		BYTES("bixhPWJvYkBleGFtcGxlLmNvbSwBaG9zdD1tYWlsAXBvcnQ9MTQzAWF1dGg9QmVhcmVyIHRvaz"
		      "EyMwEB")));
	assert_string_equal(l.username, "bob@example.com");
	assert_string_equal(l.secret, "tok123");
	assert_true(l.has_secret);
}

static void
test_sasl_oauthbearer_user_escapes_are_decoded_and_an_empty_token_is_no_secret(void **unused)
{
	struct sasl_exchange x;
	struct login l = {0};

	(void)unused;
	/* n,a=a=3Db=2Cc@example.com,^Ahost=mail^Aauth=Bearer ^A^A */
	sasl_exchange_start(&x, SASL_MECH_OAUTHBEARER);
	assert_true(sasl_exchange_response(
		&x, &l,
		BYTES("bixhPWE9M0RiPTJDY0BleGFtcGxlLmNvbSwBaG9zdD1tYWlsAWF1dGg9QmVhcmVyIAEB")));
	assert_string_equal(l.username, "a=b,c@example.com");
	assert_string_equal(l.secret, "");
	assert_false(l.has_secret);
}

/* charset=utf-8,username="ch\"ris",realm="elwood",nonce=...,response=...,qop=auth */
#define DIGEST_RESPONSE                                                                            \
	"Y2hhcnNldD11dGYtOCx1c2VybmFtZT0iY2hcInJpcyIscmVhbG09ImVsd29vZCIsbm9uY2U9Ik9BNk1HOXRFUUdt" \
	"MmhoIixuYz0wMDAwMDAwMSxjbm9uY2U9Ik9BNk1IWGg2VnFUclJrIixkaWdlc3QtdXJpPSJpbWFwL2Vsd29vZCIs" \
	"cmVzcG9uc2U9ZDM4OGRhZDkwZDRiYmQ3NjBhMTUyMzIxZjIxNDNhZjcscW9wPWF1dGg="

static void
test_sasl_digest_md5_gives_the_quoted_username_and_no_secret(void **unused)
{
	struct sasl_exchange x;
	struct login l = {0};

	(void)unused;
	sasl_exchange_start(&x, SASL_MECH_DIGEST_MD5);
	assert_true(sasl_exchange_response(&x, &l, BYTES(DIGEST_RESPONSE)));
	assert_string_equal(l.username, "ch\"ris");
	assert_false(l.has_secret);
	/* The empty answer to rspauth changes nothing. */
	assert_true(sasl_exchange_response(&x, &l, BYTES("")));
	assert_string_equal(l.username, "ch\"ris");
	assert_string_equal(l.secret, "");
}

static void
test_sasl_digest_md5_skips_directives_that_only_end_in_username(void **unused)
{
	struct sasl_exchange x;
	struct login l = {0};

	(void)unused;
	/* xusername="evil", username=bob,realm=x */
	sasl_exchange_start(&x, SASL_MECH_DIGEST_MD5);
	assert_true(sasl_exchange_response(
		&x, &l, BYTES("eHVzZXJuYW1lPSJldmlsIiwgdXNlcm5hbWU9Ym9iLHJlYWxtPXg=")));
	assert_string_equal(l.username, "bob");
	/* No username at all: the mechanism is recorded, nothing else. */
	memset(&l, 0, sizeof(l));
	sasl_exchange_start(&x, SASL_MECH_DIGEST_MD5);
	assert_true(sasl_exchange_response(&x, &l, BYTES("cmVhbG09Ingi"))); /* realm="x" */
	assert_string_equal(l.username, "");
}

static void
test_sasl_scram_gives_the_unescaped_username_and_no_secret(void **unused)
{
	struct sasl_exchange x;
	struct login l = {0};

	(void)unused;
	/* n,,n=us=2Cer=3Dx,r=rOprNGfwEbeRWgbNEkqO */
	sasl_exchange_start(&x, SASL_MECH_SCRAM);
	assert_true(sasl_exchange_response(
		&x, &l, BYTES("biwsbj11cz0yQ2VyPTNEeCxyPXJPcHJOR2Z3RWJlUldnYk5Fa3FP")));
	assert_string_equal(l.username, "us,er=x");
	assert_false(l.has_secret);
	/* The client-final message (c=biws,r=...,p=proof) names no user. */
	assert_true(sasl_exchange_response(
		&x, &l,
		BYTES("Yz1iaXdzLHI9ck9wck5HZndFYmVSV2diTkVrcU8laHZZRHBXVWEyUmFUQ0FmdXhGSWxqKWhO"
		      "bEYkazAscD1kSHpiWmFwV0lrNGpVaE4rVXRlOXl0YWc5empmTUhnc3FtbWl6N0FuZFZRPQ==")));
	assert_string_equal(l.username, "us,er=x");
	assert_string_equal(l.secret, "");
}

static void
test_sasl_scram_user_is_the_n_attribute_not_the_authzid(void **unused)
{
	struct sasl_exchange x;
	struct login l = {0};

	(void)unused;
	/* n,a=adm=2Cin,n=bob,r=fyko */
	sasl_exchange_start(&x, SASL_MECH_SCRAM);
	assert_true(sasl_exchange_response(&x, &l, BYTES("bixhPWFkbT0yQ2luLG49Ym9iLHI9Znlrbw==")));
	assert_string_equal(l.username, "bob");
}

static void
test_sasl_exchange_line_cancels_on_star_and_reads_whole_quanta_of_a_cut_line(void **unused)
{
	struct proto_facts f = {0};
	struct sasl_exchange x;
	int login;

	(void)unused;
	login = sasl_exchange_begin(&x, &f, BYTES("login"));
	assert_int_equal(login, 0);
	assert_string_equal(f.logins[0].mechanism, "LOGIN");
	assert_false(sasl_exchange_line(&x, &f, login, BYTES("*"), false));
	assert_string_equal(f.logins[0].username, "");
	/* "YWxpY2U=" is alice; cut after "YWxpY2" the first quantum "ali" is read. */
	login = sasl_exchange_begin(&x, &f, BYTES("LOGIN"));
	assert_true(sasl_exchange_line(&x, &f, login, BYTES("YWxpY2"), true));
	assert_string_equal(f.logins[1].username, "ali");
	assert_int_equal(f.anomalies, 0);
	login = sasl_exchange_begin(&x, &f, BYTES("LOGIN"));
	assert_true(sasl_exchange_line(&x, &f, login, BYTES("YWxpY"), false));
	assert_true(f.anomalies & PROTO_ANOM_BAD_SYNTAX);
	login = sasl_exchange_begin(&x, &f, BYTES("Plain"));
	assert_true(sasl_exchange_line(&x, &f, login, BYTES("AGFsaWNlAHMzY3IzdA=="), false));
	assert_string_equal(f.logins[3].mechanism, "PLAIN");
	assert_string_equal(f.logins[3].username, "alice");
	assert_true(f.logins[3].has_secret);
}

static void
test_sasl_exchange_past_login_max_is_counted_and_still_read(void **unused)
{
	struct proto_facts f = {0};
	struct sasl_exchange x;
	int login = 0;

	(void)unused;
	for (int i = 0; i <= LOGIN_MAX; i++)
		login = sasl_exchange_begin(&x, &f, BYTES("PLAIN"));
	assert_int_equal(login, -1);
	assert_int_equal(f.n_logins, LOGIN_MAX);
	assert_int_equal(f.logins_dropped, 1);
	assert_true(sasl_exchange_line(&x, &f, login, BYTES("AGFsaWNlAHMzY3IzdA=="), false));
	assert_true(sasl_exchange_line(&x, &f, login, BYTES("!!"), false));
	assert_true(f.anomalies & PROTO_ANOM_BAD_SYNTAX);
}

static void
test_sasl_bad_base64_is_reported_and_a_null_login_is_fine(void **unused)
{
	struct sasl_exchange x;

	(void)unused;
	sasl_exchange_start(&x, SASL_MECH_PLAIN);
	assert_false(sasl_exchange_response(&x, NULL, BYTES("not base64!")));
	sasl_exchange_start(&x, SASL_MECH_PLAIN);
	assert_true(sasl_exchange_response(&x, NULL, BYTES("AGFsaWNlAHMzY3IzdA==")));
	sasl_exchange_start(&x, SASL_MECH_PLAIN);
	assert_false(sasl_exchange_response(&x, NULL, BYTES("="))); /* empty: no NULs */
	sasl_exchange_start(&x, SASL_MECH_OTHER);
	assert_true(sasl_exchange_response(&x, NULL, BYTES("=")));
	sasl_exchange_start(&x, SASL_MECH_SCRAM);
	assert_true(sasl_exchange_response(&x, NULL, BYTES("biwsbj1hbGljZSxyPWFiY2RlZg==")));
	sasl_exchange_start(&x, SASL_MECH_DIGEST_MD5);
	assert_true(sasl_exchange_response(&x, NULL, BYTES(DIGEST_RESPONSE)));
}

static void
test_sasl_long_responses_are_read_in_bounds(void **unused)
{
	static uint8_t b64[4000];
	struct sasl_exchange x;
	struct login l = {0};

	(void)unused;
	memset(b64, 'Q', sizeof(b64)); /* "QQQQ" decodes to 0x41 0x04 0x10 */
	sasl_exchange_start(&x, SASL_MECH_LOGIN);
	assert_true(sasl_exchange_response(&x, &l, b64, sizeof(b64)));
	assert_int_equal(strlen(l.username), LOGIN_FIELD_MAX - 1);
}

static void
test_sasl_exchange_wants_the_responses_a_mechanism_may_pipeline(void **unused)
{
	struct proto_facts f = {0};
	struct sasl_exchange x;
	bool prompted = true;
	int login;

	(void)unused;
	/* PLAIN: one message unasked, none after an initial response. */
	login = sasl_exchange_begin(&x, &f, BYTES("PLAIN"));
	assert_true(sasl_exchange_wants_line(&x, &prompted));
	assert_false(prompted);
	assert_true(sasl_exchange_line(&x, &f, login, BYTES("AGFsaWNlAHMzY3IzdA=="), false));
	assert_false(sasl_exchange_wants_line(&x, NULL));
	sasl_exchange_prompt(&x); /* the 334 the client did not wait for */
	assert_false(sasl_exchange_wants_line(&x, NULL));
	login = sasl_exchange_begin(&x, &f, BYTES("PLAIN"));
	assert_true(sasl_exchange_initial(&x, &f, login, BYTES("AGFsaWNlAHMzY3IzdA=="), false));
	assert_false(sasl_exchange_wants_line(&x, NULL));
	/* A server asking for more still gets the next line, as asked for. */
	sasl_exchange_prompt(&x);
	assert_true(sasl_exchange_wants_line(&x, &prompted));
	assert_true(prompted);
	/* LOGIN: user name and password unasked; one after an initial user name. */
	login = sasl_exchange_begin(&x, &f, BYTES("LOGIN"));
	assert_true(sasl_exchange_wants_line(&x, NULL));
	sasl_exchange_skip(&x); /* read as a command */
	assert_true(sasl_exchange_wants_line(&x, &prompted));
	assert_false(prompted);
	assert_true(sasl_exchange_line(&x, &f, login, BYTES("czNjcjN0"), false));
	assert_false(sasl_exchange_wants_line(&x, NULL));
	assert_string_equal(f.logins[2].secret, "s3cr3t");
	assert_true(f.logins[2].has_secret);
	/* CRAM-MD5: nothing before the server's challenge. */
	sasl_exchange_begin(&x, &f, BYTES("CRAM-MD5"));
	assert_false(sasl_exchange_wants_line(&x, NULL));
	sasl_exchange_prompt(&x);
	assert_true(sasl_exchange_wants_line(&x, &prompted));
	assert_true(prompted);
	/* Ended by the server, or cancelled: nothing more, even when asked. */
	sasl_exchange_end(&x);
	assert_false(sasl_exchange_wants_line(&x, NULL));
	sasl_exchange_prompt(&x);
	assert_false(sasl_exchange_wants_line(&x, NULL));
	sasl_exchange_start(&x, SASL_MECH_LOGIN);
	assert_false(sasl_exchange_line(&x, &f, -1, BYTES("*"), false));
	assert_false(sasl_exchange_wants_line(&x, NULL));
	/* A zeroed exchange was never started. */
	memset(&x, 0, sizeof(x));
	assert_false(sasl_exchange_wants_line(&x, NULL));
}

static void
test_sasl_line_is_response_takes_base64_star_and_equals_only(void **unused)
{
	(void)unused;
	assert_true(sasl_line_is_response(BYTES("AGFsaWNlAHMzY3IzdA=="), false));
	assert_true(sasl_line_is_response(BYTES("*"), false));
	assert_true(sasl_line_is_response(BYTES("="), false));
	assert_true(sasl_line_is_response(BYTES(""), false));
	assert_false(sasl_line_is_response(BYTES("MAIL FROM:<a@b>"), false));
	assert_false(sasl_line_is_response(BYTES("a2 LOGIN bob pw"), false));
	assert_false(sasl_line_is_response(BYTES("YWxpY"), false));
	assert_true(sasl_line_is_response(BYTES("YWxpY"), true)); /* cut: whole quanta */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sasl_base64_decodes_the_rfc4648_vectors),
		cmocka_unit_test(test_sasl_base64_accepts_missing_padding),
		cmocka_unit_test(test_sasl_base64_rejects_bad_input),
		cmocka_unit_test(test_sasl_base64_never_writes_past_the_output),
		cmocka_unit_test(test_sasl_fields_are_cut_and_nonprintables_replaced),
		cmocka_unit_test(test_sasl_mechanism_names_are_uppercased_and_cut),
		cmocka_unit_test(test_sasl_plain_gives_authcid_and_password),
		cmocka_unit_test(test_sasl_plain_response_is_decoded),
		cmocka_unit_test(test_sasl_login_takes_username_then_password),
		cmocka_unit_test(test_sasl_cram_md5_gives_a_username_and_no_secret),
		cmocka_unit_test(test_sasl_xoauth2_gives_user_and_bearer_token),
		cmocka_unit_test(test_sasl_oauthbearer_takes_the_user_from_the_gs2_header),
		cmocka_unit_test(
			test_sasl_oauthbearer_user_escapes_are_decoded_and_an_empty_token_is_no_secret),
		cmocka_unit_test(test_sasl_digest_md5_gives_the_quoted_username_and_no_secret),
		cmocka_unit_test(test_sasl_digest_md5_skips_directives_that_only_end_in_username),
		cmocka_unit_test(test_sasl_scram_gives_the_unescaped_username_and_no_secret),
		cmocka_unit_test(test_sasl_scram_user_is_the_n_attribute_not_the_authzid),
		cmocka_unit_test(
			test_sasl_exchange_line_cancels_on_star_and_reads_whole_quanta_of_a_cut_line),
		cmocka_unit_test(test_sasl_exchange_past_login_max_is_counted_and_still_read),
		cmocka_unit_test(test_sasl_bad_base64_is_reported_and_a_null_login_is_fine),
		cmocka_unit_test(test_sasl_long_responses_are_read_in_bounds),
		cmocka_unit_test(test_sasl_exchange_wants_the_responses_a_mechanism_may_pipeline),
		cmocka_unit_test(test_sasl_line_is_response_takes_base64_star_and_equals_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
