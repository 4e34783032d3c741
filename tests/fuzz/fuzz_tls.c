/*
 * fuzz_tls.c - libFuzzer target for the TLS record and handshake parser
 * (src/tls/, through tls.h): any two-way byte stream, with gaps, fed whole
 * and a byte at a time, must give the same facts, with printable SNI and
 * ALPN, and never a crash or a leak (the SSLv2-hello use-after-reset of
 * hardening finding 1 was found this way). The hello parser alone has its
 * own target, fuzz_tlshello.c.
 *
 * Input: records [ctl][len][len bytes]; ctl bit 0 the direction, bit 7 a gap
 * in that direction before the data.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "invariants.h"
#include "tls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_tls_run(const uint8_t *data, size_t size, size_t step, struct tls_facts *f)
{
	struct tls_parser t;
	size_t off = 0;

	tls_parser_init(&t);
	memset(f, 0, sizeof(*f));
	while (off + 2 <= size) {
		uint8_t ctl = data[off];
		size_t len = data[off + 1];
		enum dir dir = (enum dir)(ctl & 1);

		off += 2;
		if (len > size - off)
			len = size - off;
		if (ctl & 0x80)
			tls_gap(&t, f, dir);
		for (size_t i = 0; i < len;) {
			size_t n = step && step < len - i ? step : len - i;

			if (tls_feed(&t, f, dir, data + off + i, n) != n)
				fuzz_fail("tls_feed did not consume its input");
			i += n;
		}
		off += len;
	}
	tls_parser_free(&t);
	fuzz_check_text(f->sni, sizeof(f->sni), "sni");
	fuzz_check_text(f->alpn, sizeof(f->alpn), "alpn");
	fuzz_check_text(f->alpn_selected, sizeof(f->alpn_selected), "alpn_selected");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tls_facts whole, bytewise;

	if (size > 0)
		(void)tls_sniff_client(data, size);
	fuzz_tls_run(data, size, 0, &whole);
	fuzz_tls_run(data, size, 1, &bytewise);
	if (memcmp(&whole, &bytewise, sizeof(whole)) != 0)
		fuzz_fail("TLS facts depend on chunking");
	return 0;
}

#include "standalone.h"
