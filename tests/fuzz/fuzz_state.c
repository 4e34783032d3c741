/*
 * fuzz_state.c - libFuzzer target for the --state file reader
 * (correlate_load in src/correlate.c): any bytes as the state file must load
 * or be rejected line by line with a message, never crash or leak; a saved
 * state must then read back without a warning.
 *
 * The file is handed over through a memfd (/proc/self/fd/N), so the real
 * open, fstat and line reader run.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "correlate.h"
#include "invariants.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct correlate_config cfg;
	struct correlate *c;
	char path[64], warn[512];
	int fd = memfd_create("fuzz.state", 0);

	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	correlate_config_defaults(&cfg);
	cfg.state_path = path;
	c = correlate_new(&cfg, warn, sizeof(warn));
	if (!c)
		abort();
	fuzz_check_text(warn, sizeof(warn), "state warning");
	correlate_free(c);
	close(fd);
	return 0;
}

#include "standalone.h"
