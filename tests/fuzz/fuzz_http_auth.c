/*
 * fuzz_http_auth.c - libFuzzer target for the credential readers of the
 * HTTP/1 parser (src/proto/http_auth.c): any Authorization value must give
 * a printable login or none, without a crash; the same value again must be
 * the same login (never a second record), and a status only sets the
 * outcome of a login that exists.
 *
 * Input: [flags] then values, one a line; flags bit 0 marks every value cut
 * (it did not all fit), bit 1 a proxy's, the byte itself (times 2) a status.
 */
#include <stdint.h>
#include <string.h>

#include "http.h"
#include "invariants.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct proto_facts f;
	bool cut, proxy;
	int status;

	if (size < 1)
		return 0;
	memset(&f, 0, sizeof(f));
	cut = (data[0] & 1) != 0;
	proxy = (data[0] & 2) != 0;
	status = 100 + data[0] * 2;
	for (size_t off = 1; off < size;) {
		const uint8_t *lf = memchr(data + off, '\n', size - off);
		size_t n = lf ? (size_t)(lf - (data + off)) : size - off;
		uint8_t before = f.n_logins;
		int idx = http_login(&f, data + off, n, cut, proxy);

		if (idx >= (int)f.n_logins || idx < -1)
			fuzz_fail("login index outside f->logins");
		if (http_login(&f, data + off, n, cut, proxy) != idx || f.n_logins > before + 1)
			fuzz_fail("the same value again is another login");
		http_login_outcome(&f, idx, status, proxy);
		off += n + 1;
	}
	fuzz_check_proto_facts(&f);
	return 0;
}

#include "standalone.h"
