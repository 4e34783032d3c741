/*
 * fuzz_telnet_login.c - libFuzzer target for the login reader of the
 * Telnet parser (src/proto/telnet_login.c): any server text and client
 * typing, byte by byte as telnet.c hands them over, must keep the reader's
 * buffers within their caps, its login state one of enum tn_login, its
 * login index -1 or a recorded login, and every login printable.
 *
 * Input: records [ctl][len][len bytes]; ctl bit 0 the direction (1: the
 * server's data).
 */
#include <stdint.h>
#include <string.h>

#include "invariants.h"
#include "telnet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_check_state(const struct tn_state *s, const struct proto_facts *f)
{
	if (s->line_len > TN_LINE_MAX || s->typed_len > sizeof(s->typed))
		fuzz_fail("line or typing past its cap");
	if (s->login > TN_LOGIN_OUTCOME)
		fuzz_fail("login state");
	if (s->login_idx < -1 || s->login_idx >= (int)f->n_logins)
		fuzz_fail("login index");
	if (!memchr(s->user, '\0', sizeof(s->user)))
		fuzz_fail("user without its NUL");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tn_state s;
	static struct proto_facts f;
	size_t off = 0;

	memset(&s, 0, sizeof(s));
	memset(&f, 0, sizeof(f));
	s.login_idx = -1;
	while (off + 2 <= size && !s.stopped) {
		bool server = (data[off] & 1) != 0;
		size_t len = data[off + 1];

		off += 2;
		if (len > size - off)
			len = size - off;
		for (size_t i = 0; i < len && !s.stopped; i++) {
			if (server)
				tn_login_server_byte(&s, &f, data[off + i]);
			else
				tn_login_client_byte(&s, &f, data[off + i]);
			fuzz_check_state(&s, &f);
		}
		off += len;
	}
	fuzz_check_proto_facts(&f);
	return 0;
}

#include "standalone.h"
