/*
 * fuzz_cert.c - libFuzzer target for the server's Certificate message
 * (src/tls/cert.c, tls_cert_parse and tls_cert_names_match in tls.h): X.509
 * from anyone on the wire, through libcrypto. Beyond "no crash, no read
 * outside the body": the state is READ or BAD, the texts are printable
 * and NUL-terminated, no more certificates are hashed than the chain has
 * (nor than TLS_CERT_HASHED), every name kept matches itself, and a parse
 * is deterministic.
 *
 * Input, by the first byte m (m % 2):
 *   0  [m][body]: body is a Certificate message body (certificate_list);
 *   1  [m][der]: der is one certificate, wrapped into a message of one
 *      (so mutations reach the X.509 parser without breaking the framing).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invariants.h"
#include "tls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A name of the form [*.]label(.label)*, labels of [a-z0-9-]. */
static bool
fuzz_plain_name(const char *n)
{
	bool label = false;

	if (n[0] == '*' && n[1] == '.')
		n += 2;
	for (; *n; n++) {
		if (*n == '.') {
			if (!label)
				return false;
			label = false;
		} else if ((*n >= 'a' && *n <= 'z') || (*n >= '0' && *n <= '9') || *n == '-') {
			label = true;
		} else {
			return false;
		}
	}
	return label;
}

/* Each plain name kept must match itself (a wildcard: a host one label
 * under it). */
static void
fuzz_check_names(const struct tls_cert *c)
{
	char names[TLS_CERT_NAMES], *save = NULL;

	memcpy(names, c->names, sizeof(names));
	for (char *n = strtok_r(names, ",", &save); n; n = strtok_r(NULL, ",", &save)) {
		char host[TLS_CERT_NAMES + 2];

		if (!fuzz_plain_name(n))
			continue;
		snprintf(host, sizeof(host), "%s%s", n[0] == '*' ? "a" : "",
			 n[0] == '*' ? n + 1 : n);
		if (!tls_cert_names_match(c, host))
			fuzz_fail("a kept name does not match itself");
	}
}

static void
fuzz_parse(const uint8_t *p, size_t len)
{
	uint8_t *body = malloc(len ? len : 1);
	struct tls_cert a, b;

	if (!body)
		abort();
	if (len)
		memcpy(body, p, len);
	tls_cert_parse(&a, body, len);
	tls_cert_parse(&b, body, len);
	free(body);
	if (memcmp(&a, &b, sizeof(a)) != 0)
		fuzz_fail("parse is not deterministic");
	if (a.state != TLS_CERT_READ && a.state != TLS_CERT_BAD)
		fuzz_fail("state");
	if (a.hashed > TLS_CERT_HASHED || a.hashed > a.chain)
		fuzz_fail("hashed");
	fuzz_check_text(a.subject, sizeof(a.subject), "subject");
	fuzz_check_text(a.issuer, sizeof(a.issuer), "issuer");
	fuzz_check_text(a.names, sizeof(a.names), "names");
	fuzz_check_text(a.key, sizeof(a.key), "key");
	if (a.state == TLS_CERT_READ)
		fuzz_check_names(&a);
	else if (tls_cert_names_match(&a, "example.test"))
		fuzz_fail("an unreadable certificate matches a name");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *msg;
	size_t n;

	if (size < 1)
		return 0;
	if (data[0] % 2 == 0) {
		fuzz_parse(data + 1, size - 1);
		return 0;
	}
	n = size - 1;
	if (n > 0xffff)
		return 0;
	msg = malloc(n + 6);
	if (!msg)
		abort();
	msg[0] = 0;
	msg[1] = (uint8_t)((n + 3) >> 8);
	msg[2] = (uint8_t)(n + 3);
	msg[3] = 0;
	msg[4] = (uint8_t)(n >> 8);
	msg[5] = (uint8_t)n;
	memcpy(msg + 6, data + 1, n);
	fuzz_parse(msg, n + 6);
	free(msg);
	return 0;
}

#include "standalone.h"
