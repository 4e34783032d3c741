/*
 * xml.c - the streaming XML tokenizer of xml.h.
 *
 * References: Extensible Markup Language (XML) 1.0 (Fifth Edition), W3C
 * 2008 (sections 2.3 names and literals, 2.4 character data, 2.5
 * comments, 2.6 processing instructions, 2.7 CDATA sections, 3.1 tags,
 * 4.1 character and entity references, 4.6 predefined entities);
 * Namespaces in XML 1.0 (Third Edition), W3C 2009 (sections 3 declaring,
 * 5 scoping and applying namespaces); RFC 6120 section 11 (the XML
 * restrictions of XMPP: no comments, PIs other than the declaration, DTDs
 * or entity references other than the predefined ones).
 *
 * Grammar read, one byte at a time (S is XML whitespace: SP HT CR LF):
 *   content  = *(chardata / element-markup / reference / CDSect / PI / Comment)
 *   start    = "<" Name *(S Name S? "=" S? ("'" value "'" / DQ value DQ)) S? ["/"] ">"
 *   end      = "</" Name S? ">"
 *   PI       = "<?" ... "?>"        Comment = "<!--" ... "-->"
 *   CDSect   = "<![CDATA[" ... "]]>" doctype = "<!" ... ">" (brackets nested)
 *   reference = "&" (name / "#" digits / "#x" hexdigits) ";"
 * Anything else inside markup is an error: counted, and reading goes on as
 * character data from the byte that broke the rule. What a complete tag
 * becomes (its events, its namespace declarations) is xml_events.c's.
 */
#include "xml.h"

#include <string.h>

enum xml_state {
	XS_TEXT = 0,
	XS_LT,		    /* after '<' */
	XS_START_NAME,	    /* a start tag's name */
	XS_IN_TAG,	    /* between attributes */
	XS_ATTR_NAME,	    /* an attribute's name */
	XS_ATTR_EQ,	    /* after its name, before '=' */
	XS_ATTR_VALUE_OPEN, /* after '=', before the quote */
	XS_ATTR_VALUE,	    /* inside the quotes */
	XS_ATTR_AFTER,	    /* after the closing quote */
	XS_EMPTY_SLASH,	    /* after the '/' of "/>" */
	XS_END_NAME,	    /* an end tag's name */
	XS_END_WS,	    /* after an end tag's name */
	XS_PI,		    /* inside "<?" ... "?>" */
	XS_BANG,	    /* after "<!" */
	XS_COMMENT_OPEN,    /* after "<!-" */
	XS_COMMENT,	    /* inside "<!--" ... "-->" */
	XS_CDATA_OPEN,	    /* inside "<![CDATA[" */
	XS_CDATA,	    /* inside "<![CDATA[" ... "]]>" */
	XS_DECL,	    /* inside "<!DOCTYPE" ... ">" */
};

static bool
xml_is_space(uint8_t b)
{
	return b == ' ' || b == '\t' || b == '\r' || b == '\n';
}

static bool
xml_is_name_start(uint8_t b)
{
	return (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || b == '_' || b == ':' ||
	       b >= 0x80;
}

static bool
xml_is_name_char(uint8_t b)
{
	return xml_is_name_start(b) || (b >= '0' && b <= '9') || b == '-' || b == '.';
}

void
xml_tok_init(struct xml_tok *t, const char *const *ns_table)
{
	memset(t, 0, sizeof(*t));
	t->ns_table = ns_table;
	t->cur.default_ns = XML_NS_INHERIT;
}

/* ---- buffers ---------------------------------------------------------------- */

static void
xml_raw_put(struct xml_tok *t, uint8_t b)
{
	if (t->raw_len < XML_RAW_MAX)
		t->raw[t->raw_len++] = b;
}

static void
xml_text_put(struct xml_tok *t, uint8_t b)
{
	if (t->text_len < XML_TEXT_MAX)
		t->text[t->text_len++] = b;
	else
		t->text_cut = true;
}

static void
xml_value_put(struct xml_tok *t, uint8_t b)
{
	if (t->attr.value_len < XML_VALUE_MAX)
		t->attr.value[t->attr.value_len++] = b;
	else
		t->attr.value_cut = true;
}

static void
xml_put(struct xml_tok *t, bool value, uint8_t b)
{
	if (value)
		xml_value_put(t, b);
	else
		xml_text_put(t, b);
}

static void
xml_name_put(struct xml_tok *t, uint8_t b)
{
	if (t->name_len < XML_NAME_MAX - 1)
		t->name[t->name_len++] = (char)b;
	else
		t->name_cut = true;
}

static void
xml_attr_name_put(struct xml_tok *t, uint8_t b)
{
	if (t->attr_name_len < XML_NAME_MAX - 1)
		t->attr.name[t->attr_name_len++] = (char)b;
	else
		t->attr_name_cut = true;
}

/* ---- references --------------------------------------------------------------- */

/* The code point of a reference's body ("amp", "#65", "#x41"), or -1. */
static long
xml_entity_value(const char *e, size_t n)
{
	static const struct {
		const char *name;
		char ch;
	} predefined[] = {{"lt", '<'}, {"gt", '>'}, {"amp", '&'}, {"apos", '\''}, {"quot", '"'}};
	long v = 0;
	size_t i = 1;
	int base = 10;

	if (n == 0)
		return -1;
	if (e[0] != '#') {
		for (size_t k = 0; k < sizeof(predefined) / sizeof(predefined[0]); k++)
			if (strlen(predefined[k].name) == n &&
			    memcmp(predefined[k].name, e, n) == 0)
				return predefined[k].ch;
		return -1;
	}
	if (n > 1 && e[1] == 'x') {
		base = 16;
		i = 2;
	}
	if (i >= n)
		return -1;
	for (; i < n; i++) {
		int d;

		if (e[i] >= '0' && e[i] <= '9')
			d = e[i] - '0';
		else if (base == 16 && e[i] >= 'a' && e[i] <= 'f')
			d = e[i] - 'a' + 10;
		else if (base == 16 && e[i] >= 'A' && e[i] <= 'F')
			d = e[i] - 'A' + 10;
		else
			return -1;
		v = v * base + d;
		if (v > 0x10FFFF)
			return -1;
	}
	return v == 0 ? -1 : v;
}

/* Appends a code point as UTF-8. */
static void
xml_put_utf8(struct xml_tok *t, bool value, long cp)
{
	if (cp < 0x80) {
		xml_put(t, value, (uint8_t)cp);
	} else if (cp < 0x800) {
		xml_put(t, value, (uint8_t)(0xC0 | (cp >> 6)));
		xml_put(t, value, (uint8_t)(0x80 | (cp & 0x3F)));
	} else if (cp < 0x10000) {
		xml_put(t, value, (uint8_t)(0xE0 | (cp >> 12)));
		xml_put(t, value, (uint8_t)(0x80 | ((cp >> 6) & 0x3F)));
		xml_put(t, value, (uint8_t)(0x80 | (cp & 0x3F)));
	} else {
		xml_put(t, value, (uint8_t)(0xF0 | (cp >> 18)));
		xml_put(t, value, (uint8_t)(0x80 | ((cp >> 12) & 0x3F)));
		xml_put(t, value, (uint8_t)(0x80 | ((cp >> 6) & 0x3F)));
		xml_put(t, value, (uint8_t)(0x80 | (cp & 0x3F)));
	}
}

/* A reference that does not end well: an error, its bytes kept as they came. */
static void
xml_entity_flush(struct xml_tok *t, bool value)
{
	if (!t->in_entity)
		return;
	t->errors++;
	xml_put(t, value, '&');
	for (size_t i = 0; i < t->ent_len; i++)
		xml_put(t, value, (uint8_t)t->ent[i]);
	t->in_entity = false;
}

/* Character data or an attribute value byte, references decoded. */
static void
xml_char(struct xml_tok *t, bool value, uint8_t b)
{
	if (t->in_entity) {
		if (b == ';') {
			long cp = xml_entity_value(t->ent, t->ent_len);

			if (cp < 0) {
				xml_entity_flush(t, value);
				xml_put(t, value, ';');
			} else {
				t->in_entity = false;
				xml_put_utf8(t, value, cp);
			}
			return;
		}
		if (t->ent_len < sizeof(t->ent) &&
		    ((b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') ||
		     b == '#')) {
			t->ent[t->ent_len++] = (char)b;
			return;
		}
		xml_entity_flush(t, value);
	}
	if (b == '&') {
		t->in_entity = true;
		t->ent_len = 0;
		return;
	}
	xml_put(t, value, b);
}

/* ---- the byte machine ----------------------------------------------------------- */

/* A start tag begins with its first name byte. */
static void
xml_start_tag(struct xml_tok *t, uint8_t b)
{
	t->end_tag = false;
	t->name_len = 0;
	t->name_cut = false;
	t->n_attrs = 0;
	t->cur.default_ns = XML_NS_INHERIT;
	t->cur.n_decls = 0;
	t->cur_open = false;
	xml_name_put(t, b);
	t->state = XS_START_NAME;
}

static void
xml_attr_begin(struct xml_tok *t, uint8_t b)
{
	memset(&t->attr, 0, sizeof(t->attr));
	t->attr_name_len = 0;
	t->attr_name_cut = false;
	xml_attr_name_put(t, b);
	t->state = XS_ATTR_NAME;
}

/* Markup broke a rule: counted, and b is read again as character data. */
static bool
xml_error(struct xml_tok *t)
{
	t->errors++;
	t->state = XS_TEXT;
	return true;
}

/* After a start tag's name or an attribute's value (and between
 * attributes): S goes on to the attributes, "/" or ">" ends the tag,
 * anything else is an error. */
static bool
xml_tag_rest(struct xml_tok *t, uint8_t b, int *emit)
{
	if (xml_is_space(b))
		t->state = XS_IN_TAG;
	else if (b == '/')
		t->state = XS_EMPTY_SLASH;
	else if (b == '>')
		*emit = 1;
	else
		return xml_error(t);
	return false;
}

/* One byte of a start tag, its attributes included (see xml_markup_byte). */
static bool
xml_start_tag_byte(struct xml_tok *t, uint8_t b, int *emit)
{
	switch ((enum xml_state)t->state) {
	case XS_START_NAME:
		if (!xml_is_name_char(b))
			return xml_tag_rest(t, b, emit);
		xml_name_put(t, b);
		break;
	case XS_IN_TAG:
		if (!xml_is_name_start(b))
			return xml_tag_rest(t, b, emit);
		xml_attr_begin(t, b);
		break;
	case XS_ATTR_NAME:
		if (xml_is_name_char(b))
			xml_attr_name_put(t, b);
		else if (xml_is_space(b))
			t->state = XS_ATTR_EQ;
		else if (b == '=')
			t->state = XS_ATTR_VALUE_OPEN;
		else
			return xml_error(t);
		break;
	case XS_ATTR_EQ:
		if (b == '=')
			t->state = XS_ATTR_VALUE_OPEN;
		else if (!xml_is_space(b))
			return xml_error(t);
		break;
	case XS_ATTR_VALUE_OPEN:
		if (b == '\'' || b == '"') {
			t->quote = b;
			t->in_entity = false;
			t->state = XS_ATTR_VALUE;
		} else if (!xml_is_space(b)) {
			return xml_error(t);
		}
		break;
	case XS_ATTR_VALUE:
		if (b == t->quote) {
			xml_entity_flush(t, true);
			xml_attr_done(t);
			t->state = XS_ATTR_AFTER;
		} else if (b == '<') {
			t->in_entity = false;
			return xml_error(t);
		} else {
			xml_char(t, true, b);
		}
		break;
	case XS_ATTR_AFTER:
		return xml_tag_rest(t, b, emit);
	case XS_EMPTY_SLASH:
		if (b != '>')
			return xml_error(t);
		*emit = 2;
		break;
	default:
		break;
	}
	return false;
}

/* One byte of an end tag (see xml_markup_byte). */
static bool
xml_end_tag_byte(struct xml_tok *t, uint8_t b, int *emit)
{
	if (t->state == XS_END_WS) {
		if (b == '>')
			*emit = 3;
		else if (!xml_is_space(b))
			return xml_error(t);
	} else if (t->name_len == 0 && !t->name_cut) {
		if (!xml_is_name_start(b))
			return xml_error(t);
		xml_name_put(t, b);
	} else if (xml_is_name_char(b)) {
		xml_name_put(t, b);
	} else if (xml_is_space(b)) {
		t->state = XS_END_WS;
	} else if (b == '>') {
		*emit = 3;
	} else {
		return xml_error(t);
	}
	return false;
}

/* One byte of what is no element: a PI, a comment, a CDATA section, a
 * DOCTYPE (see xml_markup_byte). */
static bool
xml_other_markup_byte(struct xml_tok *t, uint8_t b)
{
	static const char cdata[] = "[CDATA[";

	switch ((enum xml_state)t->state) {
	case XS_PI:
		if (b == '>' && t->match == 1)
			t->state = XS_TEXT;
		else
			t->match = b == '?';
		break;
	case XS_BANG:
		if (b == '-') {
			t->state = XS_COMMENT_OPEN;
		} else if (b == '[') {
			t->match = 1;
			t->state = XS_CDATA_OPEN;
		} else {
			t->errors++; /* a DOCTYPE (or another declaration): skipped */
			t->bracket = 0;
			t->state = XS_DECL;
			return true;
		}
		break;
	case XS_COMMENT_OPEN:
		if (b != '-')
			return xml_error(t);
		t->match = 0;
		t->state = XS_COMMENT;
		break;
	case XS_COMMENT:
		if (b == '-')
			t->match = t->match < 2 ? t->match + 1 : 2;
		else if (b == '>' && t->match == 2)
			t->state = XS_TEXT;
		else
			t->match = 0;
		break;
	case XS_CDATA_OPEN:
		if ((char)b != cdata[t->match])
			return xml_error(t);
		if (++t->match == sizeof(cdata) - 1) {
			t->match = 0;
			t->state = XS_CDATA;
		}
		break;
	case XS_CDATA:
		if (b == ']') {
			if (t->match < 2)
				t->match++;
			else
				xml_text_put(t, ']'); /* "]]]>": one of them is data */
		} else if (b == '>' && t->match == 2) {
			t->match = 0;
			t->state = XS_TEXT;
		} else {
			for (; t->match > 0; t->match--)
				xml_text_put(t, ']');
			xml_text_put(t, b);
		}
		break;
	case XS_DECL:
		if (b == '[')
			t->bracket = t->bracket < UINT8_MAX ? t->bracket + 1 : t->bracket;
		else if (b == ']' && t->bracket > 0)
			t->bracket--;
		else if (b == '>' && t->bracket == 0)
			t->state = XS_TEXT;
		break;
	default:
		break;
	}
	return false;
}

/* One byte inside markup. Returns true when b must be read again in the
 * state it left (an error sends it back to character data). Sets *emit to
 * 1 for a start tag's end, 2 for an empty-element tag's, 3 for an end tag's. */
static bool
xml_markup_byte(struct xml_tok *t, uint8_t b, int *emit)
{
	switch ((enum xml_state)t->state) {
	case XS_TEXT:
		return false;
	case XS_LT:
		if (b == '/') {
			t->end_tag = true;
			t->name_len = 0;
			t->name_cut = false;
			t->state = XS_END_NAME;
		} else if (b == '?') {
			t->match = 0;
			t->state = XS_PI;
		} else if (b == '!') {
			t->state = XS_BANG;
		} else if (xml_is_name_start(b)) {
			xml_start_tag(t, b);
		} else {
			return xml_error(t);
		}
		return false;
	case XS_START_NAME:
	case XS_IN_TAG:
	case XS_ATTR_NAME:
	case XS_ATTR_EQ:
	case XS_ATTR_VALUE_OPEN:
	case XS_ATTR_VALUE:
	case XS_ATTR_AFTER:
	case XS_EMPTY_SLASH:
		return xml_start_tag_byte(t, b, emit);
	case XS_END_NAME:
	case XS_END_WS:
		return xml_end_tag_byte(t, b, emit);
	default:
		return xml_other_markup_byte(t, b);
	}
}

size_t
xml_feed(struct xml_tok *t, const uint8_t *p, size_t n, xml_event_fn fn, void *ctx)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t b = p[i];
		int emit = 0;
		bool stop = false;

		if (t->state == XS_TEXT) {
			/* Character data up to the next '<', in one go. */
			const uint8_t *lt = memchr(p + i, '<', n - i);
			size_t end = lt ? (size_t)(lt - p) : n;

			for (; i < end; i++)
				xml_char(t, false, p[i]);
			if (i == n)
				break;
			b = p[i];
			xml_entity_flush(t, false);
			t->raw_len = 0;
			xml_raw_put(t, b);
			t->state = XS_LT;
			continue;
		}
		xml_raw_put(t, b);
		if (xml_markup_byte(t, b, &emit)) {
			/* Read again: as character data (an error), or as the
			 * first byte of a DOCTYPE's body. */
			if (t->state == XS_TEXT) {
				i--;
				continue;
			}
			xml_markup_byte(t, b, &emit);
		}
		if (emit == 0)
			continue;
		t->state = XS_TEXT;
		if (emit == 3)
			stop = xml_emit_end(t, false, fn, ctx);
		else
			stop = xml_emit_start(t, emit == 2, fn, ctx);
		if (stop)
			return i + 1;
	}
	return n;
}
