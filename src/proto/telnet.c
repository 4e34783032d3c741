/*
 * telnet.c - Telnet parser: the option negotiation, the two ways a Telnet
 * session turns into TLS on the same connection, and the login typed in the
 * clear.
 *
 * References: RFC 854 (the NVT, IAC commands, IAC IAC for a data 0xff),
 * RFC 855 (WILL/WONT/DO/DONT option, IAC SB option ... IAC SE);
 * draft-altman-telnet-starttls-02 (START_TLS, option 46: the server's DO,
 * the client's WILL, then IAC SB START_TLS FOLLOWS IAC SE from both sides
 * and TLS after the second); RFC 2941 (AUTHENTICATION, option 37: SEND
 * lists the types the server takes, IS picks one, REPLY answers) with the
 * auth type SSL (7) of Tim Hudson's SSLtelnet, which Debian's telnetd-ssl
 * and telnet-ssl speak: IS SSL START (1), then REPLY SSL ACCEPT (2) and TLS
 * from the next byte both ways, or REPLY SSL REJECT (3); RFC 2946
 * (ENCRYPT, option 38) only as far as its START.
 *
 * Grammar: data bytes and commands, IAC verb [option]; a subnegotiation
 * IAC SB option bytes IAC SE (IAC IAC inside it is a 0xff). Both
 * directions go through one byte-at-a-time state machine, so no chunking
 * changes what it sees; the first TN_SB_MAX bytes of a subnegotiation are
 * kept.
 *
 * Facts:
 *  - START_TLS: the server's DO is the offer (and a capability seen), the
 *    client's WILL the request, the server's FOLLOWS the go-ahead; the rest
 *    of both streams is TLS after the client's FOLLOWS, or from a
 *    ClientHello sent right after it. The server's DONT or WONT after the
 *    client's WILL is a refusal. A client's WONT after the server's DO is
 *    an offer not taken (not-requested), not a refusal: every client without
 *    START_TLS answers so. Server bytes after its FOLLOWS and before the
 *    client's are a response injection; client text after the server's
 *    FOLLOWS instead of the client's is where TLS must have started.
 *  - AUTHENTICATION: SEND naming SSL is the offer (any SEND list is a
 *    capability list seen, so a list without SSL from a server that named
 *    it in other sessions is capability-stripped), IS SSL START the
 *    request, REPLY SSL ACCEPT the go-ahead (TLS from the next byte), REPLY
 *    SSL REJECT a refusal; client data after IS SSL START before the REPLY
 *    is command injection, a ClientHello there the client going ahead. IS
 *    with another type (NULL included) leaves the offer untaken.
 *  - A server that prompts for a login without having sent DO START_TLS
 *    or DO AUTHENTICATION (whose list only a willing client sees) offered
 *    no TLS: its capabilities count as seen.
 *  - The login: server data with the commands, CR and NUL taken out, read
 *    as lines; the line the server left open when the client starts typing
 *    is the prompt that typing answers: "login:" or "Username:" (the user),
 *    "Password:" (the secret; also alone, as line passwords are). The
 *    client's data up to CR or LF (CR NUL, CR LF) is the value, BS and DEL
 *    edit it, ^U clears it, the server's echo is ignored. The first
 *    non-empty server line after the secret decides: a failure phrase
 *    ("Login incorrect", "failed", "denied" ...) is a failure, anything
 *    else (Last login, the MOTD) a success; so is a shell prompt ($ # % >)
 *    left open when the client types next, while a new login or password
 *    prompt there is a failure. Only TN_OUTCOME_MAX server bytes are read
 *    for it, then the outcome stays unknown. A prompt answered in the clear
 *    is a password login offered in cleartext. After a success the parser
 *    stops: nothing later changes the verdict.
 *  - Own facts: the upgrade the client asked for (start-tls, auth-ssl) and
 *    an ENCRYPT option started (the parser stops there: the data is
 *    encrypted, though not with TLS).
 *
 * Not handled: logins passed in NEW-ENVIRON (USER) or by Kerberos
 * AUTHENTICATION types (no secret crosses in the clear); the ENCRYPT
 * option's own encryption, which is not TLS (the session stays cleartext,
 * with encrypt=started); prompts in other languages; a server that sends no
 * IAC at all is recognised only by a login prompt in its first bytes (and
 * on port 23 only, or when the client's first bytes say Telnet); typed
 * lines longer than LOGIN_FIELD_MAX are cut; more than TN_WATCH_MAX data
 * bytes of a direction with no login in progress end the parsing.
 */
#include <string.h>

#include "cursor.h"
#include "telnet.h"

#define TN_IAC 255
#define TN_DONT 254
#define TN_DO 253
#define TN_WONT 252
#define TN_WILL 251
#define TN_SB 250
#define TN_SE 240

#define TN_OPT_AUTH 37
#define TN_OPT_ENCRYPT 38
#define TN_OPT_START_TLS 46

#define TN_AUTH_IS 0
#define TN_AUTH_SEND 1
#define TN_AUTH_REPLY 2
#define TN_AUTH_SSL 7 /* Tim Hudson's SSL auth type */
#define TN_SSL_START 1
#define TN_SSL_ACCEPT 2
#define TN_SSL_REJECT 3
#define TN_TLS_FOLLOWS 1
#define TN_ENCRYPT_START 3

#define TN_WATCH_MAX 65536 /* data bytes of a direction read with no login in progress */

/* Where one direction's byte machine is. */
enum tn_ps {
	TN_PS_DATA = 0,
	TN_PS_IAC,    /* IAC seen */
	TN_PS_OPTION, /* WILL, WONT, DO or DONT seen: the option next */
	TN_PS_SB_OPT, /* IAC SB seen: the option next */
	TN_PS_SB,     /* inside a subnegotiation */
	TN_PS_SB_IAC, /* IAC inside a subnegotiation */
};

enum tn_upgrade {
	TN_UP_NONE = 0,
	TN_UP_START_TLS,
	TN_UP_AUTH_SSL,
};

/* What the own fields hold (proto_facts.own). */
struct tn_own {
	uint8_t upgrade; /* enum tn_upgrade: what the client asked for */
	uint8_t encrypt; /* an ENCRYPT option started */
};

_Static_assert(sizeof(struct tn_own) <= PROTO_OWN_MAX, "tn_own fits proto_facts.own");

static struct tn_own *
tn_own(struct proto_facts *f)
{
	return (struct tn_own *)(void *)f->own;
}

static void
tn_capa(struct proto_facts *f, const char *word)
{
	proto_facts_add_capa_once(f, (const uint8_t *)word, strlen(word));
}

static void
tn_reply(struct proto_facts *f, const char *text)
{
	proto_facts_set_upgrade_reply(f, (const uint8_t *)text, strlen(text));
}

static void
tn_indicate(struct proto_facts *f, uint32_t ind, const char *text)
{
	proto_facts_indicate(f, ind, (const uint8_t *)text, strlen(text));
}

/* The request was refused (evidence: the refusal, in words). */
static void
tn_refused(struct proto_facts *f, const char *what)
{
	f->upgrade_refused = true;
	tn_reply(f, what);
	tn_indicate(f, IND_UPGRADE_REFUSED, what);
}

/* The rest of both streams is TLS. */
static void
tn_switch(struct proto_facts *f)
{
	f->upgrade_accepted = true;
	f->switch_to_tls = true;
}

/* ---- commands and subnegotiations ------------------------------------------- */

static void
tn_option(struct tn_state *s, struct proto_facts *f, enum dir dir, uint8_t verb, uint8_t opt)
{
	if (opt == TN_OPT_AUTH && dir == DIR_S2C && verb == TN_DO)
		s->auth_asked = true;
	if (opt != TN_OPT_START_TLS)
		return;
	if (dir == DIR_S2C && verb == TN_DO) {
		f->tls_offered = true;
		f->capa_seen = true;
		tn_capa(f, "START_TLS");
	} else if (dir == DIR_C2S && verb == TN_WILL) {
		f->upgrade_requested = true;
		s->stls_asked = true;
		tn_own(f)->upgrade = TN_UP_START_TLS;
	} else if (dir == DIR_S2C && (verb == TN_DONT || verb == TN_WONT) && s->stls_asked &&
		   !f->upgrade_accepted && !f->upgrade_refused) {
		tn_refused(f, verb == TN_DONT ? "DONT START_TLS" : "WONT START_TLS");
	}
}

/* SB AUTHENTICATION ...: SEND (the server's list), IS (the client's pick),
 * REPLY (the server's answer). Returns true when TLS follows. */
static bool
tn_auth(struct tn_state *s, struct proto_facts *f, enum dir dir, const uint8_t *sb, size_t n)
{
	if (n < 1)
		return false;
	if (dir == DIR_S2C && sb[0] == TN_AUTH_SEND) {
		f->capa_seen = true;
		for (size_t i = 1; i < n; i += 2) /* (type, modifiers) pairs */
			if (sb[i] == TN_AUTH_SSL) {
				f->tls_offered = true;
				tn_capa(f, "AUTH=SSL");
			}
		return false;
	}
	if (n < 4 || sb[1] != TN_AUTH_SSL)
		return false;
	if (dir == DIR_C2S && sb[0] == TN_AUTH_IS && sb[3] == TN_SSL_START) {
		f->upgrade_requested = true;
		s->ssl_asked = true;
		tn_own(f)->upgrade = TN_UP_AUTH_SSL;
	} else if (dir == DIR_S2C && sb[0] == TN_AUTH_REPLY && sb[3] == TN_SSL_ACCEPT) {
		s->ssl_asked = false;
		tn_reply(f, "SSL ACCEPT");
		tn_switch(f);
		return true;
	} else if (dir == DIR_S2C && sb[0] == TN_AUTH_REPLY && sb[3] == TN_SSL_REJECT &&
		   s->ssl_asked) {
		s->ssl_asked = false;
		tn_refused(f, "AUTHENTICATION REPLY SSL REJECT");
	}
	return false;
}

/* A complete subnegotiation (IAC SE seen). Returns true when the rest of
 * both streams is TLS. */
static bool
tn_subneg(struct tn_state *s, struct proto_facts *f, enum dir dir)
{
	struct tn_dir *d = &s->d[dir];

	switch (d->sb_opt) {
	case TN_OPT_START_TLS:
		if (d->sb_len < 1 || d->sb[0] != TN_TLS_FOLLOWS)
			return false;
		d->follows = true;
		if (dir == DIR_S2C) {
			f->upgrade_accepted = true;
			tn_reply(f, "FOLLOWS");
		} else {
			f->upgrade_requested = true;
			tn_own(f)->upgrade = TN_UP_START_TLS;
		}
		if (s->d[DIR_S2C].follows && s->d[DIR_C2S].follows) {
			tn_switch(f);
			return true;
		}
		return false;
	case TN_OPT_AUTH:
		return tn_auth(s, f, dir, d->sb, d->sb_len);
	case TN_OPT_ENCRYPT:
		if (d->sb_len >= 1 && d->sb[0] == TN_ENCRYPT_START) {
			tn_own(f)->encrypt = 1;
			s->stopped = true; /* the data is encrypted from here on */
		}
		return false;
	default:
		return false;
	}
}

/* ---- data ------------------------------------------------------------------- */

/*
 * A data byte (raw: an escaped 0xff cannot start TLS). Returns true when
 * the stream switches to TLS before it.
 */
static bool
tn_data(struct tn_state *s, struct proto_facts *f, enum dir dir, uint8_t b, bool raw)
{
	struct tn_dir *d = &s->d[dir];

	d->data++;
	if (dir == DIR_C2S) {
		/* After the server's FOLLOWS (or the client's own) the client's
		 * next data is TLS, or text where TLS had to start; after IS SSL
		 * START a ClientHello is the client going ahead. */
		if (raw && (s->d[DIR_S2C].follows || (d->follows && b == 0x16) ||
			    (s->ssl_asked && b == 0x16))) {
			tn_switch(f);
			return true;
		}
		if (s->ssl_asked && !s->injection_seen) {
			s->injection_seen = true;
			tn_indicate(f, IND_CMD_INJECTION,
				    "client data after AUTHENTICATION IS SSL START");
		}
		if (f->upgrade_refused)
			f->cleartext_after_refusal = true;
		tn_login_client_byte(s, f, b);
	} else {
		if (d->follows && !s->injection_seen) {
			s->injection_seen = true;
			tn_indicate(f, IND_RESP_INJECTION, "server data after START_TLS FOLLOWS");
		}
		tn_login_server_byte(s, f, b);
	}
	if (d->data > TN_WATCH_MAX && s->login == TN_LOGIN_IDLE)
		s->stopped = true;
	return false;
}

/* The byte after an IAC (also one that ended a subnegotiation without SE). */
static void
tn_after_iac(struct tn_state *s, struct proto_facts *f, enum dir dir, uint8_t b)
{
	struct tn_dir *d = &s->d[dir];

	d->ps = TN_PS_DATA;
	if (b == TN_IAC) {
		tn_data(s, f, dir, b, false);
	} else if (b >= TN_WILL && b <= TN_DONT) {
		d->verb = b;
		d->ps = TN_PS_OPTION;
	} else if (b == TN_SB) {
		d->ps = TN_PS_SB_OPT;
	}
	/* NOP, DM, BRK, IP, AO, AYT, EC, EL, GA, a stray SE: nothing to read */
}

static size_t
tn_feed(void *state, struct proto_facts *f, enum dir dir, const uint8_t *p, size_t len)
{
	struct tn_state *s = state;
	struct tn_dir *d = &s->d[dir];

	if (s->stopped || f->switch_to_tls)
		return len;
	for (size_t i = 0; i < len && !s->stopped; i++) {
		uint8_t b = p[i];

		switch (d->ps) {
		case TN_PS_DATA:
			if (b == TN_IAC)
				d->ps = TN_PS_IAC;
			else if (tn_data(s, f, dir, b, true))
				return i; /* TLS from this byte */
			break;
		case TN_PS_IAC:
			tn_after_iac(s, f, dir, b);
			break;
		case TN_PS_OPTION:
			d->ps = TN_PS_DATA;
			tn_option(s, f, dir, d->verb, b);
			break;
		case TN_PS_SB_OPT:
			d->sb_opt = b;
			d->sb_len = 0;
			d->ps = TN_PS_SB;
			break;
		case TN_PS_SB:
			if (b == TN_IAC)
				d->ps = TN_PS_SB_IAC;
			else if (d->sb_len < TN_SB_MAX)
				d->sb[d->sb_len++] = b;
			break;
		case TN_PS_SB_IAC:
			if (b == TN_SE) {
				d->ps = TN_PS_DATA;
				if (tn_subneg(s, f, dir))
					return i + 1; /* TLS after the SE */
			} else if (b == TN_IAC) {
				d->ps = TN_PS_SB;
				if (d->sb_len < TN_SB_MAX)
					d->sb[d->sb_len++] = b;
			} else {
				/* IAC and a command inside a subnegotiation: it
				 * ended without SE; the command is read as one. */
				f->anomalies |= PROTO_ANOM_BAD_SYNTAX;
				tn_after_iac(s, f, dir, b);
			}
			break;
		default:
			d->ps = TN_PS_DATA;
			break;
		}
	}
	return len;
}

static void
tn_init(void *state)
{
	struct tn_state *s = state;

	memset(s, 0, sizeof(*s));
	s->login_idx = -1;
}

/* ---- sniffing ----------------------------------------------------------------- */

/* Options a negotiation names: the registered ones (RFC 855 and the IANA
 * list: 0..50, 138..140, EXOPL 255). */
static bool
tn_option_known(uint8_t opt)
{
	return opt <= 50 || (opt >= 138 && opt <= 140) || opt == 255;
}

/* Data a Telnet peer sends among its first negotiations: text and the
 * controls of a terminal. */
static bool
tn_sniff_data_byte(uint8_t b)
{
	return (b >= 0x20 && b < 0x7f) || b == '\r' || b == '\n' || b == '\0' || b == '\t' ||
	       b == 0x07 || b == 0x08 || b == 0x1b;
}

/*
 * First bytes starting with IAC: a negotiation (WILL/WONT/DO/DONT of a
 * known option, or a subnegotiation of one) and, after it, only more
 * commands or terminal text (any byte once two commands were complete).
 * One complete negotiation and nothing that breaks the grammar is
 * unmistakable.
 */
static enum sniff_result
tn_sniff_commands(const uint8_t *p, size_t len)
{
	size_t i = 0, cmds = 0;

	while (i < len) {
		if (p[i] != TN_IAC) {
			if (cmds == 0 || (cmds < 2 && !tn_sniff_data_byte(p[i])))
				return SNIFF_NO;
			i++;
			continue;
		}
		if (i + 1 >= len)
			break;
		if (p[i + 1] >= TN_WILL && p[i + 1] <= TN_DONT) {
			if (i + 2 >= len)
				break;
			if (!tn_option_known(p[i + 2]))
				return SNIFF_NO;
			i += 3;
		} else if (p[i + 1] == TN_SB) {
			size_t j;

			if (i + 2 >= len)
				break;
			if (!tn_option_known(p[i + 2]))
				return SNIFF_NO;
			for (j = i + 3; j + 1 < len; j++) {
				if (p[j] != TN_IAC)
					continue;
				if (p[j + 1] == TN_SE)
					break;
				if (p[j + 1] != TN_IAC)
					return SNIFF_NO;
				j++;
			}
			if (j + 1 >= len)
				break;
			i = j + 2;
		} else if (cmds > 0 && p[i + 1] >= TN_SE && p[i + 1] != TN_SB) {
			i += 2; /* NOP, GA ... or IAC IAC, after a negotiation */
		} else {
			return SNIFF_NO;
		}
		cmds++;
	}
	return cmds > 0 ? SNIFF_STRONG : SNIFF_MORE;
}

/*
 * A Telnet peer starts with IAC WILL/WONT/DO/DONT (either side may speak
 * first). A server that negotiates nothing is only told by its login
 * prompt: text ending in "login:" or "Username:" is a weak claim.
 */
static enum sniff_result
tn_sniff(enum dir dir, const uint8_t *p, size_t len)
{
	size_t n = len;

	if (len == 0)
		return SNIFF_MORE;
	if (p[0] == TN_IAC)
		return tn_sniff_commands(p, len);
	if (dir != DIR_S2C)
		return SNIFF_NO;
	for (size_t i = 0; i < len; i++)
		if ((p[i] < 0x20 || p[i] > 0x7e) && p[i] != '\r' && p[i] != '\n' && p[i] != '\0')
			return SNIFF_NO;
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\0'))
		n--;
	if ((n >= 6 && text_equal_ci(p + n - 6, 6, "login:")) ||
	    (n >= 9 && text_equal_ci(p + n - 9, 9, "username:")))
		return SNIFF_WEAK;
	return SNIFF_NO;
}

static void
tn_write(const struct proto_facts *f, const struct proto_writer *w)
{
	const struct tn_own *o = (const struct tn_own *)(const void *)f->own;

	if (o->upgrade == TN_UP_START_TLS)
		w->str(w->ctx, "upgrade", "start-tls");
	else if (o->upgrade == TN_UP_AUTH_SSL)
		w->str(w->ctx, "upgrade", "auth-ssl");
	if (o->encrypt)
		w->str(w->ctx, "encrypt", "started");
}

const struct proto_desc proto_telnet = {
	.name = "telnet",
	.rfc = "RFC 854, RFC 855, RFC 2941, draft-altman-telnet-starttls-02",
	.transports = PROTO_TCP,
	.clear_ports = {23},
	.tls_ports = {992},
	.tls_transports = PROTO_TCP,
	.upgrade = {"START_TLS", "START_TLS", "FOLLOWS", true},
	.ndpi = {"Telnet"},
	.state_size = sizeof(struct tn_state),
	.sniff = tn_sniff,
	.init = tn_init,
	.feed = tn_feed,
	.gap = proto_gap_stop,
	.write = tn_write,
};
