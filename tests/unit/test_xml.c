/*
 * test_xml.c - the streaming XML tokenizer (src/proto/xml.c): events with
 * their namespaces, attributes and text, the same for any chunking;
 * stopping after an event; what it skips; malformed markup; its caps.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "xml.h"

static const char *const ns_table[] = {
	"http://etherx.jabber.org/streams",
	"urn:ietf:params:xml:ns:xmpp-tls",
	"jabber:client",
	NULL,
};

/* Events as text, one per line: "S2 prefix:local ns=N [name=value ...]"
 * for a start (the digit its depth, "/" after it when empty), "E2 local
 * ns=N text=..." for an end. */
struct rec {
	char log[8192];
	size_t len;
	const char *stop_at; /* stop after the END of this local name */
	struct xml_tok *tok;
	bool make_root; /* a start of local "stream" becomes the root */
};

static void
rec_printf(struct rec *r, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(r->log + r->len, sizeof(r->log) - r->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		r->len += (size_t)n < sizeof(r->log) - r->len ? (size_t)n
							      : sizeof(r->log) - r->len - 1;
}

static bool
rec_event(void *ctx, const struct xml_event *ev)
{
	struct rec *r = ctx;

	if (ev->type == XML_START) {
		rec_printf(r, "S%u%s %s%s%s ns=%d", ev->depth, ev->empty ? "/" : "", ev->prefix,
			   ev->prefix[0] ? ":" : "", ev->local, ev->ns);
		for (size_t i = 0; i < ev->n_attrs; i++)
			rec_printf(r, " %s=%.*s%s", ev->attrs[i].name, (int)ev->attrs[i].value_len,
				   (const char *)ev->attrs[i].value,
				   ev->attrs[i].value_cut ? "..." : "");
		rec_printf(r, "\n");
		if (r->make_root && strcmp(ev->local, "stream") == 0 && r->tok)
			xml_tok_make_root(r->tok);
		return false;
	}
	rec_printf(r, "E%u %s ns=%d text=%.*s%s\n", ev->depth, ev->local, ev->ns, (int)ev->text_len,
		   ev->text ? (const char *)ev->text : "", ev->text_cut ? "..." : "");
	return r->stop_at && strcmp(ev->local, r->stop_at) == 0;
}

/* Feeds doc in chunks of `chunk` bytes (0: whole) and records the events. */
static void
run(const char *doc, size_t chunk, struct xml_tok *t, struct rec *r)
{
	size_t len = strlen(doc), off = 0;

	xml_tok_init(t, ns_table);
	memset(r, 0, sizeof(*r));
	r->tok = t;
	r->make_root = true;
	while (off < len) {
		size_t n = chunk && chunk < len - off ? chunk : len - off;
		size_t used = xml_feed(t, (const uint8_t *)doc + off, n, rec_event, r);

		assert_int_equal(used, n);
		off += n;
	}
}

/* The same events whatever the chunking; returns the log of the whole run. */
static const char *
run_all(const char *doc, struct xml_tok *t, struct rec *whole)
{
	static const size_t chunks[] = {1, 2, 3, 5, 7, 64};
	struct xml_tok t2;
	struct rec r;

	run(doc, 0, t, whole);
	for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		run(doc, chunks[i], &t2, &r);
		if (strcmp(r.log, whole->log) != 0)
			fail_msg("chunks of %zu:\n%s\nwhole:\n%s", chunks[i], r.log, whole->log);
		assert_int_equal(t2.errors, t->errors);
	}
	return whole->log;
}

#define STREAM_HDR                                                                                 \
	"<?xml version='1.0'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams' "     \
	"xmlns=\"jabber:client\" to='example.org' version='1.0'>"

static void
test_xml_stream_features_resolve_prefixes_and_default_namespaces(void **unused)
{
	struct xml_tok t;
	struct rec r;
	const char *log = run_all(
		STREAM_HDR
		"<stream:features>"
		"<tls:starttls xmlns:tls='urn:ietf:params:xml:ns:xmpp-tls'><tls:required/>"
		"</tls:starttls>"
		"<starttls xmlns=\"urn:ietf:params:xml:ns:xmpp-tls\" ><required /></starttls >"
		"<other xmlns='urn:example'/></stream:features>",
		&t, &r);

	(void)unused;
	assert_string_equal(log, "S1 stream:stream ns=0 to=example.org version=1.0\n"
				 "S2 stream:features ns=0\n"
				 "S3 tls:starttls ns=1\n"
				 "S4/ tls:required ns=1\n"
				 "E4 required ns=1 text=\n"
				 "E3 starttls ns=1 text=\n"
				 "S3 starttls ns=1\n"
				 "S4/ required ns=1\n"
				 "E4 required ns=1 text=\n"
				 "E3 starttls ns=1 text=\n"
				 "S3/ other ns=-1\n"
				 "E3 other ns=-1 text=\n"
				 "E2 features ns=0 text=\n");
	assert_int_equal(t.errors, 0);
}

static void
test_xml_text_entities_cdata_comments_and_pis(void **unused)
{
	struct xml_tok t;
	struct rec r;
	const char *log = run_all("<a x='1&amp;2 &#x41;&#66;&apos;' y=\"&quot;\">"
				  "<!-- a comment with <tags> -->"
				  "<?pi stuff?>"
				  "<b>A&lt;B&gt;&#x20AC;<![CDATA[<raw> ]]]></b></a>",
				  &t, &r);

	(void)unused;
	assert_string_equal(log, "S1 a ns=-1 x=1&2 AB' y=\"\n"
				 "S2 b ns=-1\n"
				 "E2 b ns=-1 text=A<B>\xe2\x82\xac<raw> ]\n"
				 "E1 a ns=-1 text=\n");
	assert_int_equal(t.errors, 0);
}

static void
test_xml_a_bad_reference_is_kept_as_it_came_and_counted(void **unused)
{
	struct xml_tok t;
	struct rec r;
	const char *log = run_all("<a>x&bogus;y&#0;z&amp</a>", &t, &r);

	(void)unused;
	assert_string_equal(log, "S1 a ns=-1\nE1 a ns=-1 text=x&bogus;y&#0;z&amp\n");
	assert_int_equal(t.errors, 3);
}

static void
test_xml_stop_after_an_event_returns_the_bytes_up_to_its_tag(void **unused)
{
	static const char doc[] = "<s><proceed xmlns='x'/>\x16\x03\x01 TLS";
	struct xml_tok t;
	struct rec r;
	size_t used;

	(void)unused;
	xml_tok_init(&t, ns_table);
	memset(&r, 0, sizeof(r));
	r.stop_at = "proceed";
	used = xml_feed(&t, (const uint8_t *)doc, sizeof(doc) - 1, rec_event, &r);
	assert_int_equal(used, strlen("<s><proceed xmlns='x'/>"));
	/* Byte by byte, the stop comes at the same byte. */
	xml_tok_init(&t, ns_table);
	memset(&r, 0, sizeof(r));
	r.stop_at = "proceed";
	for (used = 0; used < sizeof(doc) - 1; used++)
		if (xml_feed(&t, (const uint8_t *)doc + used, 1, rec_event, &r) == 1 &&
		    strstr(r.log, "E2 proceed"))
			break;
	assert_int_equal(used + 1, strlen("<s><proceed xmlns='x'/>"));
}

static void
test_xml_a_restarted_stream_becomes_the_root(void **unused)
{
	struct xml_tok t;
	struct rec r;
	const char *log = run_all(STREAM_HDR "<success/>" STREAM_HDR "<stream:features/>", &t, &r);

	(void)unused;
	assert_string_equal(log, "S1 stream:stream ns=0 to=example.org version=1.0\n"
				 "S2/ success ns=2\n"
				 "E2 success ns=2 text=\n"
				 "S2 stream:stream ns=0 to=example.org version=1.0\n"
				 "S2/ stream:features ns=0\n"
				 "E2 features ns=0 text=\n");
	assert_int_equal(t.depth, 1);
}

static void
test_xml_malformed_markup_is_counted_and_the_next_tag_is_read(void **unused)
{
	struct xml_tok t;
	struct rec r;
	const char *log =
		run_all("<a><1x/><b c=d/><b c='d'e='f'/><b c='<'/>< b/></a><a></x></x>", &t, &r);

	(void)unused;
	/* Each broken tag is dropped; reading goes on as text up to the next
	 * '<'; an end tag with nothing open gives no event. */
	assert_string_equal(log, "S1 a ns=-1\n"
				 "E1 a ns=-1 text=1x/>d/>e='f'/>'/> b/>\n"
				 "S1 a ns=-1\n"
				 "E1 x ns=-1 text=\n");
	assert_int_equal(t.errors, 7);
}

static void
test_xml_doctype_is_skipped_and_counted_never_expanded(void **unused)
{
	struct xml_tok t;
	struct rec r;
	const char *log =
		run_all("<!DOCTYPE a [<!ENTITY e 'boom'> <!ELEMENT a ANY>]><a>&e;</a>", &t, &r);

	(void)unused;
	assert_string_equal(log, "S1 a ns=-1\nE1 a ns=-1 text=&e;\n");
	assert_int_equal(t.errors, 2); /* the DOCTYPE, the unknown entity */
}

static void
test_xml_caps_cut_names_values_text_and_drop_attributes(void **unused)
{
	char doc[4096], name[64], value[200];
	struct xml_tok t;
	struct rec r;
	size_t n = 0;

	(void)unused;
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	memset(value, 'v', sizeof(value) - 1);
	value[sizeof(value) - 1] = '\0';
	n += (size_t)snprintf(doc + n, sizeof(doc) - n, "<%s a='%s' b='1' c='2' d='3' e='4'>", name,
			      value);
	for (int i = 0; i < XML_TEXT_MAX + 10; i++)
		doc[n++] = 'x';
	n += (size_t)snprintf(doc + n, sizeof(doc) - n, "</%s>", name);
	doc[n] = '\0';
	run_all(doc, &t, &r);
	assert_non_null(strstr(r.log, "S1 nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn ns=-1 a=vvvv"));
	assert_non_null(strstr(r.log, "vvvv... b=1 c=2 d=3\n"));
	assert_non_null(strstr(r.log, "xxxx...\n"));
	assert_int_equal(t.attrs_dropped, 1);
	assert_int_equal(t.errors, 0);
}

static void
test_xml_namespaces_past_the_depth_cap_resolve_on_their_own_element(void **unused)
{
	char doc[2048];
	size_t n = 0;
	struct xml_tok t;
	struct rec r;

	(void)unused;
	n += (size_t)snprintf(doc + n, sizeof(doc) - n, "<r xmlns:p='jabber:client'>");
	for (int i = 0; i < XML_DEPTH_MAX + 2; i++)
		n += (size_t)snprintf(doc + n, sizeof(doc) - n, "<d>");
	n += (size_t)snprintf(doc + n, sizeof(doc) - n,
			      "<q:x xmlns:q='urn:ietf:params:xml:ns:xmpp-tls'><q:y/></q:x><p:z/>");
	for (int i = 0; i < XML_DEPTH_MAX + 2; i++)
		n += (size_t)snprintf(doc + n, sizeof(doc) - n, "</d>");
	snprintf(doc + n, sizeof(doc) - n, "</r>");
	run_all(doc, &t, &r);
	/* Its own declaration applies to q:x, not to its children (that
	 * level is not kept); the root's p is still known. */
	assert_non_null(strstr(r.log, "S12 q:x ns=1\n"));
	assert_non_null(strstr(r.log, "S13/ q:y ns=-1\n"));
	assert_non_null(strstr(r.log, "S12/ p:z ns=2\n"));
	assert_int_equal(t.depth, 0);
}

static void
test_xml_random_bytes_never_break_the_tokenizer(void **unused)
{
	uint8_t buf[512];
	uint64_t x = 0x9e3779b97f4a7c15ull;
	struct xml_tok t;
	struct rec r;

	(void)unused;
	for (int trial = 0; trial < 2000; trial++) {
		size_t len = 1 + trial % sizeof(buf);

		for (size_t i = 0; i < len; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			/* Mostly markup characters, so that states are reached. */
			buf[i] = (uint8_t)("<>/='\"&;#x![]-? a:b\n"[x % 21]);
			if (x % 97 == 0)
				buf[i] = (uint8_t)(x >> 8);
		}
		xml_tok_init(&t, ns_table);
		memset(&r, 0, sizeof(r));
		assert_int_equal(xml_feed(&t, buf, len, rec_event, &r), len);
		assert_true(t.raw_len <= XML_RAW_MAX && t.text_len <= XML_TEXT_MAX);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xml_stream_features_resolve_prefixes_and_default_namespaces),
		cmocka_unit_test(test_xml_text_entities_cdata_comments_and_pis),
		cmocka_unit_test(test_xml_a_bad_reference_is_kept_as_it_came_and_counted),
		cmocka_unit_test(test_xml_stop_after_an_event_returns_the_bytes_up_to_its_tag),
		cmocka_unit_test(test_xml_a_restarted_stream_becomes_the_root),
		cmocka_unit_test(test_xml_malformed_markup_is_counted_and_the_next_tag_is_read),
		cmocka_unit_test(test_xml_doctype_is_skipped_and_counted_never_expanded),
		cmocka_unit_test(test_xml_caps_cut_names_values_text_and_drop_attributes),
		cmocka_unit_test(
			test_xml_namespaces_past_the_depth_cap_resolve_on_their_own_element),
		cmocka_unit_test(test_xml_random_bytes_never_break_the_tokenizer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
