/*
 * fuzz_dtls.c - libFuzzer target for DTLS records (src/tls/dtls.c): the
 * input is a conversation of datagrams in the [ctl][len][bytes] format
 * (ctl bit 0 the direction), each read by dtls_datagram. No crash, no read
 * outside a datagram; the SNI and ALPN kept are printable; established
 * only with a ServerHello and encrypted records both ways; the same
 * datagrams read twice give the same facts (no hidden state).
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
	size_t off = 0;

	memset(f, 0, sizeof(*f));
	while (off + 2 <= size) {
		enum dir dir = (enum dir)(data[off] & 1);
		size_t len = data[off + 1];

		off += 2;
		if (len > size - off)
			len = size - off;
		(void)dtls_sniff_client(data + off, len);
		(void)dtls_sniff_record(data + off, len);
		dtls_datagram(f, dir, data + off, len);
		off += len;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tls_facts a, b;

	fuzz_dtls_run(data, size, &a);
	fuzz_check_text(a.sni, sizeof(a.sni), "dtls sni");
	fuzz_check_text(a.alpn, sizeof(a.alpn), "dtls alpn");
	fuzz_check_text(a.alpn_selected, sizeof(a.alpn_selected), "dtls alpn selected");
	if (a.established && !(a.server_hello && a.encrypted[0] && a.encrypted[1]))
		fuzz_fail("established without a ServerHello and encryption both ways");
	fuzz_dtls_run(data, size, &b);
	if (memcmp(&a, &b, sizeof(a)) != 0)
		fuzz_fail("the same datagrams gave different facts");
	return 0;
}

#include "standalone.h"
