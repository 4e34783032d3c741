/*
 * fuzz_dtls.c - libFuzzer target for DTLS records (src/tls/dtls.c): the
 * input is a conversation of datagrams in the [ctl][len][bytes] format
 * (ctl bit 0 the direction), each read by dtls_datagram with one
 * struct dtls_conn for the conversation (the server's Certificate
 * reassembled from fragments in any order). No crash, no read outside a
 * datagram, no leak; the SNI, ALPN and certificate texts kept are
 * printable; established only with a ServerHello and encrypted records
 * both ways; the buffer held never exceeds TLS_HS_CAP and its bitmap, and
 * is gone once the certificate is settled; a certificate READ has its
 * hashes; the same datagrams read twice, each time from a zeroed
 * dtls_conn, give the same facts (no state beyond it).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "invariants.h"
#include "tls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_dtls_run(const uint8_t *data, size_t size, struct tls_facts *f)
{
	struct dtls_conn d;
	size_t off = 0;

	memset(f, 0, sizeof(*f));
	memset(&d, 0, sizeof(d));
	while (off + 2 <= size) {
		enum dir dir = (enum dir)(data[off] & 1);
		size_t len = data[off + 1];

		off += 2;
		if (len > size - off)
			len = size - off;
		(void)dtls_sniff_client(data + off, len);
		(void)dtls_sniff_record(data + off, len);
		dtls_datagram(&d, f, dir, data + off, len);
		if (dtls_conn_heap_bytes(&d) > TLS_HS_CAP + TLS_HS_CAP / 8)
			fuzz_fail("the certificate buffer is over its cap");
		if (d.cert_buf && f->cert.state != TLS_CERT_NONE)
			fuzz_fail("a certificate buffer is held after the certificate was settled");
		off += len;
	}
	dtls_conn_free(&d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tls_facts a, b;

	fuzz_dtls_run(data, size, &a);
	fuzz_check_text(a.sni, sizeof(a.sni), "dtls sni");
	fuzz_check_text(a.alpn, sizeof(a.alpn), "dtls alpn");
	fuzz_check_text(a.alpn_selected, sizeof(a.alpn_selected), "dtls alpn selected");
	fuzz_check_text(a.cert.subject, sizeof(a.cert.subject), "dtls cert subject");
	fuzz_check_text(a.cert.issuer, sizeof(a.cert.issuer), "dtls cert issuer");
	fuzz_check_text(a.cert.names, sizeof(a.cert.names), "dtls cert names");
	if (a.cert.state > TLS_CERT_ENCRYPTED)
		fuzz_fail("certificate state out of range");
	if (a.cert.state == TLS_CERT_READ && a.cert.hashed == 0)
		fuzz_fail("a certificate read without its hash");
	if (a.established && !(a.server_hello && a.encrypted[0] && a.encrypted[1]))
		fuzz_fail("established without a ServerHello and encryption both ways");
	fuzz_dtls_run(data, size, &b);
	if (memcmp(&a, &b, sizeof(a)) != 0)
		fuzz_fail("the same datagrams gave different facts");
	return 0;
}

#include "standalone.h"
