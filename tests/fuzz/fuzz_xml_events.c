/*
 * fuzz_xml_events.c - libFuzzer target for what a complete tag becomes in
 * the XML tokenizer (src/proto/xml_events.c), driven without xml.c's byte
 * machine: tags with any names and attributes (namespace declarations
 * among them), opened, emptied and closed in any order, a START named
 * "stream" made the root. Every event must keep the caps and name a
 * namespace of the table; the depth an event reports is the tokenizer's;
 * an END with nothing open is an error, not an event.
 *
 * Input: ops; op byte bit 0..1: 0 or 1 a start tag (1: empty), 2 an end
 * tag, 3 skipped; a tag is [name-len] name then, for a start tag,
 * [n-attrs] and per attribute [name-len] name [value-len] value.
 */
#include <stdint.h>
#include <string.h>

#include "invariants.h"
#include "xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const fuzz_ns[] = {
	"http://etherx.jabber.org/streams",
	"jabber:client",
	"urn:ietf:params:xml:ns:xmpp-tls",
	NULL,
};

struct fuzz_in {
	const uint8_t *p;
	size_t n;
};

static uint8_t
fuzz_byte(struct fuzz_in *in)
{
	uint8_t b = in->n ? in->p[0] : 0;

	if (in->n) {
		in->p++;
		in->n--;
	}
	return b;
}

/* Up to cap bytes of a [len] string into dst; *cut when it was longer. */
static size_t
fuzz_string(struct fuzz_in *in, void *dst, size_t cap, bool *cut)
{
	size_t len = fuzz_byte(in) % 48, n;

	if (len > in->n)
		len = in->n;
	n = len < cap ? len : cap;
	memcpy(dst, in->p, n);
	*cut = len > cap;
	in->p += len;
	in->n -= len;
	return n;
}

static bool
fuzz_event(void *ctx, const struct xml_event *ev)
{
	struct xml_tok *t = ctx;

	if (!memchr(ev->prefix, '\0', XML_NAME_MAX) || !memchr(ev->local, '\0', XML_NAME_MAX))
		fuzz_fail("a name past XML_NAME_MAX");
	if (ev->ns < XML_NS_NONE || ev->ns >= 3 || ev->depth == 0 || ev->depth != t->depth ||
	    ev->n_attrs > XML_ATTRS_MAX)
		fuzz_fail("event namespace, depth or attributes");
	for (size_t i = 0; i < ev->n_attrs; i++)
		if (!memchr(ev->attrs[i].name, '\0', XML_NAME_MAX) ||
		    ev->attrs[i].value_len > XML_VALUE_MAX)
			fuzz_fail("attribute past its cap");
	if (ev->type == XML_START && !ev->empty && strcmp(ev->local, "stream") == 0)
		xml_tok_make_root(t);
	return false;
}

/* A start tag, as xml.c's machine readies one. */
static void
fuzz_start_tag(struct xml_tok *t, struct fuzz_in *in, bool empty)
{
	size_t n_attrs;

	t->end_tag = false;
	t->n_attrs = 0;
	t->cur.default_ns = XML_NS_INHERIT;
	t->cur.n_decls = 0;
	t->cur_open = false;
	t->name_len = (uint8_t)fuzz_string(in, t->name, XML_NAME_MAX - 1, &t->name_cut);
	n_attrs = fuzz_byte(in) % 8;
	for (size_t i = 0; i < n_attrs; i++) {
		memset(&t->attr, 0, sizeof(t->attr));
		t->attr_name_len =
			(uint8_t)fuzz_string(in, t->attr.name, XML_NAME_MAX - 1, &t->attr_name_cut);
		t->attr.value_len =
			fuzz_string(in, t->attr.value, XML_VALUE_MAX, &t->attr.value_cut);
		xml_attr_done(t);
	}
	t->raw_len = 0;
	(void)xml_emit_start(t, empty, fuzz_event, t);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct xml_tok t;
	struct fuzz_in in = {data, size};

	xml_tok_init(&t, fuzz_ns);
	while (in.n > 0) {
		uint8_t op = fuzz_byte(&in) & 3;

		if (op < 2) {
			fuzz_start_tag(&t, &in, op == 1);
		} else if (op == 2) {
			t.end_tag = true;
			t.name_len =
				(uint8_t)fuzz_string(&in, t.name, XML_NAME_MAX - 1, &t.name_cut);
			(void)xml_emit_end(&t, false, fuzz_event, &t);
		}
		if (t.n_attrs > XML_ATTRS_MAX || t.cur.n_decls > XML_DECLS_MAX)
			fuzz_fail("attributes or declarations past their caps");
	}
	return 0;
}

#include "standalone.h"
