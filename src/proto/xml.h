/*
 * xml.h - a small streaming XML tokenizer for the parsers of XML-framed
 * protocols (XMPP): element starts and ends with their namespaces resolved,
 * the attributes of a start tag, the character data of a leaf element and
 * the bytes of each tag as they came, all under fixed caps.
 *
 * It is a push parser driven one byte at a time, so that whatever the
 * chunking of the stream, every event fires at the same byte with the same
 * content: a caller may stop it after any event and hand the rest of the
 * stream to someone else (XMPP's <proceed/>: the next byte is TLS).
 *
 * What it reads (XML 1.0 and Namespaces in XML 1.0, the subset a stream of
 * XMPP stanzas uses): start tags, end tags and empty-element tags; attribute
 * values in single or double quotes; the predefined entities (&lt; &gt;
 * &amp; &apos; &quot;) and character references (&#65; &#x41;) in
 * attribute values and character data; CDATA sections; namespace
 * declarations (xmlns, xmlns:p) scoped to their element. It skips the XML
 * declaration and other processing instructions and comments.
 *
 * What it does not do: validate (an end tag's name is not checked against
 * its start tag's; names are not checked for Unicode classes: any byte
 * above 0x7f is a name character), read a DTD (XMPP forbids them, RFC 6120
 * section 11.1: a <!DOCTYPE ...> is skipped up to its '>', outside
 * brackets, and counted as an error, never expanded), resolve namespaces
 * of elements nested deeper than XML_DEPTH_MAX (their own declarations
 * still apply to themselves; their children resolve against the levels
 * kept), keep more than the caps below (a longer name, value or text is
 * cut and says so; attributes past XML_ATTRS_MAX are dropped and counted).
 *
 * Malformed markup is counted in xml_tok.errors and skipped: the tokenizer
 * goes back to reading character data at the next byte, so that a stray
 * '<' costs at most the tag it opened.
 */
#ifndef TLSWATCH_PROTO_XML_H
#define TLSWATCH_PROTO_XML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define XML_NAME_MAX 32	  /* bytes of a qualified name kept, NUL included */
#define XML_PREFIX_MAX 16 /* bytes of a declared prefix kept, NUL included */
#define XML_VALUE_MAX 64  /* bytes of an attribute value kept */
#define XML_ATTRS_MAX 4	  /* attributes kept per start tag (xmlns declarations apart) */
#define XML_DECLS_MAX 4	  /* prefix declarations kept per element */
#define XML_DEPTH_MAX 8	  /* levels whose namespace declarations are kept */
#define XML_TEXT_MAX 1024 /* bytes of character data kept per element */
#define XML_RAW_MAX 200	  /* bytes of a tag kept as it came (evidence) */

/* Namespace ids: an index into the caller's table (>= 0), or one of these. */
#define XML_NS_NONE (-1)    /* no namespace, or one the table does not list */
#define XML_NS_INHERIT (-2) /* (a scope's default: none declared at this level) */

enum xml_event_type {
	XML_START, /* a start tag or an empty-element tag */
	XML_END,   /* an end tag, or right after the START of an empty-element tag */
};

struct xml_attr {
	char name[XML_NAME_MAX]; /* qualified ("mechanism", "xml:lang"), cut */
	uint8_t value[XML_VALUE_MAX];
	uint16_t value_len;
	bool value_cut; /* longer than XML_VALUE_MAX */
};

struct xml_event {
	enum xml_event_type type;
	const char *prefix; /* "" when the name has none */
	const char *local;  /* the local name */
	bool name_cut;	    /* the qualified name was longer than XML_NAME_MAX - 1 */
	int ns;		    /* the element's namespace (a table index or XML_NS_NONE) */
	unsigned depth;	    /* 1 for a root element; an END has its START's depth */
	bool empty;	    /* an empty-element tag (<x/>): its END follows at once */
	/* START: the attributes kept, in order (namespace declarations are
	 * not attributes here). */
	const struct xml_attr *attrs;
	size_t n_attrs;
	/* The tag's bytes from '<' to '>', cut at XML_RAW_MAX. */
	const uint8_t *raw;
	size_t raw_len;
	/* END: the character data read since the tag before this one (for a
	 * leaf element, its content), entities decoded, cut at XML_TEXT_MAX. */
	const uint8_t *text;
	size_t text_len;
	bool text_cut;
};

/* A caller's handler; returns true to stop the tokenizer right after this
 * event's tag (xml_feed returns the bytes up to its '>'). */
typedef bool (*xml_event_fn)(void *ctx, const struct xml_event *ev);

/* One namespace scope: what an element declared. */
struct xml_scope {
	int8_t default_ns; /* xmlns="...": an id, XML_NS_NONE or XML_NS_INHERIT */
	uint8_t n_decls;
	struct {
		char prefix[XML_PREFIX_MAX];
		int8_t ns;
	} decls[XML_DECLS_MAX];
};

struct xml_tok {
	const char *const *ns_table; /* namespace URIs known, NULL-ended */
	uint8_t state;		     /* internal */
	uint8_t quote;		     /* the quote of the attribute value being read */
	uint8_t match;		     /* bytes of a terminator ("-->", "]]>", "?>") matched */
	uint8_t bracket;	     /* '[' depth inside a DOCTYPE */
	bool in_entity;
	uint8_t ent_len;
	char ent[12]; /* the entity reference being read, after '&' */
	/* The tag being read. */
	char name[XML_NAME_MAX];
	uint8_t name_len;
	bool name_cut;
	bool end_tag;
	struct xml_attr attrs[XML_ATTRS_MAX];
	uint8_t n_attrs;
	struct xml_attr attr; /* the attribute being read */
	uint8_t attr_name_len;
	bool attr_name_cut;
	struct xml_scope cur; /* its declarations */
	bool cur_open;	      /* ... and that element is the innermost one open */
	uint8_t raw[XML_RAW_MAX];
	uint16_t raw_len;
	/* Character data since the last tag. */
	uint8_t text[XML_TEXT_MAX];
	uint16_t text_len;
	bool text_cut;
	/* Open elements: the depth, and the scopes of the first XML_DEPTH_MAX. */
	unsigned depth;
	struct xml_scope scopes[XML_DEPTH_MAX];
	/* Counters (never reset but by xml_tok_init). */
	uint32_t errors;	/* malformed markup skipped, DOCTYPEs */
	uint32_t attrs_dropped; /* attributes past XML_ATTRS_MAX */
};

/* Readies t for a new document; ns_table (static storage, NULL-ended)
 * lists the namespace URIs whose ids events carry. */
void xml_tok_init(struct xml_tok *t, const char *const *ns_table);

/*
 * Reads p[0..n), calling fn for each event. Returns n, or, when fn returned
 * true, the bytes up to and including the '>' of that event's tag.
 */
size_t xml_feed(struct xml_tok *t, const uint8_t *p, size_t n, xml_event_fn fn, void *ctx);

/*
 * From fn, during a START that is not empty: that element becomes the root
 * (depth 1), every element still open is forgotten. For a stream that is
 * restarted without being closed (XMPP after <proceed/> or SASL success:
 * the new stream header arrives inside the old one).
 */
void xml_tok_make_root(struct xml_tok *t);

/* The namespace id that prefix ("" for the default namespace) has where
 * the tokenizer is: during a START, in that element's scope. */
int xml_tok_ns(const struct xml_tok *t, const char *prefix);

/* The value of attribute `name` (qualified, exact) of a START, or NULL. */
const struct xml_attr *xml_event_attr(const struct xml_event *ev, const char *name);

/* ---- Between xml.c (the bytes) and xml_events.c (the tags) ---------------- */

/* The attribute just read (t->attr): a namespace declaration into t->cur,
 * or an attribute kept. */
void xml_attr_done(struct xml_tok *t);
/* The tag just read (t->name, t->attrs) opens an element: its START (and
 * its END too when empty). Returns true when fn asked to stop. */
bool xml_emit_start(struct xml_tok *t, bool empty, xml_event_fn fn, void *ctx);
/* The innermost open element ends: its END, then it is closed. Returns
 * true when fn asked to stop. */
bool xml_emit_end(struct xml_tok *t, bool empty, xml_event_fn fn, void *ctx);

#endif
