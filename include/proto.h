/*
 * proto.h - the contract between the core and the service parsers.
 *
 * A service parser (src/proto/<name>.c) reads the reassembled cleartext of one
 * session and records facts in a struct proto_facts: what the server offered,
 * what the client asked, what was answered, logins seen. It never prints, never
 * touches another parser and never calls TLS code: when the upgrade is agreed
 * it sets facts->switch_to_tls and returns how many bytes it consumed; the core
 * hands the rest of the stream to the TLS parser (the Suricata way).
 *
 * Adding a protocol: one file with a `const struct proto_desc proto_<name>`
 * and one line in src/proto/proto_list.h (docs/architecture.md has the recipe).
 *
 * Text protocols share the line assembler below: in-order bytes are scanned in
 * place and only a partial line at the end of a segment is copied, under
 * LINE_CAP; a longer line is cut, flagged, and the rest discarded until LF.
 */
#ifndef TLSWATCH_PROTO_H
#define TLSWATCH_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cursor.h"
#include "reasm.h"

#define LINE_CAP 1024	 /* longest line kept whole; longer ones are cut */
#define LINE_TAIL_MAX 32 /* end of a cut line kept (an IMAP literal "{n}") */
#define EVIDENCE_MAX 200 /* bytes of an offending line kept as evidence */
#define LOGIN_MAX 4	 /* logins remembered per session (more are counted) */
#define LOGIN_FIELD_MAX 64
#define CAPA_TEXT_MAX 160   /* capability keywords kept for display */
#define REPLY_TEXT_MAX 96   /* the server's answer to the upgrade request */
#define PROTO_OWN_MAX 64    /* bytes of a protocol's own facts (proto_facts.own): a DNS name */
#define PROTO_EXPECT_RING 4 /* connections announced, kept until the core reads them */

/* ---- Facts ---------------------------------------------------------------- */

/* Anomaly bits (proto_facts.anomalies): hostile or odd input, never fatal. */
enum {
	PROTO_ANOM_LINE_TOO_LONG = 1u << 0,
	PROTO_ANOM_BAD_SYNTAX = 1u << 1,
	PROTO_ANOM_GAP = 1u << 2,	   /* a gap in the stream: parser stopped */
	PROTO_ANOM_PIPELINE_CAP = 1u << 3, /* too many outstanding commands */
	PROTO_ANOM_BAD_LITERAL = 1u << 4,
};

/* Downgrade and injection indicators a parser can see inside one session. */
enum {
	IND_CAPA_MASKED = 1u << 0,     /* capability overwritten (XXXXXXXX) */
	IND_UPGRADE_REFUSED = 1u << 1, /* upgrade asked, error returned */
	IND_CMD_INJECTION = 1u << 2,   /* client bytes after the upgrade command */
	IND_RESP_INJECTION = 1u << 3,  /* server bytes after its go-ahead */
	IND_PREAUTH = 1u << 4,	       /* IMAP PREAUTH greeting */
	IND_CMD_MASKED = 1u << 5,      /* client upgrade command overwritten */
};

enum login_outcome {
	LOGIN_UNKNOWN = 0,
	LOGIN_SUCCESS,
	LOGIN_FAILURE,
};

struct login {
	char mechanism[16]; /* "PLAIN", "LOGIN", "USER", "CRAM-MD5" ... */
	char username[LOGIN_FIELD_MAX];
	char secret[LOGIN_FIELD_MAX]; /* only ever rendered with --show-secrets */
	bool has_secret;	      /* a reusable secret crossed the wire */
	bool anonymous;		      /* a guest login (FTP anonymous): listed, no alert */
	enum login_outcome outcome;
};

/*
 * A connection a session announced for later (FTP's PASV and EPSV replies,
 * PORT and EPRT commands): the endpoint that will accept it. The core links
 * the connection that comes to it to the announcing session.
 */
struct proto_expect {
	uint8_t family;	   /* 4 or 6; 0: the address is the announcer's peer (EPSV) */
	uint8_t addr[16];  /* as announced (may be a NAT's inside address) */
	uint16_t port;	   /* the port that will accept */
	bool by_server;	   /* passive: the server accepts; else the client does */
	bool tls_possible; /* the upgrade was offered or in use when it was announced */
};

struct proto_facts {
	bool greeting;		      /* the server's banner was seen */
	bool capa_seen;		      /* a capability list was seen (EHLO, CAPA, CAPABILITY) */
	bool tls_offered;	      /* ... and it offered the upgrade */
	bool upgrade_requested;	      /* client asked (STARTTLS, STLS, ...) */
	bool upgrade_accepted;	      /* server said go ahead */
	bool upgrade_refused;	      /* server answered the request with an error */
	bool cleartext_after_refusal; /* a command followed the refusal in the clear */
	bool auth_cleartext_offered;  /* server offered password logins before TLS
				       * (EHLO AUTH PLAIN/LOGIN, IMAP without
				       * LOGINDISABLED, POP3 USER or SASL PLAIN) */
	bool switch_to_tls;	      /* set by the parser: the rest of both streams is TLS */
	uint32_t indicators;	      /* IND_* */
	uint32_t anomalies;	      /* PROTO_ANOM_* */
	uint32_t cap_hits;	      /* lines cut, pipeline overflows ... */
	uint32_t commands;	      /* client commands parsed */
	/* For display: the capability keywords seen before TLS (space separated,
	 * cut at CAPA_TEXT_MAX) and the server's answer to the upgrade request
	 * (printable, cut). */
	char capa[CAPA_TEXT_MAX];
	char upgrade_reply[REPLY_TEXT_MAX];
	/* Evidence for the first indicator raised: the offending bytes, raw (the
	 * sink escapes them). */
	uint8_t evidence[EVIDENCE_MAX];
	uint16_t evidence_len;
	/* Logins seen in cleartext, in order. */
	struct login logins[LOGIN_MAX];
	uint8_t n_logins;
	uint32_t logins_dropped; /* more than LOGIN_MAX */
	/* Connections announced (proto_facts_expect): a ring the core reads
	 * after each feed; n_expect counts every announcement. */
	struct proto_expect expect[PROTO_EXPECT_RING];
	uint32_t n_expect;
	/* The protocol's own facts, laid out by its parser (at most
	 * PROTO_OWN_MAX bytes, zero when none) and rendered by its descriptor's
	 * write callback: facts that outlive the parser state. */
	uint8_t own[PROTO_OWN_MAX];
};

/* Records an indicator and, when it is the first one, its evidence. */
void proto_facts_indicate(struct proto_facts *f, uint32_t ind, const uint8_t *ev, size_t ev_len);
/* Appends one capability keyword to f->capa (ignored once full). */
void proto_facts_add_capa(struct proto_facts *f, const uint8_t *word, size_t n);
/* Keeps the server's answer to the upgrade request (CR LF dropped). */
void proto_facts_set_upgrade_reply(struct proto_facts *f, const uint8_t *line, size_t n);
/* Like proto_facts_add_capa, but skips a keyword f->capa already holds
 * (capability lists are often sent more than once). */
void proto_facts_add_capa_once(struct proto_facts *f, const uint8_t *word, size_t n);
/* One keyword of a capability list: kept once for display, and
 * IND_CAPA_MASKED (evidence: the line) when it is masked. */
void proto_facts_capa_keyword(struct proto_facts *f, const uint8_t *word, size_t n,
			      const uint8_t *line, size_t line_len);
/* Appends a login (or counts it in logins_dropped); returns it or NULL. */
struct login *proto_facts_add_login(struct proto_facts *f, const char *mechanism);
/* The same, returning the login's index in f->logins or -1: what parser state
 * keeps of a login a later reply completes. */
int proto_facts_add_login_index(struct proto_facts *f, const char *mechanism);
/* The login at index idx, or NULL for -1 (or any index not in use). */
struct login *proto_facts_login(struct proto_facts *f, int idx);
/* Announces a connection to come (see struct proto_expect). */
void proto_facts_expect(struct proto_facts *f, const struct proto_expect *x);
/* The server answered the login at index idx (-1: nothing happens):
 * LOGIN_SUCCESS when ok, else LOGIN_FAILURE. */
void proto_facts_login_outcome(struct proto_facts *f, int idx, bool ok);

/* ---- Parser descriptor ---------------------------------------------------- */

enum sniff_result {
	SNIFF_NO = 0,	  /* certainly not this protocol */
	SNIFF_MORE = 1,	  /* cannot tell yet (too few bytes) */
	SNIFF_WEAK = 2,	  /* plausible (e.g. a bare "220 " greeting) */
	SNIFF_STRONG = 3, /* unmistakable (e.g. "220 host ESMTP") */
};

/* Transports a service runs on (proto_desc.transports, .tls_transports). */
enum {
	PROTO_TCP = 1u << 0,
	PROTO_UDP = 1u << 1,
	/* SCTP: the user messages of an association, in TSN order, read as a
	 * stream (feed), as over TCP. */
	PROTO_SCTP = 1u << 2,
};

#define PROTO_PORTS_MAX 6 /* per list, the last one 0 */
#define PROTO_NAMES_MAX 4 /* nDPI names, ALPN ids per protocol, NULL-ended */

/*
 * The words of a protocol's in-band upgrade, as the outputs name them. A
 * protocol without one (DNS, SIP ...) leaves request NULL.
 */
struct proto_upgrade {
	const char *offer;   /* the capability the server offers: "STARTTLS", "STLS" */
	const char *request; /* the client's request: "STARTTLS", "STLS", "AUTH TLS" */
	const char *accept;  /* the server's go-ahead: "220", "+OK", "OK" */
	/* Seldom deployed (HTTP's RFC 2817 upgrade): a session in which neither
	 * side mentions it is judged as a protocol without one
	 * (cleartext/no-tls-protocol), not as not-offered. */
	bool seldom;
};

/*
 * Where a protocol's own fields go: the sinks pass one of these to its
 * descriptor's write callback and render each field under the protocol's
 * name (JSON: "ftp":{"prot":"P", ...}; text: ftp[prot=P ...]). Values are
 * printable ASCII.
 */
struct proto_writer {
	void *ctx;
	void (*str)(void *ctx, const char *key, const char *value);
	void (*num)(void *ctx, const char *key, uint64_t value);
};

/*
 * One protocol: what it is, where it is expected and, when tlswatch has a
 * parser for it, the parser. Every port, name, nDPI name, ALPN id and upgrade
 * word the program knows comes from these descriptors (src/proto/proto_list.h
 * lists them). A protocol known by port and name only has no callbacks.
 */
struct proto_desc {
	const char *name;   /* service name in outputs: "smtp" */
	const char *rfc;    /* the specifications its parser follows: "RFC 5321, RFC 3207" */
	uint8_t transports; /* PROTO_TCP | PROTO_UDP | PROTO_SCTP */
	uint16_t clear_ports[PROTO_PORTS_MAX]; /* cleartext ports, 0-ended */
	uint16_t tls_ports[PROTO_PORTS_MAX];   /* implicit TLS ports, 0-ended */
	uint8_t tls_transports;		       /* ... TLS on TCP, DTLS/QUIC on UDP */
	struct proto_upgrade upgrade;	       /* request NULL: none */
	const char *ndpi[PROTO_NAMES_MAX];     /* nDPI protocol names */
	const char *alpn[PROTO_NAMES_MAX];     /* ALPN protocol ids (RFC 7301) */
	size_t state_size;		       /* bytes of opaque per-session state */
	/* Bytes of state a UDP session gets, when fewer do (0: state_size):
	 * the first bytes of the same state, the rest (what only its TCP
	 * framing needs) never touched over UDP; init then gets this many
	 * zeroed bytes. A UDP flood holds many such sessions at once. */
	size_t udp_state_size;
	/* Looks at the first bytes of one direction of a new session. */
	enum sniff_result (*sniff)(enum dir dir, const uint8_t *p, size_t len);
	void (*init)(void *state);
	/*
	 * Consumes in-order cleartext of one direction. Returns the number of bytes
	 * consumed; less than len only when it set f->switch_to_tls (the rest is
	 * TLS) or gave up on the stream. Must be safe on any input and must give
	 * the same facts whatever the chunking of the stream.
	 */
	size_t (*feed)(void *state, struct proto_facts *f, enum dir dir, const uint8_t *p,
		       size_t len);
	/* One UDP datagram of one direction (services over UDP); same rules as
	 * feed, except that datagrams are never joined. */
	void (*datagram)(void *state, struct proto_facts *f, enum dir dir, const uint8_t *p,
			 size_t len);
	/* A gap in one direction; the parser resynchronises or stops. */
	void (*gap)(void *state, struct proto_facts *f, enum dir dir);
	/* Frees anything the state holds (the state memory itself is the core's). */
	void (*fini)(void *state);
	/* Renders f->own, the facts only this protocol has; writes nothing when
	 * it has none to show. NULL: no own fields. */
	void (*write)(const struct proto_facts *f, const struct proto_writer *w);
	/* The service of the connections its sessions announce (FTP: ftp-data),
	 * NULL when they announce none. */
	const struct proto_desc *data;
	/* Sessions of this service are another session's data connections: they
	 * are named by that link, never by their bytes, and judged by what they
	 * carry (TLS or not). */
	bool data_channel;
};

/* Every registered protocol, in proto_list.h order, NULL-terminated. */
extern const struct proto_desc *const proto_all[];
const struct proto_desc *proto_by_name(const char *name);
/* Is port one of d's cleartext ports? */
bool proto_has_port(const struct proto_desc *d, uint16_t port);
/* The protocol whose cleartext or implicit-TLS port this is on transport l4
 * (6 TCP, 17 UDP), or NULL; *tls_port tells which of the two lists matched. */
const struct proto_desc *proto_by_port(uint16_t port, uint8_t l4, bool *tls_port);
/* Our service name for an nDPI protocol name ("FTP_CONTROL" -> "ftp",
 * "IMAPS" -> "imap", "TLS.Google" -> "tls"); NULL when no protocol has it. */
const char *proto_name_by_ndpi(const char *ndpi_name);
/* Service name for an ALPN protocol id ("imap", "h2" -> "http"); the id may
 * be the first of a comma-separated list. NULL when no protocol has it. */
const char *proto_name_by_alpn(const char *alpn);
/* The capability by which a server of service offers the upgrade, in the
 * protocol's own word ("STLS" for pop3, "AUTH TLS" for ftp, "tls" for irc's
 * CAP LS, "CLIENT_SSL" for mysql), or "STARTTLS" for a service without one:
 * what a stripped session lacked. */
const char *proto_offer_word(const char *service);

/* ---- Line assembler shared by text protocols ------------------------------ */

struct line_asm {
	uint8_t buf[LINE_CAP];
	size_t len;	 /* bytes of a partial line held in buf */
	bool discarding; /* the current line overflowed: drop until LF */
	uint32_t cut;	 /* lines cut at LINE_CAP */
	/* The last LINE_TAIL_MAX bytes (or fewer) of the line cut most recently,
	 * its LF included; complete once discarding is false again. */
	uint8_t tail[LINE_TAIL_MAX];
	size_t tail_len;
};

void line_asm_init(struct line_asm *la);
/*
 * Looks for the next complete line (ending in LF) in p[0..n), continuing a
 * partial line held from earlier calls. Returns true with *line and *line_len set
 * (the line includes its CR LF; it points into p, or into la->buf when it was
 * assembled across calls, and stays valid until the next call) and *used = the
 * bytes of p consumed. Returns false when no complete line is available: all of
 * p was consumed (*used = n) and kept as a partial line. A line longer than
 * LINE_CAP is returned cut to LINE_CAP with *cut set, as soon as LINE_CAP bytes
 * are there; the rest of it, up to the LF, is then discarded (la->discarding
 * until the LF is seen), and its end kept in la->tail.
 */
bool line_next(struct line_asm *la, const uint8_t *p, size_t n, size_t *used, const uint8_t **line,
	       size_t *line_len, bool *cut);
/*
 * Drops the rest of a cut line, up to and including its LF, keeping its end
 * in la->tail. Returns true when the LF was reached: *used counts the bytes of
 * p up to it, la->tail is complete and la->discarding false. Returns false
 * when all of p was dropped (*used = n). line_next does this itself before
 * looking for the next line; a caller that must act where the cut line ends
 * (IMAP: a literal announced at its end) calls it first while la->discarding.
 */
bool line_discard_rest(struct line_asm *la, const uint8_t *p, size_t n, size_t *used);
/* Drops any partial line (after a gap). */
void line_asm_reset(struct line_asm *la);

/*
 * line_next for a parser: a cut line is also recorded in f
 * (PROTO_ANOM_LINE_TOO_LONG, cap_hits).
 */
bool proto_line_next(struct proto_facts *f, struct line_asm *la, const uint8_t *p, size_t n,
		     size_t *used, const uint8_t **line, size_t *line_len, bool *cut);

/* ---- Between the client's upgrade request and the server's answer -------- */

/*
 * For the protocols whose client waits for the answer to STARTTLS / STLS
 * (IMAP, POP3): the client's first byte after the request decides. 0x16 (a
 * TLS handshake record) means the client went ahead, the capture shows its
 * ClientHello before the answer; anything else is command injection
 * (CVE-2011-0411), whose evidence is the first injected line, or the injected
 * bytes without a line end when the answer comes first. One byte decides, so
 * that chunking cannot change the verdict.
 */
struct upgrade_wait {
	bool pending;	   /* the request was sent, its answer not read */
	bool client_spoke; /* client bytes followed the request */
	bool injection;	   /* ... and were not TLS: flag their first line */
};

/* The client sent the upgrade request: sets f->upgrade_requested. */
void upgrade_wait_begin(struct upgrade_wait *w, struct proto_facts *f);
/* Call with the first byte of every client chunk before parsing it. Returns
 * true when the client went ahead with TLS: upgrade_accepted and
 * switch_to_tls are set, and the chunk from that byte on is TLS. */
bool upgrade_wait_client_byte(struct upgrade_wait *w, struct proto_facts *f, uint8_t first);
/* A complete client line (line end trimmed): flagged when it is the first
 * injected one. */
void upgrade_wait_client_line(struct upgrade_wait *w, struct proto_facts *f, const uint8_t *line,
			      size_t n);
/*
 * The server's answer, ok when it is the go-ahead; partial is the client's
 * line assembler (injected bytes still without their line end). Keeps the
 * answer for display, then sets upgrade_accepted and switch_to_tls, or
 * upgrade_refused and IND_UPGRADE_REFUSED (evidence: the answer). Returns ok.
 */
bool upgrade_wait_answer(struct upgrade_wait *w, struct proto_facts *f, bool ok,
			 const uint8_t *line, size_t n, const struct line_asm *partial);

/* proto_desc.gap of a parser whose state begins with `bool stopped`
 * (LDAP, PostgreSQL): message boundaries are lost, parsing ends. */
void proto_gap_stop(void *state, struct proto_facts *f, enum dir dir);

/* Binary protocols: client bytes p[0..n) read while w waits for the answer
 * and its first byte was no TLS record: kept in kept (up to EVIDENCE_MAX)
 * as the injection's evidence, which upgrade_wait_answer flags. */
void upgrade_wait_keep(const struct upgrade_wait *w, struct line_asm *kept, const uint8_t *p,
		       size_t n);

/* A keyword and what it stands for, in a parser's command or mechanism table. */
struct proto_word {
	const char *word;
	int value;
};

/* The entry of table[0..n) whose word p[0..len) is (ASCII case-insensitive),
 * or NULL. */
const struct proto_word *proto_word_find(const struct proto_word *table, size_t n, const uint8_t *p,
					 size_t len);

/*
 * A keyword a middlebox overwrote keeps its length and becomes X's: a token of
 * at least 4 bytes of which at most a quarter are not 'X' (either case):
 * "XXXXXXXX", "XXXXXXXA", "xxxx". Real extension names (XCLIENT, XFORWARD,
 * XEXCH50, X-EXPS, XLIST) are never that.
 */
bool proto_token_is_masked(const uint8_t *p, size_t n);

/*
 * A literal announcement at the end of a line (line end already trimmed),
 * as IMAP (RFC 9051) and ManageSieve (RFC 5804) write them: "{n}", "{n+}"
 * (non-synchronizing), "~{n}" (IMAP literal8). Sets *size and returns true;
 * false when there is none. One of more than PROTO_LITERAL_DIGITS digits is
 * flagged (PROTO_ANOM_BAD_LITERAL) and ignored.
 */
#define PROTO_LITERAL_DIGITS 19
bool proto_literal_at_end(const uint8_t *p, size_t n, uint64_t *size, struct proto_facts *f);

/* Splits "CODE SP text" / "CODE-text" reply lines: returns the 3-digit code or
 * -1, and *last = false for a continuation line ("250-"). */
int line_reply_code(const uint8_t *line, size_t n, bool *last);

/* Skips bytes of a body that ends with "\r\n.\r\n" (SMTP DATA, POP3 multi-line
 * responses). `matched` carries how much of the terminator ended the previous
 * chunk; start it at 2 when the body starts at a line boundary. Returns the
 * number of bytes of p consumed, and sets *done when the terminator was
 * consumed. */
size_t body_skip_dot(uint8_t *matched, const uint8_t *p, size_t n, bool *done);

#endif
