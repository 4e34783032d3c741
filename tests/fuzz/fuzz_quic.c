/*
 * fuzz_quic.c - libFuzzer target for QUIC Initial packets (src/tls/quic.c):
 * the input is a conversation of datagrams [ctl][len-hi][len-lo][bytes]
 * (ctl bit 0 the direction; two length bytes, since an Initial is longer
 * than 255 bytes), each read by quic_datagram with one struct quic_conn. No crash, no
 * read outside a datagram, the CRYPTO data kept within QUIC_CRYPTO_MAX, the
 * SNI and ALPN printable, established only with a ServerHello and
 * encrypted packets both ways. Most inputs fail the AEAD check: that path
 * (header parsing, header protection, the tag) is what is fuzzed most.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "invariants.h"
#include "tls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct quic_conn q;
	static struct tls_facts f;
	size_t off = 0;

	memset(&q, 0, sizeof(q));
	memset(&f, 0, sizeof(f));
	while (off + 3 <= size) {
		enum dir dir = (enum dir)(data[off] & 1);
		size_t len = (size_t)data[off + 1] << 8 | data[off + 2];

		off += 3;
		if (len > size - off)
			len = size - off;
		(void)quic_sniff_initial(data + off, len);
		quic_datagram(&q, &f, dir, data + off, len);
		off += len;
	}
	fuzz_check_text(f.sni, sizeof(f.sni), "quic sni");
	fuzz_check_text(f.alpn, sizeof(f.alpn), "quic alpn");
	fuzz_check_text(f.alpn_selected, sizeof(f.alpn_selected), "quic alpn selected");
	if (f.established && !(f.server_hello && f.encrypted[0] && f.encrypted[1]))
		fuzz_fail("established without a ServerHello and encryption both ways");
	return 0;
}

#include "standalone.h"
