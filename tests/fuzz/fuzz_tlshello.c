/*
 * fuzz_tlshello.c - libFuzzer target for the hello messages alone
 * (src/tls/hello.c, tls_hello.h), the entry points DTLS and QUIC call with a
 * message body they framed themselves. Beyond "no crash, no read outside the
 * body": the result fits the message (a ClientHello is never RETRY or
 * ENCRYPTED, ENCRYPTED means a 1.3 ServerHello, MALFORMED sets the anomaly
 * and a malformed ServerHello records nothing else), strings are printable,
 * a parse is deterministic, and a ClientHello read as TLS gives the facts of
 * the same ClientHello read as DTLS with an empty cookie.
 *
 * Input, by the first byte m (m % 5):
 *   0, 1  the whole input is a conversation in the [ctl][len][bytes] format
 *         of fuzz_tls (so the stream seeds of the captures apply): each
 *         direction's bytes are joined, and the hellos inside its TLS
 *         handshake records (a message within one record) are parsed as TLS;
 *   2, 3, 4  [m][flags][body]: body is one ClientHello, ServerHello or
 *         SSLv2 CLIENT-HELLO; flags bit 0 reads it as DTLS.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "invariants.h"
#include "tls.h"
#include "tls_hello.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { FUZZ_CLIENT, FUZZ_SERVER, FUZZ_SSLV2 };

#define FUZZ_STREAM_MAX 65536

static void
fuzz_check_facts(const struct tls_facts *f)
{
	fuzz_check_text(f->sni, sizeof(f->sni), "sni");
	fuzz_check_text(f->alpn, sizeof(f->alpn), "alpn");
	fuzz_check_text(f->alpn_selected, sizeof(f->alpn_selected), "alpn_selected");
}

/* Parses one body from a heap copy of exactly len bytes (ASan sees any
 * read past it) into fresh facts, and checks what the result promises. */
static enum tls_hello_result
fuzz_hello(int kind, enum tls_hello_variant variant, const uint8_t *p, size_t len,
	   struct tls_facts *f)
{
	uint8_t *body = malloc(len ? len : 1);
	struct tls_facts zero;
	enum tls_hello_result r;

	if (!body)
		abort();
	if (len)
		memcpy(body, p, len);
	memset(f, 0, sizeof(*f));
	if (kind == FUZZ_CLIENT)
		r = tls_hello_parse_client(f, body, len, variant);
	else if (kind == FUZZ_SERVER)
		r = tls_hello_parse_server(f, body, len, variant);
	else
		r = tls_hello_parse_sslv2(f, body, len);
	free(body);
	fuzz_check_facts(f);
	memset(&zero, 0, sizeof(zero));
	zero.anomalies = TLS_ANOM_BAD_HANDSHAKE;
	switch (r) {
	case TLS_HELLO_OK:
		if (kind != FUZZ_SERVER ? !f->client_hello : !f->server_hello)
			fuzz_fail("OK without the hello recorded");
		if (kind == FUZZ_SERVER &&
		    f->version == (variant == TLS_HELLO_DTLS ? 0xfefc : 0x0304))
			fuzz_fail("OK for a 1.3 ServerHello");
		break;
	case TLS_HELLO_RETRY:
		if (kind != FUZZ_SERVER || f->server_hello)
			fuzz_fail("RETRY from a ClientHello, or taken for the ServerHello");
		break;
	case TLS_HELLO_ENCRYPTED:
		if (kind != FUZZ_SERVER || !f->server_hello ||
		    f->version != (variant == TLS_HELLO_DTLS ? 0xfefc : 0x0304))
			fuzz_fail("ENCRYPTED without a 1.3 ServerHello");
		break;
	case TLS_HELLO_MALFORMED:
		if (!(f->anomalies & TLS_ANOM_BAD_HANDSHAKE))
			fuzz_fail("MALFORMED without the anomaly");
		if (kind != FUZZ_CLIENT && memcmp(f, &zero, sizeof(zero)) != 0)
			fuzz_fail("a malformed ServerHello or SSLv2 hello recorded facts");
		break;
	default:
		fuzz_fail("result out of the enum");
	}
	return r;
}

/* The same body twice gives the same facts; a TLS ClientHello gives the
 * facts of its DTLS form with an empty cookie (but the newest version, as
 * DTLS numbers count down). */
static void
fuzz_body(int kind, enum tls_hello_variant variant, const uint8_t *p, size_t len)
{
	static struct tls_facts a, b;
	enum tls_hello_result r = fuzz_hello(kind, variant, p, len, &a);
	uint8_t *dtls;
	size_t fixed;

	if (fuzz_hello(kind, variant, p, len, &b) != r || memcmp(&a, &b, sizeof(a)) != 0)
		fuzz_fail("the same hello gave different facts");
	if (kind != FUZZ_CLIENT || variant != TLS_HELLO_TLS || len < 35 || len - 35 < p[34])
		return;
	fixed = 35 + (size_t)p[34]; /* version, random, session id */
	if (!(dtls = malloc(len + 1)))
		abort();
	memcpy(dtls, p, fixed);
	dtls[fixed] = 0; /* empty cookie */
	memcpy(dtls + fixed + 1, p + fixed, len - fixed);
	if (fuzz_hello(kind, TLS_HELLO_DTLS, dtls, len + 1, &b) != r)
		fuzz_fail("TLS and DTLS forms of a ClientHello differ in result");
	free(dtls);
	a.client_max_version = b.client_max_version = 0;
	if (memcmp(&a, &b, sizeof(a)) != 0)
		fuzz_fail("TLS and DTLS forms of a ClientHello differ in facts");
}

/* Hellos inside the handshake records of one direction's joined bytes. */
static void
fuzz_records(const uint8_t *p, size_t len)
{
	while (len >= 5) {
		size_t rec = (size_t)p[3] << 8 | p[4];
		const uint8_t *q = p + 5;
		bool handshake = p[0] == 22;

		if (rec > len - 5)
			rec = len - 5;
		p += 5 + rec;
		len -= 5 + rec;
		while (handshake && rec >= 4) {
			size_t n = (size_t)q[1] << 16 | (size_t)q[2] << 8 | q[3];
			uint8_t type = q[0];

			if (n > rec - 4)
				n = rec - 4;
			if (type == TLS_HS_CLIENT_HELLO)
				fuzz_body(FUZZ_CLIENT, TLS_HELLO_TLS, q + 4, n);
			else if (type == TLS_HS_SERVER_HELLO)
				fuzz_body(FUZZ_SERVER, TLS_HELLO_TLS, q + 4, n);
			q += 4 + n;
			rec -= 4 + n;
		}
	}
}

static void
fuzz_conversation(const uint8_t *data, size_t size)
{
	static uint8_t joined[2][FUZZ_STREAM_MAX];
	size_t have[2] = {0, 0}, off = 0;

	while (off + 2 <= size) {
		int dir = data[off] & 1;
		size_t len = data[off + 1];

		off += 2;
		if (len > size - off)
			len = size - off;
		if (len > FUZZ_STREAM_MAX - have[dir])
			len = FUZZ_STREAM_MAX - have[dir];
		memcpy(joined[dir] + have[dir], data + off, len);
		have[dir] += len;
		off += len;
	}
	fuzz_records(joined[0], have[0]);
	fuzz_records(joined[1], have[1]);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum tls_hello_variant variant;

	if (size < 2)
		return 0;
	switch (data[0] % 5) {
	case 0:
	case 1:
		fuzz_conversation(data, size);
		break;
	default:
		variant = data[1] & 1 ? TLS_HELLO_DTLS : TLS_HELLO_TLS;
		fuzz_body(data[0] % 5 - 2, variant, data + 2, size - 2);
		break;
	}
	return 0;
}

#include "standalone.h"
