/*
 * fuzz_session.c - libFuzzer target: arbitrary bytes become a conversation
 * (direction switches, chunk boundaries, gaps) fed to one session on a port
 * chosen by the input, through sniffing, every parser and the TLS parser,
 * then judged. Must never crash, leak or read out of bounds.
 *
 * Input: byte 0-1 server port; then records: [ctl][len][len bytes], ctl bit 0
 * the direction, bit 7 a gap before the data.
 *
 * Built by `make fuzz` with clang -fsanitize=fuzzer; with -DFUZZ_STANDALONE it
 * is a plain program that replays the files named on its command line (the
 * regression inputs in tests/fuzz/regressions/, run by `make check`).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "session.h"
#include "verdict.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct session s;
	struct alert alerts[32];
	struct verdict_input in = {false};
	size_t off = 2;

	if (size < 2)
		return 0;
	session_init(&s, 1, 0);
	s.family = 4;
	s.server_port = (uint16_t)(data[0] << 8 | data[1]);
	s.client_port = 40000;
	while (off + 2 <= size) {
		uint8_t ctl = data[off];
		size_t len = data[off + 1];

		off += 2;
		if (len > size - off)
			len = size - off;
		if (ctl & 0x80)
			session_on_gap(&s, (enum dir)(ctl & 1), 10);
		session_on_data(&s, (enum dir)(ctl & 1), data + off, len);
		off += len;
	}
	s.end = (data[1] & 1) ? END_FIN : END_CAPTURE;
	session_name_service(&s);
	verdict_judge(&s, &in, alerts, 32);
	session_release(&s);
	return 0;
}

#include "standalone.h"
