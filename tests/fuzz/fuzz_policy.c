/*
 * fuzz_policy.c - libFuzzer target for the mail policy store (src/policy.c).
 * The first byte picks the mode, the rest is the input:
 *   0  a --policy list (policy_load_text); an input naming "sts-file" is
 *      skipped: it would read any file named, /dev/stdin included
 *   1  an RFC 8461 policy file (policy_parse_sts)
 *   2  DNS messages, each after a two-byte length, learned in turn (small
 *      tables, so eviction runs), then an SMTP session to 192.0.2.25 judged
 * Each must never crash, keep every kept name NUL-terminated, set an error
 * message on failure, and give an alert count within the room given.
 */
#include <stdlib.h>
#include <string.h>

#include "invariants.h"
#include "policy.h"

extern const struct proto_desc proto_smtp;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_policy_dns(struct policy *p, const uint8_t *data, size_t size)
{
	struct session s;
	struct alert a[2];
	size_t off = 0, n;
	uint64_t ts = 1700000000ull * 1000000;

	while (off + 2 <= size) {
		size_t len = (size_t)data[off] << 8 | data[off + 1];

		off += 2;
		if (len > size - off)
			len = size - off;
		(void)policy_learn_bytes(p, data + off, len, ts);
		ts += 1000000;
		off += len;
	}
	memset(&s, 0, sizeof(s));
	s.family = 4;
	s.l4 = 6;
	memcpy(s.server_ip, (uint8_t[]){192, 0, 2, 25}, 4);
	s.server_port = 25;
	s.proto = &proto_smtp;
	s.service = "smtp";
	s.ts_first_us = ts;
	s.verdict = VERDICT_CLEARTEXT;
	n = policy_judge(p, &s, a, 2);
	if (n > 2)
		fuzz_fail("more alerts than room");
	fuzz_check_text(s.policy.domain, sizeof(s.policy.domain), "policy domain");
	for (size_t i = 0; i < n; i++)
		fuzz_check_text(a[i].evidence, sizeof(a[i].evidence), "policy evidence");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy_limits lim = {4, 4, 4, 4, 4, 4};
	struct policy_sts sts;
	struct policy *p;
	char err[600];

	if (size < 1)
		return 0;
	err[0] = '\0';
	switch (data[0] % 3) {
	case 0:
		if (memmem(data + 1, size - 1, "sts-file", 8))
			return 0;
		p = policy_new(&lim);
		if (!p)
			return 0;
		if (policy_load_text(p, "fuzz", NULL, (const char *)data + 1, size - 1, err,
				     sizeof(err)) < 0 &&
		    !err[0])
			fuzz_fail("policy list refused without a message");
		policy_free(p);
		break;
	case 1:
		if (policy_parse_sts((const char *)data + 1, size - 1, &sts, err, sizeof(err)) <
		    0) {
			if (!err[0])
				fuzz_fail("policy file refused without a message");
		} else {
			if (sts.n_mx > POLICY_MX_PATTERNS)
				fuzz_fail("more MX patterns than kept");
			for (unsigned i = 0; i < sts.n_mx; i++)
				fuzz_check_text(sts.mx[i], sizeof(sts.mx[i]), "mx pattern");
		}
		break;
	default:
		p = policy_new(&lim);
		if (!p)
			return 0;
		fuzz_policy_dns(p, data + 1, size - 1);
		policy_free(p);
		break;
	}
	return 0;
}

#include "standalone.h"
