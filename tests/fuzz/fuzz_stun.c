/*
 * fuzz_stun.c - libFuzzer target for STUN/TURN (src/proto/stun.c): the
 * input as a TCP conversation (messages and ChannelData framed back to
 * back), whole and a byte at a time, must give the same facts
 * (proto_harness.h); each record of it as a datagram (attribute and
 * message lengths past the end, answers to unknown transactions) must
 * never be read past, and the user, realm and software must come out
 * printable and NUL-terminated.
 */
#include <stdlib.h>
#include <stddef.h>
#include <string.h>

#include "proto.h"

extern const struct proto_desc proto_stun;
#define FUZZ_PROTO proto_stun

/* proto_harness.h's body becomes fuzz_stun_stream, called below; the
 * standalone main() is the one at the end of this file. */
#ifdef FUZZ_STANDALONE
#define FUZZ_STUN_STANDALONE
#undef FUZZ_STANDALONE
#endif
#define LLVMFuzzerTestOneInput fuzz_stun_stream
#include "proto_harness.h"
#undef LLVMFuzzerTestOneInput

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct proto_facts f;
	static _Alignas(max_align_t) uint8_t state[8192];
	size_t off = 0;

	memset(&f, 0, sizeof(f));
	if (proto_stun.udp_state_size > sizeof(state))
		fuzz_fail("state larger than the harness's buffer");
	memset(state, 0, sizeof(state));
	proto_stun.init(state);
	while (off + 2 <= size) {
		size_t len = data[off + 1];
		uint8_t *copy;

		off += 2;
		if (len > size - off)
			len = size - off;
		copy = malloc(len ? len : 1);
		if (!copy)
			abort();
		memcpy(copy, data + off, len);
		proto_stun.datagram(state, &f, (enum dir)(data[off - 2] & 1), copy, len);
		free(copy);
		off += len;
	}
	fuzz_check_proto_facts(&f);
	fuzz_check_own(&proto_stun, &f);
	return fuzz_stun_stream(data, size);
}

#ifdef FUZZ_STUN_STANDALONE
#define FUZZ_STANDALONE
#undef TLSWATCH_FUZZ_STANDALONE_H
#include "standalone.h"
#endif
