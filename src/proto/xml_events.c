/*
 * xml_events.c - what a complete tag becomes in the streaming XML tokenizer
 * of xml.h: its attributes sorted into namespace declarations and
 * attributes kept, its START and END events (names split at the prefix,
 * namespaces resolved through the scopes of the open elements), and the
 * stack of open elements those events push and pop. xml.c reads the bytes.
 *
 * References: Namespaces in XML 1.0 (Third Edition), W3C 2009 (sections 3
 * declaring, 5 scoping and applying namespaces); XML 1.0 (Fifth Edition)
 * section 3.1 (start tags, end tags, empty-element tags).
 */
#include "xml.h"

#include <string.h>

/* ---- namespaces ----------------------------------------------------------- */

static int
xml_ns_id(const struct xml_tok *t, const uint8_t *uri, size_t n, bool cut)
{
	if (cut || n == 0 || !t->ns_table)
		return XML_NS_NONE;
	for (size_t i = 0; t->ns_table[i] && i < INT8_MAX; i++)
		if (strlen(t->ns_table[i]) == n && memcmp(t->ns_table[i], uri, n) == 0)
			return (int)i;
	return XML_NS_NONE;
}

/* What scope s says of prefix: an id, XML_NS_NONE, or XML_NS_INHERIT
 * when it does not declare it. */
static int
xml_scope_ns(const struct xml_scope *s, const char *prefix)
{
	if (prefix[0] == '\0')
		return s->default_ns;
	for (size_t i = 0; i < s->n_decls; i++)
		if (strcmp(s->decls[i].prefix, prefix) == 0)
			return s->decls[i].ns;
	return XML_NS_INHERIT;
}

/* The innermost open element's scope is t->cur when it was not kept on the
 * stack (deeper than XML_DEPTH_MAX) and is still open. */
static bool
cur_open_deep(const struct xml_tok *t)
{
	return t->depth > XML_DEPTH_MAX && t->cur_open;
}

int
xml_tok_ns(const struct xml_tok *t, const char *prefix)
{
	int ns;

	if (cur_open_deep(t) && (ns = xml_scope_ns(&t->cur, prefix)) != XML_NS_INHERIT)
		return ns;
	for (size_t i = t->depth < XML_DEPTH_MAX ? t->depth : XML_DEPTH_MAX; i-- > 0;)
		if ((ns = xml_scope_ns(&t->scopes[i], prefix)) != XML_NS_INHERIT)
			return ns;
	return XML_NS_NONE;
}

/* ---- tags ------------------------------------------------------------------- */

/* The attribute just read: a namespace declaration, or one to keep. */
void
xml_attr_done(struct xml_tok *t)
{
	struct xml_attr *a = &t->attr;
	int ns;

	a->name[t->attr_name_len] = '\0';
	if (!t->attr_name_cut && strcmp(a->name, "xmlns") == 0) {
		t->cur.default_ns = (int8_t)xml_ns_id(t, a->value, a->value_len, a->value_cut);
		return;
	}
	if (strncmp(a->name, "xmlns:", 6) == 0) {
		const char *prefix = a->name + 6;

		ns = xml_ns_id(t, a->value, a->value_len, a->value_cut);
		if (t->attr_name_cut || prefix[0] == '\0' || strlen(prefix) >= XML_PREFIX_MAX ||
		    t->cur.n_decls >= XML_DECLS_MAX) {
			t->attrs_dropped++;
			return;
		}
		strcpy(t->cur.decls[t->cur.n_decls].prefix, prefix);
		t->cur.decls[t->cur.n_decls++].ns = (int8_t)ns;
		return;
	}
	if (t->n_attrs >= XML_ATTRS_MAX) {
		t->attrs_dropped++;
		return;
	}
	t->attrs[t->n_attrs++] = *a;
}

/* Splits the tag's name into qn (prefix NUL local) and fills ev's names. */
static void
xml_event_names(const struct xml_tok *t, struct xml_event *ev, char *qn)
{
	char *colon;

	memcpy(qn, t->name, t->name_len);
	qn[t->name_len] = '\0';
	colon = strchr(qn, ':');
	if (colon && colon != qn) {
		*colon = '\0';
		ev->prefix = qn;
		ev->local = colon + 1;
	} else {
		ev->prefix = "";
		ev->local = qn;
	}
	ev->name_cut = t->name_cut;
	ev->raw = t->raw;
	ev->raw_len = t->raw_len;
}

static void
xml_text_reset(struct xml_tok *t)
{
	t->text_len = 0;
	t->text_cut = false;
	t->in_entity = false;
}

/* The end of the innermost open element: its END, then it is closed. */
bool
xml_emit_end(struct xml_tok *t, bool empty, xml_event_fn fn, void *ctx)
{
	struct xml_event ev = {0};
	char qn[XML_NAME_MAX];
	bool stop;

	if (t->depth == 0) {
		t->errors++; /* an end tag with nothing open */
		xml_text_reset(t);
		return false;
	}
	ev.type = XML_END;
	xml_event_names(t, &ev, qn);
	ev.ns = xml_tok_ns(t, ev.prefix);
	ev.depth = t->depth;
	ev.empty = empty;
	if (!empty) {
		ev.text = t->text;
		ev.text_len = t->text_len;
		ev.text_cut = t->text_cut;
	}
	stop = fn(ctx, &ev);
	xml_text_reset(t);
	t->depth--;
	t->cur_open = false; /* its scope is gone */
	return stop;
}

bool
xml_emit_start(struct xml_tok *t, bool empty, xml_event_fn fn, void *ctx)
{
	struct xml_event ev = {0};
	char qn[XML_NAME_MAX];
	bool stop;

	if (t->depth < UINT32_MAX)
		t->depth++;
	if (t->depth <= XML_DEPTH_MAX)
		t->scopes[t->depth - 1] = t->cur;
	t->cur_open = true;
	ev.type = XML_START;
	xml_event_names(t, &ev, qn);
	ev.ns = xml_tok_ns(t, ev.prefix);
	ev.depth = t->depth;
	ev.empty = empty;
	ev.attrs = t->attrs;
	ev.n_attrs = t->n_attrs;
	stop = fn(ctx, &ev);
	xml_text_reset(t);
	if (empty)
		stop = xml_emit_end(t, true, fn, ctx) || stop;
	return stop;
}

void
xml_tok_make_root(struct xml_tok *t)
{
	if (t->depth == 0)
		return;
	if (t->depth <= XML_DEPTH_MAX)
		t->scopes[0] = t->scopes[t->depth - 1];
	else if (t->cur_open)
		t->scopes[0] = t->cur;
	else
		t->scopes[0] = (struct xml_scope){.default_ns = XML_NS_INHERIT};
	t->depth = 1;
}

const struct xml_attr *
xml_event_attr(const struct xml_event *ev, const char *name)
{
	for (size_t i = 0; i < ev->n_attrs; i++)
		if (strcmp(ev->attrs[i].name, name) == 0)
			return &ev->attrs[i];
	return NULL;
}
