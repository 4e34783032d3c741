/*
 * fuzz_engine.c - libFuzzer target: arbitrary bytes become a capture of raw
 * IPv4/IPv6 frames fed to the whole engine (decode, flow table, reassembly,
 * sessions, nDPI, verdicts, correlation), with small caps so eviction and
 * cap paths run. Must never crash, leak or read out of bounds.
 *
 * Input: records [len-hi][len-lo][frame bytes]; timestamps advance 1 s per
 * record so idle timeouts fire too.
 */
#include <pcap/dlt.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "engine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
drop_session(void *ctx, const struct session *s)
{
	(void)ctx;
	(void)s;
}

static void
drop_alert(void *ctx, const struct alert *a)
{
	(void)ctx;
	(void)a;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct engine_config cfg;
	struct engine_output out = {NULL, drop_session, drop_alert};
	struct engine *e;
	char err[256];
	size_t off = 0;
	uint64_t ts = 1000000;

	engine_config_defaults(&cfg);
	cfg.max_flows = 8;
	cfg.stream_cap = 512;
	cfg.ooo_cap = 2048;
	cfg.idle_timeout_us = 30ull * 1000000;
	cfg.use_ndpi = false; /* nDPI start-up would dominate every run */
	e = engine_new(&cfg, &out, err, sizeof(err));
	if (!e)
		abort();
	while (off + 2 <= size) {
		size_t len = (size_t)data[off] << 8 | data[off + 1];

		off += 2;
		if (len > size - off)
			len = size - off;
		engine_packet(e, DLT_RAW, data + off, len, ts);
		ts += 1000000;
		off += len;
	}
	engine_finish_all(e);
	engine_free(e);
	return 0;
}

#include "standalone.h"
