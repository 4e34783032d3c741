/*
 * fuzz_pcap.c - libFuzzer target for the whole program path of `-r FILE`:
 * the bytes are a capture file, pcap (read through libpcap) or pcapng (read
 * by src/capture/pcapng.c; its interfaces may mix link types and each
 * packet goes to the engine with its own), fed to the engine with nDPI off
 * and small caps, then every session judged and counted in a summary (its
 * per-port, per-server and timeline rows, whose time arithmetic takes the
 * file's timestamps). Truncated or corrupt files must end in CAPTURE_ERROR
 * or CAPTURE_END, never a crash or a leak.
 *
 * The file is handed over through a memfd (/proc/self/fd/N), so the real
 * capture_open_file runs.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "capture.h"
#include "decode.h"
#include "engine.h"
#include "summary.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
count_session(void *ctx, const struct session *s)
{
	(void)summary_add(ctx, s);
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
	struct summary *sum = summary_new();
	struct engine_output out = {sum, count_session, drop_alert};
	struct engine_config cfg = {0}; /* the defaults set only what is not 0 */
	struct capture *c;
	struct engine *e;
	char path[64], err[256];
	const uint8_t *frame;
	size_t caplen;
	uint64_t ts;
	int dlt;
	int fd = memfd_create("fuzz.pcap", 0);
	size_t n;

	if (!sum || fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	c = capture_open_file(path, err, sizeof(err));
	if (!c) {
		summary_free(sum);
		close(fd);
		return 0;
	}
	engine_config_defaults(&cfg);
	cfg.max_flows = 8;
	cfg.stream_cap = 512;
	cfg.ooo_cap = 2048;
	cfg.use_ndpi = false;
	/* the last byte picks whether flows without payload are reported */
	cfg.show_empty = size && (data[size - 1] & 1);
	e = engine_new(&cfg, &out, err, sizeof(err));
	if (!e)
		abort();
	if (decode_link_supported(capture_datalink(c)))
		while (capture_next(c, &frame, &caplen, &ts, &dlt, err, sizeof(err)) ==
		       CAPTURE_PACKET)
			engine_packet(e, dlt, frame, caplen, ts);
	engine_finish_all(e);
	engine_free(e);
	(void)summary_ports(sum, &n);
	(void)summary_servers(sum, &n);
	(void)summary_timeline(sum, &n, &ts);
	summary_free(sum);
	capture_close(c);
	close(fd);
	return 0;
}

#include "standalone.h"
