/*
 * fuzz_xml.c - libFuzzer target for the streaming XML tokenizer
 * (src/proto/xml.c). The input is a document fed three ways: whole, a byte
 * at a time, and in chunks whose sizes come from the input; the events
 * (type, depth, names, namespace, attributes, text, raw tag) and the
 * counters must be the same each time. Every event must keep the caps:
 * names NUL-terminated within XML_NAME_MAX, values, text and raw bytes
 * within theirs, at most XML_ATTRS_MAX attributes, an END at the depth of
 * an open element. Byte 0 of the input picks a local name after whose END
 * the tokenizer is stopped (and then resumed with the rest), so that
 * stopping is covered too; a START named "stream" becomes the root.
 */
#include <stdint.h>
#include <string.h>

#include "invariants.h"
#include "xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const fuzz_ns[] = {
	"http://etherx.jabber.org/streams",
	"urn:ietf:params:xml:ns:xmpp-tls",
	"urn:ietf:params:xml:ns:xmpp-sasl",
	"jabber:client",
	NULL,
};

static const char *const stop_names[] = {"proceed", "starttls", "a", "b", NULL};

/* A digest of the events: FNV-1a over everything an event says. */
struct fuzz_log {
	uint64_t hash;
	uint64_t events;
	const char *stop_at;
	struct xml_tok *tok;
};

static void
mix(struct fuzz_log *l, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++) {
		l->hash ^= b[i];
		l->hash *= 0x100000001b3ull;
	}
}

static void
check_text(const char *s, size_t cap, const char *what)
{
	if (!memchr(s, '\0', cap))
		fuzz_fail(what);
}

static bool
fuzz_event(void *ctx, const struct xml_event *ev)
{
	struct fuzz_log *l = ctx;
	int32_t ns = ev->ns;
	uint32_t depth = ev->depth;

	check_text(ev->prefix, XML_NAME_MAX, "prefix");
	check_text(ev->local, XML_NAME_MAX, "local name");
	if (ev->raw_len > XML_RAW_MAX || ev->text_len > XML_TEXT_MAX ||
	    ev->n_attrs > XML_ATTRS_MAX || ev->depth == 0 || ev->depth != l->tok->depth)
		fuzz_fail("event past a cap");
	if (ev->ns < XML_NS_NONE || ev->ns >= 4)
		fuzz_fail("namespace id");
	l->events++;
	mix(l, &ev->type, sizeof(ev->type));
	mix(l, &depth, sizeof(depth));
	mix(l, &ns, sizeof(ns));
	mix(l, ev->prefix, strlen(ev->prefix) + 1);
	mix(l, ev->local, strlen(ev->local) + 1);
	mix(l, &ev->empty, 1);
	mix(l, &ev->name_cut, 1);
	mix(l, ev->raw, ev->raw_len);
	for (size_t i = 0; i < ev->n_attrs; i++) {
		const struct xml_attr *a = &ev->attrs[i];

		check_text(a->name, XML_NAME_MAX, "attribute name");
		if (a->value_len > XML_VALUE_MAX)
			fuzz_fail("attribute value past its cap");
		mix(l, a->name, strlen(a->name) + 1);
		mix(l, a->value, a->value_len);
		mix(l, &a->value_cut, 1);
	}
	if (ev->type == XML_END) {
		mix(l, ev->text ? ev->text : (const uint8_t *)"", ev->text_len);
		mix(l, &ev->text_cut, 1);
	}
	if (ev->type == XML_START && !ev->empty && strcmp(ev->local, "stream") == 0)
		xml_tok_make_root(l->tok);
	if (ev->type == XML_END && l->stop_at && strcmp(ev->local, l->stop_at) == 0) {
		mix(l, "stop", 4);
		return true;
	}
	return false;
}

/* Feeds doc in chunks: step bytes, or (step 0) sizes taken from the
 * document's own bytes; a stop is resumed at the byte after it. */
static void
fuzz_run(const uint8_t *doc, size_t n, size_t step, const char *stop_at, struct xml_tok *t,
	 struct fuzz_log *l)
{
	size_t off = 0, k = 0;

	xml_tok_init(t, fuzz_ns);
	memset(l, 0, sizeof(*l));
	l->hash = 0xcbf29ce484222325ull;
	l->stop_at = stop_at;
	l->tok = t;
	while (off < n) {
		size_t len = step ? step : 1 + (size_t)(doc[k++ % n] % 17);
		size_t used;

		if (len > n - off)
			len = n - off;
		used = xml_feed(t, doc + off, len, fuzz_event, l);
		if (used > len || used == 0)
			fuzz_fail("xml_feed consumed nothing or more than it was given");
		off += used;
	}
	mix(l, &t->errors, sizeof(t->errors));
	mix(l, &t->attrs_dropped, sizeof(t->attrs_dropped));
	mix(l, &t->depth, sizeof(t->depth));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct xml_tok t1, t2, t3;
	struct fuzz_log whole, bytewise, chunked;
	const char *stop_at;

	if (size < 1)
		return 0;
	stop_at = stop_names[data[0] % (sizeof(stop_names) / sizeof(stop_names[0]))];
	fuzz_run(data + 1, size - 1, size, stop_at, &t1, &whole);
	fuzz_run(data + 1, size - 1, 1, stop_at, &t2, &bytewise);
	fuzz_run(data + 1, size - 1, 0, stop_at, &t3, &chunked);
	if (whole.hash != bytewise.hash || whole.hash != chunked.hash ||
	    whole.events != bytewise.events || whole.events != chunked.events)
		fuzz_fail("events depend on chunking");
	return 0;
}

#include "standalone.h"
