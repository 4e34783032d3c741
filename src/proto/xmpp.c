/*
 * xmpp.c - Extensible Messaging and Presence Protocol (XMPP) stream parser:
 * STARTTLS, and the logins that cross the wire before TLS.
 *
 * References: RFC 6120 (XMPP core: section 4 streams and the stream
 * restart, 5 STARTTLS, 6 SASL, 11 XML restrictions), RFC 7590 (TLS in
 * XMPP), XEP-0368 (direct TLS, port 5223), XEP-0078 (non-SASL
 * authentication, jabber:iq:auth), RFC 4616 (PLAIN) and the other SASL
 * mechanisms through sasl.c; the XML through xml.c.
 *
 * Grammar subset (S: the server's stream, C: the client's; prefixes and
 * default namespaces as the stream declares them, single or double quotes,
 * split anywhere):
 *   both   [<?xml ...?>] <stream:stream xmlns:stream='http://etherx.jabber.org/streams'
 *          xmlns='jabber:client' (or 'jabber:server') to=... from=...>
 *   S      <stream:features> children, among them
 *            <starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'>[<required/>]</starttls>
 *            <mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>
 *              <mechanism>NAME</mechanism>...</mechanisms>
 *   C      <starttls xmlns='...xmpp-tls'/>
 *   S      <proceed xmlns='...xmpp-tls'/> (the next byte is TLS) or
 *          <failure xmlns='...xmpp-tls'/> (and the stream closes), or from
 *          a server without STARTTLS a <stream:error> (unsupported-stanza-type)
 *   C      <auth xmlns='...xmpp-sasl' mechanism='NAME'>[base64 or "="]</auth>,
 *          <response>base64</response>, <abort/>
 *   S      <challenge>base64</challenge>, <success/>, <failure>...</failure>
 *   C      <iq type='set' id=...><query xmlns='jabber:iq:auth'><username>U</username>
 *          <password>P</password> or <digest>D</digest>...</query></iq>
 *   S      <iq type='result' id=.../> or <iq type='error' id=...>
 * A new <stream:stream> inside the old one is the stream restart after
 * SASL success: it becomes the root again.
 *
 * Facts: the server's stream header (greeting); the first stream features
 * (the capability list: its children's names and the SASL mechanisms);
 * <starttls/> offered (and whether <required/>: an own field); a features
 * child whose name or namespace is overwritten with X's (capability
 * masked); PLAIN or LOGIN offered before TLS (auth_cleartext_offered);
 * <starttls/> asked, <proceed/> (switch to TLS after its '>') or <failure/>
 * or a stream error (refused); client bytes after <starttls/> before the answer (command
 * injection; a TLS record 0x16 first: the client went ahead; whitespace
 * between elements says nothing); a client element named with X's (the
 * command masked); any client element after a refusal (cleartext after
 * it); SASL logins (PLAIN, X-OAUTH2 with the same layout, LOGIN, and the
 * mechanisms without a reusable secret: SCRAM, DIGEST-MD5 ...) with their
 * <success/> or <failure/>; XEP-0078 logins (mechanism IQ-AUTH: a password,
 * or a digest, which is no reusable secret) with the <iq/> result or error
 * naming their id. Server bytes after <proceed/> are the core's: response
 * injection. After a login succeeded nothing more can change the outcome:
 * the parser stops reading.
 *
 * Own facts (struct xmpp_own): starttls `required` or `optional` as the
 * features offered it, the stream's kind (`c2s` for jabber:client, `s2s`
 * for jabber:server) and its domain (the client's `to`, else the server's
 * `from`, cut).
 *
 * Not handled: server-to-server dialback keys (no password), SASL
 * EXTERNAL's certificate, XEP-0138 stream compression (what follows is
 * read as XML and soon gives up: errors flagged), XEP-0114 component
 * handshakes, BOSH and WebSocket framings (RFC 7395: HTTP, not this
 * parser), whitespace keepalives after <proceed/> (the core reads them as
 * text slipped in before TLS), namespaces of elements nested deeper than
 * XML_DEPTH_MAX (none that matter here are).
 */
#include <string.h>

#include "cursor.h"
#include "line.h"
#include "xml.h"

/* The namespaces the parser tells apart (xml_tok ids). */
enum xmpp_ns {
	NS_STREAMS = 0,
	NS_TLS,
	NS_SASL,
	NS_CLIENT,
	NS_SERVER,
	NS_IQ_AUTH,
};

static const char *const xmpp_ns_table[] = {
	"http://etherx.jabber.org/streams",
	"urn:ietf:params:xml:ns:xmpp-tls",
	"urn:ietf:params:xml:ns:xmpp-sasl",
	"jabber:client",
	"jabber:server",
	"jabber:iq:auth",
	NULL,
};

enum xmpp_starttls {
	XMPP_TLS_NONE = 0,
	XMPP_TLS_OPTIONAL,
	XMPP_TLS_REQUIRED,
};

enum xmpp_stream {
	XMPP_STREAM_UNKNOWN = 0,
	XMPP_STREAM_C2S,
	XMPP_STREAM_S2S,
};

/* The facts only XMPP has, in proto_facts.own. */
struct xmpp_own {
	uint8_t starttls; /* enum xmpp_starttls */
	uint8_t stream;	  /* enum xmpp_stream */
	char domain[PROTO_OWN_MAX - 2];
};

_Static_assert(sizeof(struct xmpp_own) <= PROTO_OWN_MAX, "xmpp_own fits proto_facts.own");

#define XMPP_ID_MAX 32 /* bytes of a XEP-0078 <iq/> id kept to match its answer */

/* A XEP-0078 login being read (client) and waiting for its answer. */
struct xmpp_iq_auth {
	bool in_set;   /* inside <iq type='set'> */
	bool in_query; /* ... inside its <query xmlns='jabber:iq:auth'> */
	bool has_password, has_digest;
	char user[LOGIN_FIELD_MAX];
	uint8_t id[XMPP_ID_MAX];
	uint8_t id_len;
	uint8_t wait_id[XMPP_ID_MAX]; /* the login's id, for the server's answer */
	uint8_t wait_id_len;
	int login;	      /* waiting for the answer, -1 none */
	struct login pending; /* the login as read so far */
};

struct xmpp_state {
	bool stopped; /* first: proto_gap_stop sets it */
	struct xml_tok tok[2];
	struct proto_facts *f; /* during a feed: the facts the events go to */
	/* Server. */
	bool in_features, in_starttls, in_mechanisms;
	bool features_done;	       /* the first <stream:features> ended */
	uint8_t reply[REPLY_TEXT_MAX]; /* the <proceed> start tag, until its end */
	uint8_t reply_len;
	/* Client. */
	struct upgrade_wait tls_wait;
	struct line_asm injected; /* client bytes after <starttls/> (evidence) */
	struct sasl_exchange sasl;
	int login; /* the SASL login the server's outcome completes, -1 none */
	struct xmpp_iq_auth iq;
};

static struct xmpp_own *
xmpp_own(struct proto_facts *f)
{
	return (struct xmpp_own *)(void *)f->own;
}

static bool
xmpp_is(const struct xml_event *ev, int ns, const char *local)
{
	return ev->ns == ns && strcmp(ev->local, local) == 0;
}

/* Character data without XML whitespace (base64 may be wrapped), into out
 * (XML_TEXT_MAX bytes). */
static size_t
xmpp_text_squeeze(const struct xml_event *ev, uint8_t *out)
{
	size_t n = 0;

	for (size_t i = 0; i < ev->text_len; i++) {
		uint8_t b = ev->text[i];

		if (b != ' ' && b != '\t' && b != '\r' && b != '\n')
			out[n++] = b;
	}
	return n;
}

/* A quoted value in a raw tag that is masked ("XXXXXXXX...": a namespace
 * overwritten by a middlebox that keeps lengths). */
static bool
xmpp_raw_masked_value(const uint8_t *raw, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const uint8_t *end;

		if (raw[i] != '\'' && raw[i] != '"')
			continue;
		end = memchr(raw + i + 1, raw[i], n - i - 1);
		if (!end)
			return false;
		if (proto_token_is_masked(raw + i + 1, (size_t)(end - raw - i - 1)))
			return true;
		i = (size_t)(end - raw);
	}
	return false;
}

/* A stream header: the root again (a restarted stream), its kind and domain. */
static void
xmpp_stream_header(struct xmpp_state *s, struct proto_facts *f, enum dir dir,
		   const struct xml_event *ev)
{
	struct xmpp_own *o = xmpp_own(f);
	const struct xml_attr *a = xml_event_attr(ev, dir == DIR_C2S ? "to" : "from");
	int ns;

	if (ev->empty)
		return;
	xml_tok_make_root(&s->tok[dir]);
	if (dir == DIR_S2C)
		f->greeting = true;
	ns = xml_tok_ns(&s->tok[dir], "");
	if (o->stream == XMPP_STREAM_UNKNOWN && (ns == NS_CLIENT || ns == NS_SERVER))
		o->stream = ns == NS_CLIENT ? XMPP_STREAM_C2S : XMPP_STREAM_S2S;
	if (a && !o->domain[0])
		sasl_field_set(o->domain, sizeof(o->domain), a->value, a->value_len);
}

/* ---- client ----------------------------------------------------------------- */

/* <auth mechanism='NAME'>: a SASL exchange and its login. */
static void
xmpp_auth_start(struct xmpp_state *s, struct proto_facts *f, const struct xml_event *ev)
{
	const struct xml_attr *mech = xml_event_attr(ev, "mechanism");

	if (!mech) {
		f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
		return;
	}
	s->login = sasl_exchange_begin(&s->sasl, f, mech->value, mech->value_len);
	/* Google's X-OAUTH2 sends PLAIN's layout: NUL user NUL token. */
	if (text_equal_ci(mech->value, mech->value_len, "X-OAUTH2"))
		sasl_exchange_start(&s->sasl, SASL_MECH_PLAIN);
}

/* The base64 text of <auth> (initial response) or <response>. */
static void
xmpp_sasl_text(struct xmpp_state *s, struct proto_facts *f, const struct xml_event *ev,
	       bool initial)
{
	uint8_t b64[XML_TEXT_MAX];
	size_t n = xmpp_text_squeeze(ev, b64);

	if (!s->sasl.open)
		return;
	if (ev->text_cut)
		f->cap_hits++;
	if (initial && n == 0)
		return; /* no initial response: the server sends an empty challenge */
	if (initial)
		sasl_exchange_initial(&s->sasl, f, s->login, b64, n, ev->text_cut);
	else
		sasl_exchange_line(&s->sasl, f, s->login, b64, n, ev->text_cut);
}

/* XEP-0078: <iq type='set'><query xmlns='jabber:iq:auth'>...</query></iq>. */
static void
xmpp_iq_start(struct xmpp_state *s, const struct xml_event *ev)
{
	const struct xml_attr *type = xml_event_attr(ev, "type");
	const struct xml_attr *id = xml_event_attr(ev, "id");

	memset(&s->iq.pending, 0, sizeof(s->iq.pending));
	s->iq.in_set = type && text_equal_ci(type->value, type->value_len, "set");
	s->iq.in_query = false;
	s->iq.has_password = s->iq.has_digest = false;
	s->iq.id_len = 0;
	if (id && !id->value_cut && id->value_len <= XMPP_ID_MAX) {
		memcpy(s->iq.id, id->value, id->value_len);
		s->iq.id_len = (uint8_t)id->value_len;
	}
}

/* The <iq/> of a XEP-0078 login ended: the login, waiting for its answer. */
static void
xmpp_iq_end(struct xmpp_state *s, struct proto_facts *f)
{
	struct login *l;
	int idx;
	bool login = s->iq.in_set && (s->iq.has_password || s->iq.has_digest);

	s->iq.in_set = s->iq.in_query = false;
	if (!login)
		return;
	idx = proto_facts_add_login_index(f, "IQ-AUTH");
	if ((l = proto_facts_login(f, idx)) != NULL) {
		memcpy(l->username, s->iq.pending.username, sizeof(l->username));
		memcpy(l->secret, s->iq.pending.secret, sizeof(l->secret));
		l->has_secret = s->iq.has_password;
	}
	s->iq.login = idx;
	memcpy(s->iq.wait_id, s->iq.id, s->iq.id_len);
	s->iq.wait_id_len = s->iq.id_len;
}

/* A child of the jabber:iq:auth query: username, password, digest. */
static void
xmpp_iq_field(struct xmpp_state *s, const struct xml_event *ev)
{
	struct login *l = &s->iq.pending;

	if (ev->ns != NS_IQ_AUTH)
		return;
	if (strcmp(ev->local, "username") == 0) {
		sasl_field_set(l->username, sizeof(l->username), ev->text, ev->text_len);
	} else if (strcmp(ev->local, "password") == 0) {
		sasl_field_set(l->secret, sizeof(l->secret), ev->text, ev->text_len);
		s->iq.has_password = true;
	} else if (strcmp(ev->local, "digest") == 0 && !s->iq.has_password) {
		s->iq.has_digest = true;
	}
}

/* A client element right under the stream (a stanza, a command). */
static bool
xmpp_client_top(struct xmpp_state *s, struct proto_facts *f, const struct xml_event *ev)
{
	if (ev->type == XML_START) {
		f->commands++;
		/* The first element after <starttls/> that is no TLS: its start
		 * tag is the evidence (the injected bytes so far when the answer
		 * comes first). */
		upgrade_wait_client_line(&s->tls_wait, f, ev->raw, ev->raw_len);
		if (f->upgrade_refused)
			f->cleartext_after_refusal = true;
		if (proto_token_is_masked((const uint8_t *)ev->local, strlen(ev->local)))
			proto_facts_indicate(f, IND_CMD_MASKED, ev->raw, ev->raw_len);
		if (xmpp_is(ev, NS_SASL, "auth"))
			xmpp_auth_start(s, f, ev);
		else if (xmpp_is(ev, NS_SASL, "abort"))
			sasl_exchange_end(&s->sasl);
		else if (strcmp(ev->local, "iq") == 0)
			xmpp_iq_start(s, ev);
		return false;
	}
	if (xmpp_is(ev, NS_TLS, "starttls")) {
		if (s->tls_wait.pending || f->upgrade_accepted)
			return false;
		upgrade_wait_begin(&s->tls_wait, f);
		line_asm_reset(&s->injected);
		return true; /* the next byte decides: TLS, or injection */
	}
	if (xmpp_is(ev, NS_SASL, "auth"))
		xmpp_sasl_text(s, f, ev, true);
	else if (xmpp_is(ev, NS_SASL, "response"))
		xmpp_sasl_text(s, f, ev, false);
	else if (strcmp(ev->local, "iq") == 0)
		xmpp_iq_end(s, f);
	return false;
}

static bool
xmpp_client_event(void *ctx, const struct xml_event *ev)
{
	struct xmpp_state *s = ctx;
	struct proto_facts *f = s->f;

	if (ev->type == XML_START && xmpp_is(ev, NS_STREAMS, "stream")) {
		xmpp_stream_header(s, f, DIR_C2S, ev);
		return false;
	}
	if (ev->depth == 2)
		return xmpp_client_top(s, f, ev);
	if (ev->depth == 3 && s->iq.in_set && xmpp_is(ev, NS_IQ_AUTH, "query"))
		s->iq.in_query = ev->type == XML_START && !ev->empty;
	else if (ev->depth == 4 && s->iq.in_query && ev->type == XML_END)
		xmpp_iq_field(s, ev);
	return false;
}

/* ---- server ----------------------------------------------------------------- */

/* A child of the first <stream:features>. */
static void
xmpp_feature(struct xmpp_state *s, struct proto_facts *f, const struct xml_event *ev)
{
	struct xmpp_own *o = xmpp_own(f);

	if (ev->type == XML_END) {
		s->in_starttls = s->in_mechanisms = false;
		return;
	}
	proto_facts_capa_keyword(f, (const uint8_t *)ev->local, strlen(ev->local), ev->raw,
				 ev->raw_len);
	if (ev->ns == XML_NS_NONE && xmpp_raw_masked_value(ev->raw, ev->raw_len))
		proto_facts_indicate(f, IND_CAPA_MASKED, ev->raw, ev->raw_len);
	if (xmpp_is(ev, NS_TLS, "starttls")) {
		f->tls_offered = true;
		if (o->starttls == XMPP_TLS_NONE)
			o->starttls = XMPP_TLS_OPTIONAL;
		s->in_starttls = !ev->empty;
	} else if (xmpp_is(ev, NS_SASL, "mechanisms")) {
		s->in_mechanisms = !ev->empty;
	}
}

/* Inside a feature: <required/> of <starttls>, <mechanism> of <mechanisms>. */
static void
xmpp_feature_child(struct xmpp_state *s, struct proto_facts *f, const struct xml_event *ev)
{
	uint8_t name[XML_TEXT_MAX];
	size_t n;

	if (s->in_starttls && ev->type == XML_START && xmpp_is(ev, NS_TLS, "required")) {
		xmpp_own(f)->starttls = XMPP_TLS_REQUIRED;
		return;
	}
	if (!s->in_mechanisms || ev->type != XML_END || !xmpp_is(ev, NS_SASL, "mechanism"))
		return;
	n = xmpp_text_squeeze(ev, name);
	proto_facts_add_capa_once(f, name, n);
	if (text_equal_ci(name, n, "PLAIN") || text_equal_ci(name, n, "LOGIN"))
		f->auth_cleartext_offered = true;
}

/* The answer to <starttls/>: true when the stream switches to TLS. */
static bool
xmpp_tls_answer(struct xmpp_state *s, struct proto_facts *f, const struct xml_event *ev)
{
	if (strcmp(ev->local, "proceed") == 0) {
		if (ev->type == XML_START) {
			s->reply_len = (uint8_t)(ev->raw_len < sizeof(s->reply) ? ev->raw_len
										: sizeof(s->reply));
			memcpy(s->reply, ev->raw, s->reply_len);
			return false;
		}
		if (!s->tls_wait.pending) {
			f->anomalies |= PROTO_ANOM_BAD_SYNTAX; /* a go-ahead nobody asked for */
			return false;
		}
		return upgrade_wait_answer(&s->tls_wait, f, true, s->reply, s->reply_len,
					   &s->injected);
	}
	if (strcmp(ev->local, "failure") == 0 && ev->type == XML_START) {
		if (!s->tls_wait.pending)
			f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
		else
			upgrade_wait_answer(&s->tls_wait, f, false, ev->raw, ev->raw_len,
					    &s->injected);
	}
	return false;
}

/* The outcome of the SASL exchange, or of a XEP-0078 login. */
static void
xmpp_login_outcome(struct xmpp_state *s, struct proto_facts *f, int login, bool ok)
{
	proto_facts_login_outcome(f, login, ok);
	sasl_exchange_end(&s->sasl);
	if (ok)
		s->stopped = true; /* authenticated: nothing can change any more */
}

/* XEP-0078: the server's <iq/> with the login's id. */
static void
xmpp_iq_answer(struct xmpp_state *s, struct proto_facts *f, const struct xml_event *ev)
{
	const struct xml_attr *type = xml_event_attr(ev, "type");
	const struct xml_attr *id = xml_event_attr(ev, "id");

	if (s->iq.login < 0 || !type || !id || id->value_cut ||
	    id->value_len != s->iq.wait_id_len || memcmp(id->value, s->iq.wait_id, id->value_len))
		return;
	if (text_equal_ci(type->value, type->value_len, "result") ||
	    text_equal_ci(type->value, type->value_len, "error")) {
		int login = s->iq.login;

		s->iq.login = -1;
		xmpp_login_outcome(s, f, login,
				   text_equal_ci(type->value, type->value_len, "result"));
	}
}

/* A server element right under the stream. */
static bool
xmpp_server_top(struct xmpp_state *s, struct proto_facts *f, const struct xml_event *ev)
{
	if (xmpp_is(ev, NS_STREAMS, "features")) {
		s->in_features = ev->type == XML_START && !ev->empty && !s->features_done;
		if (ev->type == XML_START && !s->features_done)
			f->capa_seen = true;
		if (ev->type == XML_END)
			s->features_done = true;
		return false;
	}
	if (ev->ns == NS_TLS)
		return xmpp_tls_answer(s, f, ev);
	if (ev->type != XML_START)
		return false;
	if (xmpp_is(ev, NS_STREAMS, "error") && s->tls_wait.pending) {
		/* A server without STARTTLS support closes the stream instead
		 * of answering <failure/>: refused all the same. */
		upgrade_wait_answer(&s->tls_wait, f, false, ev->raw, ev->raw_len, &s->injected);
		return false;
	}
	if (ev->ns == NS_SASL) {
		bool outcome =
			strcmp(ev->local, "success") == 0 || strcmp(ev->local, "failure") == 0;

		if (strcmp(ev->local, "challenge") == 0) {
			sasl_exchange_prompt(&s->sasl);
		} else if (outcome && !s->sasl.open) {
			/* No exchange was opened: nothing to end (and no reason
			 * to stop reading, whoever sent it). */
			f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
		} else if (outcome) {
			xmpp_login_outcome(s, f, s->login, ev->local[0] == 's');
			s->login = -1;
		}
	} else if (strcmp(ev->local, "iq") == 0) {
		xmpp_iq_answer(s, f, ev);
	}
	return s->stopped;
}

static bool
xmpp_server_event(void *ctx, const struct xml_event *ev)
{
	struct xmpp_state *s = ctx;
	struct proto_facts *f = s->f;

	if (ev->type == XML_START && xmpp_is(ev, NS_STREAMS, "stream")) {
		xmpp_stream_header(s, f, DIR_S2C, ev);
		return false;
	}
	if (ev->depth == 2)
		return xmpp_server_top(s, f, ev);
	if (ev->depth == 3 && s->in_features)
		xmpp_feature(s, f, ev);
	else if (ev->depth == 4 && s->in_features)
		xmpp_feature_child(s, f, ev);
	return false;
}

/* ---- feed ------------------------------------------------------------------- */

static bool
xmpp_is_space(uint8_t b)
{
	return b == ' ' || b == '\t' || b == '\r' || b == '\n';
}

static size_t
xmpp_feed(void *state, struct proto_facts *f, enum dir dir, const uint8_t *p, size_t len)
{
	struct xmpp_state *s = state;
	xml_event_fn fn = dir == DIR_C2S ? xmpp_client_event : xmpp_server_event;
	size_t used = 0;

	if (s->stopped || f->switch_to_tls)
		return len;
	s->f = f;
	while (used < len && !s->stopped) {
		size_t n;

		if (dir == DIR_C2S && s->tls_wait.pending && !s->tls_wait.client_spoke) {
			/* After <starttls/>: whitespace between elements says
			 * nothing; the first other byte decides (upgrade_wait). */
			size_t ws = used;

			while (ws < len && xmpp_is_space(p[ws]))
				ws++;
			if (ws > used) {
				xml_feed(&s->tok[dir], p + used, ws - used, fn, s);
				used = ws;
				continue;
			}
			if (upgrade_wait_client_byte(&s->tls_wait, f, p[used]))
				break; /* the client went ahead: the rest is TLS */
		}
		n = xml_feed(&s->tok[dir], p + used, len - used, fn, s);
		if (dir == DIR_C2S)
			upgrade_wait_keep(&s->tls_wait, &s->injected, p + used, n);
		used += n;
		if (f->switch_to_tls)
			break;
	}
	if (s->tok[dir].errors)
		f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
	s->f = NULL;
	return f->switch_to_tls ? used : len;
}

static void
xmpp_init(void *state)
{
	struct xmpp_state *s = state;

	memset(s, 0, sizeof(*s));
	xml_tok_init(&s->tok[DIR_C2S], xmpp_ns_table);
	xml_tok_init(&s->tok[DIR_S2C], xmpp_ns_table);
	line_asm_init(&s->injected);
	s->login = -1;
	s->iq.login = -1;
}

/*
 * Either side opens with an optional XML declaration and a stream header:
 * "<stream:stream " is unmistakable; a stream element with another prefix
 * (or none) is when its tag names the streams namespace. Leading
 * whitespace is allowed.
 */
static enum sniff_result
xmpp_sniff(enum dir dir, const uint8_t *p, size_t len)
{
	static const char streams[] = "http://etherx.jabber.org/streams";
	size_t i = 0, name, colon = 0;
	const uint8_t *gt;

	(void)dir;
	while (i < len && xmpp_is_space(p[i]))
		i++;
	if (i < len && text_could_be_prefix_ci(p + i, len - i, "<?xml"))
		return SNIFF_MORE;
	if (i < len && len - i >= 5 && memcmp(p + i, "<?xml", 5) == 0) {
		const uint8_t *end = memmem(p + i, len - i, "?>", 2);

		if (!end)
			return SNIFF_MORE;
		i = (size_t)(end - p) + 2;
		while (i < len && xmpp_is_space(p[i]))
			i++;
	}
	if (i == len)
		return SNIFF_MORE;
	if (p[i] != '<')
		return SNIFF_NO;
	name = ++i;
	while (i < len && (p[i] == ':' || p[i] == '-' || p[i] == '_' || p[i] == '.' ||
			   (p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z') ||
			   (p[i] >= '0' && p[i] <= '9'))) {
		if (p[i] == ':')
			colon = i;
		i++;
	}
	if (i == len)
		return SNIFF_MORE;
	if (!xmpp_is_space(p[i]) && p[i] != '>')
		return SNIFF_NO;
	if (i - name == 13 && memcmp(p + name, "stream:stream", 13) == 0)
		return SNIFF_STRONG;
	if (!((colon && i - colon - 1 == 6 && memcmp(p + colon + 1, "stream", 6) == 0) ||
	      (!colon && i - name == 6 && memcmp(p + name, "stream", 6) == 0)))
		return SNIFF_NO;
	gt = memchr(p + i, '>', len - i);
	if (memmem(p + i, gt ? (size_t)(gt - p) - i : len - i, streams, sizeof(streams) - 1))
		return SNIFF_STRONG;
	return gt ? SNIFF_NO : SNIFF_MORE;
}

static void
xmpp_write(const struct proto_facts *f, const struct proto_writer *w)
{
	static const char *const starttls[] = {NULL, "optional", "required"};
	static const char *const stream[] = {NULL, "c2s", "s2s"};
	const struct xmpp_own *o = (const struct xmpp_own *)(const void *)f->own;

	if (o->starttls && o->starttls < sizeof(starttls) / sizeof(starttls[0]))
		w->str(w->ctx, "starttls", starttls[o->starttls]);
	if (o->stream && o->stream < sizeof(stream) / sizeof(stream[0]))
		w->str(w->ctx, "stream", stream[o->stream]);
	if (o->domain[0])
		w->str(w->ctx, "domain", o->domain);
}

const struct proto_desc proto_xmpp = {
	.name = "xmpp",
	.rfc = "RFC 6120, RFC 7590, XEP-0368, XEP-0078",
	.transports = PROTO_TCP,
	.clear_ports = {5222, 5269},
	.tls_ports = {5223},
	.tls_transports = PROTO_TCP,
	.upgrade = {"<starttls/>", "<starttls/>", "<proceed/>"},
	.ndpi = {"Jabber"},
	.alpn = {"xmpp-client", "xmpp-server"},
	.state_size = sizeof(struct xmpp_state),
	.sniff = xmpp_sniff,
	.init = xmpp_init,
	.feed = xmpp_feed,
	.gap = proto_gap_stop,
	.write = xmpp_write,
};
