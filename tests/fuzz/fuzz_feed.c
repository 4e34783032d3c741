/*
 * fuzz_feed.c - libFuzzer target for the cluster feed's records
 * (src/feed.c), which `tlswatch --cluster` reads from Redis streams anyone
 * with access to that Redis may write: any bytes as a session or an alert
 * record must be refused or read into fields that hold NUL-terminated
 * text, and a record accepted must write back as a line that reads back
 * the same (the encoder and the decoder agree on every value the decoder
 * lets through), and every text value is printable ASCII (a control byte
 * would reach the terminal).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feed.h"
#include "invariants.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_feed_session(const char *line, size_t n)
{
	static struct feed_session d, again;
	static char out[FEED_LINE_MAX], out2[FEED_LINE_MAX];
	size_t k, k2;

	if (!feed_decode_session(line, n, &d))
		return;
	fuzz_check_text(d.sensor, sizeof(d.sensor), "sensor");
	fuzz_check_text(d.service, sizeof(d.service), "service");
	fuzz_check_proto_facts(&d.s.pf);
	fuzz_check_text(d.s.tf.sni, sizeof(d.s.tf.sni), "sni");
	fuzz_check_text(d.s.policy.domain, sizeof(d.s.policy.domain), "policy domain");
	if (d.s.family != 4 && d.s.family != 6)
		fuzz_fail("family");
	d.s.service = d.service;
	k = feed_encode_session(out, sizeof(out), d.sensor, &d.s);
	if (k == 0 || !feed_decode_session(out, k, &again))
		fuzz_fail("an accepted session record does not read back");
	again.s.service = again.service;
	k2 = feed_encode_session(out2, sizeof(out2), again.sensor, &again.s);
	if (k2 != k || memcmp(out, out2, k) != 0)
		fuzz_fail("a session record reads back different");
}

static void
fuzz_feed_alert(const char *line, size_t n)
{
	static struct feed_alert d, again;
	static char out[FEED_LINE_MAX], out2[FEED_LINE_MAX];
	size_t k, k2;

	if (!feed_decode_alert(line, n, &d))
		return;
	fuzz_check_text(d.sensor, sizeof(d.sensor), "sensor");
	fuzz_check_text(d.a.evidence, sizeof(d.a.evidence), "evidence");
	d.a.service = d.service;
	k = feed_encode_alert(out, sizeof(out), d.sensor, &d.a);
	if (k == 0 || !feed_decode_alert(out, k, &again))
		fuzz_fail("an accepted alert record does not read back");
	again.a.service = again.service;
	k2 = feed_encode_alert(out2, sizeof(out2), again.sensor, &again.a);
	if (k2 != k || memcmp(out, out2, k) != 0)
		fuzz_fail("an alert record reads back different");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_feed_session((const char *)data, size);
	fuzz_feed_alert((const char *)data, size);
	return 0;
}

#include "standalone.h"
