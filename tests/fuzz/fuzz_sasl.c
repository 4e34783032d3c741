/*
 * fuzz_sasl.c - libFuzzer target for the SASL helpers (src/proto/sasl.c):
 * base64 decoding, mechanism names, PLAIN messages and a LOGIN/PLAIN exchange
 * driven line by line. Fields must stay NUL-terminated and printable; decoded
 * lengths must fit their buffers.
 *
 * Input: byte 0 picks the mechanism line's length; the rest is split at LF
 * into the lines of the exchange.
 */
#include <stdint.h>
#include <string.h>

#include "invariants.h"
#include "sasl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct proto_facts f;
	struct sasl_exchange x;
	struct login l;
	uint8_t out[96];
	size_t out_len = 0, off, mlen;
	char name[16];
	int login;

	if (size < 1)
		return 0;
	if (sasl_base64_decode(data + 1, size - 1, out, sizeof(out), &out_len) &&
	    out_len > sizeof(out))
		fuzz_fail("base64 wrote past its buffer");
	if (out_len > sizeof(out))
		fuzz_fail("base64 length past its buffer");
	(void)sasl_mech_parse(data + 1, size - 1, name, sizeof(name));
	fuzz_check_text(name, sizeof(name), "mechanism name");
	memset(&l, 0, sizeof(l));
	(void)sasl_plain_parse(data + 1, size - 1, &l);
	fuzz_check_login(&l);

	memset(&f, 0, sizeof(f));
	memset(&x, 0, sizeof(x));
	mlen = data[0] % 32;
	if (mlen > size - 1)
		mlen = size - 1;
	login = sasl_exchange_begin(&x, &f, data + 1, mlen);
	off = 1 + mlen;
	while (off < size) {
		const uint8_t *lf = memchr(data + off, '\n', size - off);
		size_t n = lf ? (size_t)(lf - (data + off)) : size - off;

		(void)sasl_exchange_line(&x, &f, login, data + off, n, (data[0] & 0x80) != 0);
		off += n + 1;
	}
	fuzz_check_proto_facts(&f);
	return 0;
}

#include "standalone.h"
