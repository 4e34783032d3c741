/*
 * fuzz_state.c - libFuzzer target for the --state file reader
 * (correlate_load in src/correlate.c) and the lines of the learned mail
 * policies in it (policy_fact_parse in src/policy.c, as the engine wires
 * them): any bytes as the state file must load or be rejected line by line
 * with a printable message, never crash or leak; every policy line accepted
 * must write back as a line that reads back the same. Each line is also read
 * as the value of a server's certificate in the shared state
 * (shared_cert_decode in src/shared.c): one accepted must write back as a
 * value that reads back the same.
 *
 * The file is handed over through a memfd (/proc/self/fd/N), so the real
 * open, fstat and line reader run.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "correlate.h"
#include "invariants.h"
#include "policy.h"
#include "shared.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool
fuzz_fact_same(const struct policy_fact *a, const struct policy_fact *b)
{
	return a->kind == b->kind && strcmp(a->name, b->name) == 0 &&
	       strcmp(a->value, b->value) == 0 && a->family == b->family &&
	       memcmp(a->addr, b->addr, sizeof(a->addr)) == 0 && a->port == b->port &&
	       a->ad == b->ad && a->expires_us == b->expires_us && a->learned_us == b->learned_us;
}

/* The engine's part (src/engine/engine.c), with the round trip checked. */
static bool
fuzz_policy_load(void *ctx, const char *line, char *why, size_t whysz)
{
	struct policy_fact f, g;
	char again[POLICY_FACT_LINE_MAX], twice[POLICY_FACT_LINE_MAX], w2[128];

	if (!policy_fact_parse(line, &f, why, whysz)) {
		fuzz_check_text(why, whysz, "policy line message");
		return false;
	}
	fuzz_check_text(f.name, sizeof(f.name), "fact name");
	fuzz_check_text(f.value, sizeof(f.value), "fact value");
	if (policy_fact_format(&f, again, sizeof(again)) == 0)
		fuzz_fail("an accepted policy line does not write back");
	if (!policy_fact_parse(again, &g, w2, sizeof(w2)) || !fuzz_fact_same(&f, &g))
		fuzz_fail("a written policy line does not read back the same");
	if (policy_fact_format(&g, twice, sizeof(twice)) == 0 || strcmp(again, twice) != 0)
		fuzz_fail("a policy line writes back differently twice");
	policy_fact_put(ctx, &f, POLICY_SOURCE_STATE);
	return true;
}

static void
fuzz_policy_fact(void *ctx, const struct policy_fact *f)
{
	char line[POLICY_FACT_LINE_MAX];

	(void)ctx;
	if (policy_fact_format(f, line, sizeof(line)) == 0)
		fuzz_fail("a stored fact does not write");
}

/* Each line of data as a shared certificate's value. */
static void
fuzz_cert_values(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		struct shared_cert a, b;
		char again[SHARED_CERT_TEXT], twice[SHARED_CERT_TEXT];
		size_t m;

		if (shared_cert_decode(p, n, &a)) {
			fuzz_check_text(a.sensor, sizeof(a.sensor), "certificate sensor");
			fuzz_check_text(a.issuer, sizeof(a.issuer), "certificate issuer");
			m = shared_cert_encode(&a, again, sizeof(again));
			if (m == 0 || !shared_cert_decode(again, m, &b) ||
			    memcmp(&a, &b, sizeof(a)) != 0)
				fuzz_fail("an accepted certificate value does not read back the "
					  "same");
			if (shared_cert_encode(&b, twice, sizeof(twice)) != m ||
			    strcmp(again, twice) != 0)
				fuzz_fail("a certificate value writes back differently twice");
		}
		p += n + 1;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct correlate_config cfg;
	struct correlate *c;
	/* Small tables: eviction is reached, and each run stays quick. */
	struct policy_limits lim = {
		.mx = 8, .addr = 8, .cname = 4, .sts = 4, .tlsrpt = 4, .tlsa = 4};
	struct policy *p = policy_new(&lim);
	char path[64], warn[512];
	int fd = memfd_create("fuzz.state", 0);

	if (!p || fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	correlate_config_defaults(&cfg);
	cfg.state_path = path;
	cfg.part.word = "policy";
	cfg.part.ctx = p;
	cfg.part.load = fuzz_policy_load;
	c = correlate_new(&cfg, warn, sizeof(warn));
	if (!c)
		abort();
	fuzz_check_text(warn, sizeof(warn), "state warning");
	/* What was stored is what a save would write. */
	policy_clock(p, 1);
	policy_facts_each(p, fuzz_policy_fact, NULL);
	correlate_free(c);
	policy_free(p);
	close(fd);
	fuzz_cert_values(data, size);
	return 0;
}

#include "standalone.h"
