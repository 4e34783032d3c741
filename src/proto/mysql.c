/*
 * mysql.c - MySQL / MariaDB client/server protocol parser: the CLIENT_SSL
 * upgrade and the login of the connection phase.
 *
 * References: the MySQL client/server protocol documentation (packets:
 * 3-byte little-endian length, sequence id; Initial Handshake v10 with the
 * capability flags CLIENT_SSL 0x800, CLIENT_PROTOCOL_41 0x200,
 * CLIENT_SECURE_CONNECTION 0x8000, CLIENT_CONNECT_WITH_DB 0x8,
 * CLIENT_PLUGIN_AUTH 0x80000, CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA
 * 0x200000; SSLRequest; HandshakeResponse41; OK 0x00, ERR 0xff,
 * AuthSwitchRequest 0xfe); MariaDB's documentation of the same phase.
 *
 * The server speaks first: its Handshake lists CLIENT_SSL when it can do
 * TLS (the offer; a capability list for the correlation). The client
 * answers with an SSLRequest (the first 32 bytes of a HandshakeResponse,
 * CLIENT_SSL set: TLS follows from its next byte, there is no answer), or
 * with its HandshakeResponse41 in the clear: user name, auth response and
 * plugin. mysql_native_password and caching_sha2_password send a scramble
 * (a login without a reusable secret); mysql_clear_password sends the
 * password itself, also after an AuthSwitchRequest asks for it. OK ends
 * the login (success), ERR too (failure).
 *
 * Own facts: the server's version string.
 *
 * Not handled: the protocol before 4.1 (HandshakeResponse320, flagged),
 * compression, the command phase (the parser stops after the login),
 * caching_sha2_password's full authentication exchange (RSA or TLS).
 */
#include <stdio.h>
#include <string.h>

#include "cursor.h"
#include "line.h"

#define MY_PKT_MAX 1024 /* payload bytes read; a longer packet is skipped */
#define MY_CLIENT_SSL 0x00000800u
#define MY_CLIENT_PROTOCOL_41 0x00000200u
#define MY_CLIENT_CONNECT_WITH_DB 0x00000008u
#define MY_CLIENT_SECURE_CONNECTION 0x00008000u
#define MY_CLIENT_PLUGIN_AUTH 0x00080000u
#define MY_CLIENT_LENENC_DATA 0x00200000u

struct my_dir {
	uint8_t hdr[4];
	uint8_t hdr_len;
	uint32_t left; /* payload bytes still to come */
	uint32_t len;
	uint8_t body[MY_PKT_MAX];
};

/* The server version kept (cut with "..." beyond): 32 bytes, whatever
 * room proto_facts.own has. */
#define MY_VERSION_MAX 32

struct my_own {
	char version[MY_VERSION_MAX];
};

_Static_assert(sizeof(struct my_own) <= PROTO_OWN_MAX, "my_own fits proto_facts.own");

struct my_state {
	bool stopped; /* first: proto_gap_stop sets it */
	struct my_dir d[2];
	bool handshake;	 /* the server's Handshake was read */
	bool answered;	 /* the client's HandshakeResponse was read */
	bool clear_next; /* the client's next packet is a clear password */
	int login;
};

static uint32_t
my_le(const uint8_t *p, size_t n)
{
	uint32_t v = 0;

	for (size_t i = n; i > 0; i--)
		v = v << 8 | p[i - 1];
	return v;
}

/* A NUL-terminated string at c (to its end when there is no NUL). */
static void
my_cstring(struct cursor *c, struct cursor *out)
{
	const uint8_t *nul = memchr(c->p, '\0', c->len);
	size_t n = nul ? (size_t)(nul - c->p) : c->len;

	cursor_init(out, c->p, n);
	cursor_skip(c, nul ? n + 1 : n);
}

/* ---- server ----------------------------------------------------------------- */

/* Initial Handshake v10: version, then the capability flags. */
static void
my_handshake(struct my_state *s, struct proto_facts *f, struct cursor c)
{
	struct cursor version;
	uint8_t proto;
	uint16_t lo = 0, hi = 0;
	uint32_t caps;

	if (!cursor_get_u8(&c, &proto) || proto != 10) {
		f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
		s->stopped = true;
		return;
	}
	my_cstring(&c, &version);
	sasl_field_set(((struct my_own *)(void *)f->own)->version, MY_VERSION_MAX, version.p,
		       version.len);
	/* connection id, 8 bytes of scramble, a filler */
	if (!cursor_skip(&c, 13) || cursor_remaining(&c) < 2)
		return;
	lo = (uint16_t)my_le(c.p, 2);
	cursor_skip(&c, 2);
	if (cursor_skip(&c, 3) && cursor_remaining(&c) >= 2) /* charset, status */
		hi = (uint16_t)my_le(c.p, 2);
	caps = (uint32_t)hi << 16 | lo;
	s->handshake = true;
	f->greeting = true;
	f->capa_seen = true;
	f->tls_offered = (caps & MY_CLIENT_SSL) != 0;
	if (caps & MY_CLIENT_PROTOCOL_41)
		proto_facts_add_capa(f, (const uint8_t *)"CLIENT_PROTOCOL_41", 18);
	if (f->tls_offered)
		proto_facts_add_capa(f, (const uint8_t *)"CLIENT_SSL", 10);
}

static void
my_server_packet(struct my_state *s, struct proto_facts *f, const struct my_dir *d)
{
	struct cursor c, plugin;

	cursor_init(&c, d->body, d->len < MY_PKT_MAX ? d->len : MY_PKT_MAX);
	if (!s->handshake) {
		my_handshake(s, f, c);
		return;
	}
	if (!s->answered || cursor_remaining(&c) == 0)
		return;
	switch (c.p[0]) {
	case 0x00: /* OK */
		proto_facts_login_outcome(f, s->login, true);
		s->stopped = true; /* the command phase is not ours */
		break;
	case 0xff: /* ERR */
		proto_facts_login_outcome(f, s->login, false);
		s->stopped = true;
		break;
	case 0xfe: /* AuthSwitchRequest: plugin name, data */
		cursor_skip(&c, 1);
		my_cstring(&c, &plugin);
		s->clear_next = text_equal_ci(plugin.p, plugin.len, "mysql_clear_password");
		if (s->clear_next)
			f->auth_cleartext_offered = true;
		break;
	default: /* AuthMoreData 0x01 ... */
		break;
	}
}

/* ---- client ----------------------------------------------------------------- */

/* The mechanism a plugin is reported as (struct login's field is short). */
static const char *
my_mechanism(const struct cursor *plugin)
{
	static const char *const names[][2] = {
		{"mysql_native_password", "NATIVE"},
		{"caching_sha2_password", "CACHING_SHA2"},
		{"mysql_clear_password", "CLEAR_PASSWORD"},
		{"client_ed25519", "ED25519"},
		{"sha256_password", "SHA256"},
		{"auth_gssapi_client", "GSSAPI"},
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (text_equal_ci(plugin->p, plugin->len, names[i][0]))
			return names[i][1];
	return NULL;
}

/* The auth response of a HandshakeResponse41, by the capabilities. */
static bool
my_auth_response(struct cursor *c, uint32_t caps, struct cursor *out)
{
	uint8_t n;

	if (caps & (MY_CLIENT_LENENC_DATA | MY_CLIENT_SECURE_CONNECTION)) {
		/* A length-encoded integer: one byte below 0xfb is enough for a
		 * scramble or a short password. */
		if (!cursor_get_u8(c, &n) || n >= 0xfb)
			return false;
		return cursor_get_bytes(c, out, n);
	}
	my_cstring(c, out);
	return true;
}

static void
my_response(struct my_state *s, struct proto_facts *f, struct cursor c, uint32_t len)
{
	struct cursor user, auth, db, plugin = {0};
	struct login *l;
	uint32_t caps;

	f->commands++;
	if (cursor_remaining(&c) < 4) {
		f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
		s->stopped = true;
		return;
	}
	caps = my_le(c.p, 4);
	if (!(caps & MY_CLIENT_PROTOCOL_41)) {
		f->anomalies |= PROTO_ANOM_BAD_SYNTAX; /* a 3.20 client */
		s->stopped = true;
		return;
	}
	if (len == 32 && (caps & MY_CLIENT_SSL)) {
		/* SSLRequest: TLS from the client's next byte. */
		f->upgrade_requested = true;
		f->upgrade_accepted = true;
		f->switch_to_tls = true;
		proto_facts_set_upgrade_reply(f, (const uint8_t *)"SSLRequest", 10);
		return;
	}
	s->answered = true;
	if (!cursor_skip(&c, 32))
		return;
	my_cstring(&c, &user);
	if (!my_auth_response(&c, caps, &auth))
		cursor_init(&auth, c.p, 0);
	if (caps & MY_CLIENT_CONNECT_WITH_DB)
		my_cstring(&c, &db);
	if (caps & MY_CLIENT_PLUGIN_AUTH)
		my_cstring(&c, &plugin);
	/* No plugin named: the 4.1 default, mysql_native_password. */
	s->login = proto_facts_add_login_index(f, plugin.len ? "?" : "NATIVE");
	if ((l = proto_facts_login(f, s->login)) == NULL)
		return;
	sasl_field_set(l->username, sizeof(l->username), user.p, user.len);
	if (plugin.len > 0 && my_mechanism(&plugin))
		snprintf(l->mechanism, sizeof(l->mechanism), "%s", my_mechanism(&plugin));
	else if (plugin.len > 0)
		sasl_field_set(l->mechanism, sizeof(l->mechanism), plugin.p, plugin.len);
	if (plugin.len > 0 && text_equal_ci(plugin.p, plugin.len, "mysql_clear_password")) {
		/* The password itself, NUL-terminated inside the response. */
		struct cursor pw = auth;

		my_cstring(&pw, &pw);
		sasl_field_set(l->secret, sizeof(l->secret), pw.p, pw.len);
		l->has_secret = true;
	}
}

static void
my_client_packet(struct my_state *s, struct proto_facts *f, const struct my_dir *d)
{
	struct cursor c, pw;
	struct login *l;

	cursor_init(&c, d->body, d->len < MY_PKT_MAX ? d->len : MY_PKT_MAX);
	if (!s->answered) {
		my_response(s, f, c, d->len);
		return;
	}
	if (s->clear_next && (l = proto_facts_login(f, s->login)) != NULL) {
		/* After AuthSwitchRequest mysql_clear_password: the password. */
		my_cstring(&c, &pw);
		snprintf(l->mechanism, sizeof(l->mechanism), "CLEAR_PASSWORD");
		sasl_field_set(l->secret, sizeof(l->secret), pw.p, pw.len);
		l->has_secret = true;
	}
	s->clear_next = false;
}

/* ---- framing ---------------------------------------------------------------- */

static size_t
my_feed(void *state, struct proto_facts *f, enum dir dir, const uint8_t *p, size_t len)
{
	struct my_state *s = state;
	struct my_dir *d = &s->d[dir];
	size_t used = 0;

	if (s->stopped || f->switch_to_tls)
		return len;
	while (used < len && !s->stopped && !f->switch_to_tls) {
		if (d->hdr_len < 4) {
			d->hdr[d->hdr_len++] = p[used++];
			if (d->hdr_len < 4)
				continue;
			d->len = my_le(d->hdr, 3);
			d->left = d->len;
			if (d->left > 0)
				continue;
		} else {
			size_t n = len - used < d->left ? len - used : d->left;
			uint32_t at = d->len - d->left;

			if (at < MY_PKT_MAX)
				memcpy(d->body + at, p + used,
				       at + n <= MY_PKT_MAX ? n : MY_PKT_MAX - at);
			d->left -= (uint32_t)n;
			used += n;
			if (d->left > 0)
				continue;
		}
		if (d->len > MY_PKT_MAX)
			f->cap_hits++;
		if (dir == DIR_C2S)
			my_client_packet(s, f, d);
		else
			my_server_packet(s, f, d);
		d->hdr_len = 0;
	}
	return f->switch_to_tls ? used : len;
}

static void
my_init(void *state)
{
	struct my_state *s = state;

	memset(s, 0, sizeof(*s));
	s->login = -1;
}

/*
 * The server's Handshake: a packet with sequence id 0 whose payload starts
 * with protocol version 10 and a printable version string ("8.0.36",
 * "5.5.5-10.11.6-MariaDB"). The client never speaks first.
 */
static enum sniff_result
my_sniff(enum dir dir, const uint8_t *p, size_t len)
{
	uint32_t n;
	size_t i;

	if (dir == DIR_C2S)
		return len == 0 ? SNIFF_MORE : SNIFF_NO;
	if (len < 6)
		return len >= 4 && (p[3] != 0 || (len >= 5 && p[4] != 10)) ? SNIFF_NO : SNIFF_MORE;
	n = my_le(p, 3);
	if (p[3] != 0 || p[4] != 10 || n < 20 || n > 512)
		return SNIFF_NO;
	for (i = 5; i < len && i < 4 + n && p[i] != 0; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			return SNIFF_NO;
	if (i < len && p[i] == 0 && i > 5)
		return SNIFF_STRONG;
	return i >= 4 + n ? SNIFF_NO : SNIFF_MORE;
}

static void
my_write(const struct proto_facts *f, const struct proto_writer *w)
{
	const struct my_own *o = (const struct my_own *)(const void *)f->own;

	if (o->version[0])
		w->str(w->ctx, "server_version", o->version);
}

const struct proto_desc proto_mysql = {
	.name = "mysql",
	.rfc = "MySQL client/server protocol 4.1+",
	.transports = PROTO_TCP,
	.clear_ports = {3306},
	.upgrade = {"CLIENT_SSL", "SSLRequest", "CLIENT_SSL"},
	.ndpi = {"MySQL"},
	.state_size = sizeof(struct my_state),
	.sniff = my_sniff,
	.init = my_init,
	.feed = my_feed,
	.gap = proto_gap_stop,
	.write = my_write,
};
