/*
 * fuzz_http_msg.c - libFuzzer target for the readers of HTTP/1 syntax
 * (src/proto/http_msg.c): every line of the input is read as a request
 * line, a status line, a chunk size and the values of Content-Length,
 * Transfer-Encoding and Upgrade; each prefix of the input is sniffed from
 * both sides. No crash, and the answers keep their promises: a status code
 * of three digits or -1, the Upgrade names kept NUL-terminated within
 * HTTP_NAME_MAX, list elements inside the value and never empty, a sniffer
 * answer that is a sniff_result.
 *
 * Input: lines (LF-terminated); a line longer than LINE_CAP is read cut, as
 * the line driver would hand it over.
 */
#include <stdint.h>
#include <string.h>

#include "http.h"
#include "invariants.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_line(const uint8_t *p, size_t n)
{
	struct line_view l = {.p = p, .len = n, .tn = n, .dir = DIR_C2S};
	struct cursor v = http_trim(p, n), elem;
	struct http_msg m;
	uint64_t size;
	int st;

	if (l.len > LINE_CAP) {
		l.len = l.tn = LINE_CAP;
		l.cut = true;
	}
	(void)http_request_line(&m, &l);
	st = http_status_code(p, n);
	if (st < -1 || st > 999)
		fuzz_fail("status code of more than three digits");
	if (http_chunk_size_read(p, n, &size) && size >= (uint64_t)1 << 60)
		fuzz_fail("chunk size of more than 15 digits");
	(void)http_field_kind(p, n);
	http_msg_reset(&m);
	http_content_length(&m, v);
	http_upgrade_list(&m, v);
	if (!memchr(m.tls_token, '\0', sizeof(m.tls_token)) ||
	    !memchr(m.other, '\0', sizeof(m.other)))
		fuzz_fail("an Upgrade name past HTTP_NAME_MAX");
	while (http_list_next(&v, &elem))
		if (elem.len == 0 || elem.p < p || elem.p + elem.len > p + n)
			fuzz_fail("a list element empty or outside its value");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (size_t i = 0; i <= size && i < 256; i++) {
		for (int d = DIR_C2S; d <= DIR_S2C; d++)
			if (http_sniff((enum dir)d, data, i) > SNIFF_STRONG)
				fuzz_fail("sniff answer");
	}
	for (size_t off = 0; off < size;) {
		const uint8_t *lf = memchr(data + off, '\n', size - off);
		size_t n = lf ? (size_t)(lf - (data + off)) : size - off;

		fuzz_line(data + off, n);
		off += n + 1;
	}
	return 0;
}

#include "standalone.h"
