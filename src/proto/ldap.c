/*
 * ldap.c - Lightweight Directory Access Protocol (LDAP v3) parser: StartTLS
 * and binds in the clear.
 *
 * References: RFC 4511 (LDAP: messages, BindRequest/Response, Extended
 * operations, LDAPResult codes), RFC 4513 (StartTLS 1.3.6.1.4.1.1466.20037,
 * simple bind forms: anonymous, unauthenticated, name/password), ITU-T X.690
 * (BER: definite lengths only, as RFC 4511 5.1 requires), RFC 4616 (PLAIN).
 *
 * Framing: each message is a BER SEQUENCE (0x30, length); messages are
 * read whole up to LDAP_MSG_MAX bytes across segments, longer ones (search
 * results) skipped by their length. Inside: messageID INTEGER, protocolOp
 * [APPLICATION n]:
 *   client: BindRequest 0x60 { version, name, simple [0] | sasl [3] },
 *           ExtendedRequest 0x77 { requestName [0] }, UnbindRequest 0x42,
 *           anything else (counted);
 *   server: BindResponse 0x61, ExtendedResponse 0x78 (LDAPResult first:
 *           resultCode ENUMERATED), SearchResultEntry 0x64 { objectName,
 *           attributes SEQUENCE OF { type, vals SET OF value } }: only the
 *           supportedExtension attribute is read (RFC 4512 5.1: the root
 *           DSE, objectName "", lists the extended operations there).
 *
 * Facts: the root DSE's supportedExtension, the server's capability list
 * (capa_seen; the StartTLS OID among its values offers the upgrade, shown
 * as StartTLS); StartTLS requested (its message id kept) and its response: result
 * 0 switches to TLS after the response, anything else is refused and a
 * later request is cleartext after the refusal; client bytes after the
 * StartTLS request before its response (injection; 0x16: the client went
 * ahead with TLS); simple binds with a name and a password (mechanism
 * SIMPLE, the DN as user: a reusable secret), SASL binds (PLAIN's message
 * gives user and secret, other mechanisms none), each with the outcome of
 * its BindResponse (0 success, 14 in progress, else failure). Anonymous and
 * unauthenticated binds (empty password, RFC 4513 5.1.1/5.1.2) are no
 * password logins.
 *
 * Not handled: messages over LDAP_MSG_MAX bytes are skipped unread (a bind
 * that large is no bind), indefinite BER lengths (invalid in LDAP: the
 * parser stops), LDAP over UDP (CLDAP), SASL security layers after a bind.
 */
#include <stdio.h>
#include <string.h>

#include "cursor.h"
#include "line.h"

#define LDAP_MSG_MAX 4096
#define LDAP_BINDS_MAX 4 /* binds waiting for their response */
#define LDAP_STARTTLS_OID "1.3.6.1.4.1.1466.20037"

struct ldap_dir {
	uint8_t hdr[6]; /* 0x30, then a length of 1 to 5 bytes */
	uint8_t hdr_len;
	bool in_body;  /* the header is read */
	uint32_t left; /* body bytes still to come */
	uint32_t len;  /* ... of a body of this length */
	bool skip;     /* longer than LDAP_MSG_MAX: counted, not read */
	uint32_t body_len;
	uint8_t body[LDAP_MSG_MAX];
};

struct ldap_bind {
	uint32_t msgid;
	int login; /* its login, -1: none recorded (anonymous) */
};

struct ldap_state {
	bool stopped; /* first: proto_gap_stop sets it */
	struct ldap_dir d[2];
	bool starttls_pending;
	uint32_t starttls_id;
	struct ldap_bind binds[LDAP_BINDS_MAX];
	uint8_t n_binds;
	struct upgrade_wait tls_wait;
	struct line_asm injected; /* client bytes after StartTLS (evidence) */
};

/* ---- BER ------------------------------------------------------------------------ */

/* One element: its tag byte and its content. Definite lengths only. */
static bool
ber_next(struct cursor *c, uint8_t *tag, struct cursor *content)
{
	uint8_t b, n;
	uint32_t len = 0;

	if (!cursor_get_u8(c, tag) || (*tag & 0x1f) == 0x1f) /* no multi-byte tags in LDAP */
		return false;
	if (!cursor_get_u8(c, &b))
		return false;
	if (b & 0x80) {
		n = b & 0x7f;
		if (n == 0 || n > 4)
			return false; /* indefinite, or too long */
		for (; n > 0; n--) {
			if (!cursor_get_u8(c, &b))
				return false;
			len = len << 8 | b;
		}
	} else {
		len = b;
	}
	return cursor_get_bytes(c, content, len);
}

/* An INTEGER or ENUMERATED of at most 4 bytes, as unsigned. */
static bool
ber_uint(struct cursor *c, uint8_t want_tag, uint32_t *v)
{
	struct cursor x;
	uint8_t tag;

	if (!ber_next(c, &tag, &x) || tag != want_tag || x.len == 0 || x.len > 4)
		return false;
	*v = 0;
	for (size_t i = 0; i < x.len; i++)
		*v = *v << 8 | x.p[i];
	return true;
}

/* ---- client ----------------------------------------------------------------- */

static void
ldap_bind_pending(struct ldap_state *s, struct proto_facts *f, uint32_t msgid, int login)
{
	if (s->n_binds == LDAP_BINDS_MAX) {
		f->anomalies |= PROTO_ANOM_PIPELINE_CAP;
		f->cap_hits++;
		return;
	}
	s->binds[s->n_binds++] = (struct ldap_bind){msgid, login};
}

/* BindRequest: version, name, then simple [0] or sasl [3]. */
static void
ldap_bind_request(struct ldap_state *s, struct proto_facts *f, uint32_t msgid, struct cursor c)
{
	struct cursor name, auth, mech, cred;
	uint32_t version;
	uint8_t tag;
	struct login *l;
	int idx = -1;

	if (!ber_uint(&c, 0x02, &version) || !ber_next(&c, &tag, &name) || tag != 0x04 ||
	    !ber_next(&c, &tag, &auth)) {
		f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
		return;
	}
	if (tag == 0x80) {
		/* Simple: a password with a name is a login (RFC 4513 5.1.3). */
		if (name.len > 0 && auth.len > 0) {
			idx = proto_facts_add_login_index(f, "SIMPLE");
			if ((l = proto_facts_login(f, idx)) != NULL) {
				sasl_field_set(l->username, sizeof(l->username), name.p, name.len);
				sasl_field_set(l->secret, sizeof(l->secret), auth.p, auth.len);
				l->has_secret = true;
			}
		}
	} else if (tag == 0xa3 && ber_next(&auth, &tag, &mech) && tag == 0x04) {
		char mname[16];

		sasl_field_set(mname, sizeof(mname), mech.p, mech.len);
		idx = proto_facts_add_login_index(f, mname);
		l = proto_facts_login(f, idx);
		if (l && ber_next(&auth, &tag, &cred) && tag == 0x04 &&
		    text_equal_ci(mech.p, mech.len, "PLAIN") &&
		    sasl_plain_parse(cred.p, cred.len, l))
			l->has_secret = true;
		if (l && !l->username[0] && name.len > 0)
			sasl_field_set(l->username, sizeof(l->username), name.p, name.len);
	}
	ldap_bind_pending(s, f, msgid, idx);
}

static void
ldap_client_message(struct ldap_state *s, struct proto_facts *f, struct cursor c)
{
	struct cursor msg, op, oid;
	uint32_t msgid;
	uint8_t tag;

	if (!ber_next(&c, &tag, &msg) || tag != 0x30 || !ber_uint(&msg, 0x02, &msgid) ||
	    !ber_next(&msg, &tag, &op)) {
		f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
		return;
	}
	f->commands++;
	if (f->upgrade_refused)
		f->cleartext_after_refusal = true;
	if (tag == 0x60) {
		ldap_bind_request(s, f, msgid, op);
	} else if (tag == 0x77 && ber_next(&op, &tag, &oid) && tag == 0x80 &&
		   text_equal_ci(oid.p, oid.len, LDAP_STARTTLS_OID)) {
		upgrade_wait_begin(&s->tls_wait, f);
		line_asm_reset(&s->injected);
		s->starttls_pending = true;
		s->starttls_id = msgid;
	} else if (tag == 0x42) {
		s->stopped = true; /* UnbindRequest: the connection ends */
	}
}

/* ---- server ----------------------------------------------------------------- */

static void
ldap_bind_response(struct ldap_state *s, struct proto_facts *f, uint32_t msgid, uint32_t result)
{
	for (uint8_t i = 0; i < s->n_binds; i++) {
		if (s->binds[i].msgid != msgid)
			continue;
		if (result == 14)
			return; /* saslBindInProgress: the exchange goes on */
		proto_facts_login_outcome(f, s->binds[i].login, result == 0);
		s->binds[i] = s->binds[--s->n_binds];
		return;
	}
}

/* A SearchResultEntry (op: its content). The root DSE's supportedExtension
 * is the capability list; the same attribute in another entry still names
 * the extensions of this server. */
static void
ldap_entry(struct proto_facts *f, struct cursor op)
{
	struct cursor name, attrs, attr, type, vals, val;
	uint8_t tag;

	if (!ber_next(&op, &tag, &name) || tag != 0x04 || !ber_next(&op, &tag, &attrs) ||
	    tag != 0x30)
		return;
	while (ber_next(&attrs, &tag, &attr)) {
		if (tag != 0x30 || !ber_next(&attr, &tag, &type) || tag != 0x04 ||
		    !ber_next(&attr, &tag, &vals) || tag != 0x31 ||
		    !text_equal_ci(type.p, type.len, "supportedExtension"))
			continue;
		if (name.len == 0)
			f->capa_seen = true;
		while (ber_next(&vals, &tag, &val)) {
			if (tag == 0x04 && text_equal_ci(val.p, val.len, LDAP_STARTTLS_OID)) {
				f->tls_offered = true;
				proto_facts_add_capa_once(f, (const uint8_t *)"StartTLS", 8);
			}
		}
	}
}

/* Returns true when the stream switches to TLS after this message. */
static bool
ldap_server_message(struct ldap_state *s, struct proto_facts *f, struct cursor c)
{
	struct cursor msg, op;
	uint32_t msgid, result;
	uint8_t tag;
	char reply[48];

	if (!ber_next(&c, &tag, &msg) || tag != 0x30 || !ber_uint(&msg, 0x02, &msgid) ||
	    !ber_next(&msg, &tag, &op)) {
		f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
		return false;
	}
	if (tag == 0x64) {
		ldap_entry(f, op);
		return false;
	}
	if ((tag != 0x61 && tag != 0x78) || !ber_uint(&op, 0x0a, &result))
		return false;
	if (tag == 0x61) {
		ldap_bind_response(s, f, msgid, result);
		return false;
	}
	if (!s->starttls_pending || msgid != s->starttls_id)
		return false; /* another extended operation, or a notice (id 0) */
	s->starttls_pending = false;
	snprintf(reply, sizeof(reply), "StartTLS resultCode %u", result);
	return upgrade_wait_answer(&s->tls_wait, f, result == 0, (const uint8_t *)reply,
				   strlen(reply), &s->injected);
}

/* ---- framing ---------------------------------------------------------------- */

/* The header's length bytes are complete: the body's length, or false. */
static bool
ldap_header_done(struct ldap_dir *d, bool *more)
{
	uint8_t b = d->hdr[1];
	uint32_t len = 0;

	*more = false;
	if (d->hdr[0] != 0x30)
		return false;
	if (b < 0x80) {
		len = b;
	} else {
		uint8_t n = b & 0x7f;

		if (n == 0 || n > 4)
			return false;
		if (d->hdr_len < 2 + n) {
			*more = true;
			return true;
		}
		for (uint8_t i = 0; i < n; i++)
			len = len << 8 | d->hdr[2 + i];
	}
	d->len = len;
	d->left = len;
	d->skip = len + d->hdr_len > LDAP_MSG_MAX;
	memcpy(d->body, d->hdr, d->hdr_len);
	d->body_len = d->hdr_len;
	return true;
}

/* A complete message (or a skipped one). Returns true on switch_to_tls. */
static bool
ldap_message_done(struct ldap_state *s, struct proto_facts *f, enum dir dir)
{
	struct ldap_dir *d = &s->d[dir];
	struct cursor c;

	d->hdr_len = 0;
	if (d->skip) {
		f->cap_hits++;
		return false;
	}
	cursor_init(&c, d->body, d->body_len);
	if (dir == DIR_C2S) {
		ldap_client_message(s, f, c);
		return false;
	}
	return ldap_server_message(s, f, c);
}

static size_t
ldap_feed(void *state, struct proto_facts *f, enum dir dir, const uint8_t *p, size_t len)
{
	struct ldap_state *s = state;
	struct ldap_dir *d = &s->d[dir];
	size_t used = 0;
	bool more;

	if (s->stopped || f->switch_to_tls)
		return len;
	while (used < len && !s->stopped) {
		size_t from = used;

		if (dir == DIR_C2S && upgrade_wait_client_byte(&s->tls_wait, f, p[used]))
			return used; /* the client went ahead with TLS */
		if (!d->in_body) {
			d->hdr[d->hdr_len++] = p[used++];
			if (dir == DIR_C2S)
				upgrade_wait_keep(&s->tls_wait, &s->injected, p + from, 1);
			if (d->hdr_len < 2)
				continue;
			if (!ldap_header_done(d, &more)) {
				f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
				s->stopped = true;
				break;
			}
			if (more)
				continue;
			d->in_body = true;
			if (d->left > 0)
				continue;
		} else {
			size_t n = len - used < d->left ? len - used : d->left;

			if (!d->skip) {
				memcpy(d->body + d->body_len, p + used, n);
				d->body_len += (uint32_t)n;
			}
			d->left -= (uint32_t)n;
			used += n;
			if (dir == DIR_C2S)
				upgrade_wait_keep(&s->tls_wait, &s->injected, p + from, n);
			if (d->left > 0)
				continue;
		}
		d->in_body = false;
		if (ldap_message_done(s, f, dir))
			return used; /* the rest is TLS */
		d->body_len = 0;
	}
	return len;
}

static void
ldap_init(void *state)
{
	struct ldap_state *s = state;

	memset(s, 0, sizeof(*s));
	line_asm_init(&s->injected);
}

/*
 * A first message: SEQUENCE, messageID INTEGER, then a protocolOp of the
 * direction: BindRequest, ExtendedRequest, SearchRequest from a client
 * (strong: no other protocol starts 0x30 len 0x02 len id 0x60); a
 * response from a server speaking first is only a notice of disconnection.
 */
static enum sniff_result
ldap_sniff(enum dir dir, const uint8_t *p, size_t len)
{
	static const uint8_t client_ops[] = {0x60, 0x77, 0x63, 0x42};
	static const uint8_t server_ops[] = {0x78};
	const uint8_t *ops = dir == DIR_C2S ? client_ops : server_ops;
	size_t n_ops = dir == DIR_C2S ? sizeof(client_ops) : sizeof(server_ops);
	size_t i = 2, idlen;

	if (len == 0)
		return SNIFF_MORE;
	if (p[0] != 0x30)
		return SNIFF_NO;
	if (len < 2)
		return SNIFF_MORE;
	if (p[1] & 0x80) {
		if ((p[1] & 0x7f) == 0 || (p[1] & 0x7f) > 4)
			return SNIFF_NO;
		i += p[1] & 0x7f;
	}
	if (len < i + 2)
		return SNIFF_MORE;
	idlen = p[i + 1];
	if (p[i] != 0x02 || idlen == 0 || idlen > 4)
		return SNIFF_NO;
	i += 2 + idlen;
	if (len <= i)
		return SNIFF_MORE;
	for (size_t k = 0; k < n_ops; k++)
		if (p[i] == ops[k])
			return SNIFF_STRONG;
	return SNIFF_NO;
}

const struct proto_desc proto_ldap = {
	.name = "ldap",
	.rfc = "RFC 4511, RFC 4513",
	.transports = PROTO_TCP,
	.clear_ports = {389, 3268},
	.tls_ports = {636, 3269},
	.tls_transports = PROTO_TCP,
	.upgrade = {"StartTLS", "StartTLS", "success"},
	.ndpi = {"LDAP"},
	.alpn = {"ldap"},
	.state_size = sizeof(struct ldap_state),
	.sniff = ldap_sniff,
	.init = ldap_init,
	.feed = ldap_feed,
	.gap = proto_gap_stop,
};
