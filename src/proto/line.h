/*
 * line.h - the engine the line-based parsers (SMTP, POP3, IMAP) are built on,
 * in the way of tcpdump's txtproto_print and OpenSMTPD's command tables: a
 * protocol file holds its command and reply tables and the few functions
 * that truly differ, this engine the rest.
 *
 *  - The driver (struct line_conn, first member of a parser's state): splits
 *    each direction into lines with the assembler of proto.h (cut at
 *    LINE_CAP, the rest dropped up to LF), lets the parser read raw bytes
 *    between lines (message bodies, literals, the client's TLS record after
 *    an upgrade request), shows it where each line ends, a cut one too (an
 *    IMAP literal is announced there), stops for good after a gap, and
 *    returns the bytes up to the line after which the stream switched to
 *    TLS. Its feed, gap and fini are the descriptor's own callbacks.
 *  - Numbered replies (struct line_reply): "250-" lines continue a reply,
 *    "250 " ends it, a line with another code ends it too (flagged).
 *  - The command FIFO (struct cmd_fifo): commands wait for their answers in
 *    order (pipelining), under a cap that is a cap hit, never an abort.
 *  - The login tracker (struct login_track): SASL exchanges numbered as the
 *    client opens them, the response slot each client line takes (the
 *    pipelining rules of sasl.h), the exchange the server is in and its
 *    outcome; struct login_pair, a USER waiting for its PASS.
 *
 * The wait for the answer to an upgrade request (struct upgrade_wait), the
 * masked-keyword rule and the capability records are in proto.h.
 */
#ifndef TLSWATCH_PROTO_LINE_H
#define TLSWATCH_PROTO_LINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"
#include "sasl.h"

/* ---- Logins --------------------------------------------------------------------- */

/*
 * The logins of one session. A SASL exchange (AUTH, AUTHENTICATE) is
 * numbered from 1 as the client opens it; a client line may take one of its
 * response slots (sasl_exchange_wants_line), and every queued command names
 * the exchange whose slot its line took, so that the server's answer to it
 * is read as that exchange's when the server is in it (it challenged and
 * gave no outcome yet).
 */
struct login_track {
	struct sasl_exchange sasl; /* the client's latest exchange */
	uint32_t seq;		   /* ... its number (0: none yet) */
	int login;		   /* ... its login in f->logins, -1 when dropped */
	uint32_t srv;		   /* the exchange the server is in, 0: none */
	/* The client line being read: the slot it takes (0: none), and the
	 * login of that exchange. */
	uint32_t line_slot;
	int line_slot_login;
};

void login_track_init(struct login_track *t);
/* AUTH mech[0..n): starts an exchange and records its login in f. Returns
 * the exchange's number. */
uint32_t login_track_begin(struct login_track *t, struct proto_facts *f, const uint8_t *mech,
			   size_t n);
/* The initial response on the AUTH line (sasl_exchange_initial). */
void login_track_initial(struct login_track *t, struct proto_facts *f, const uint8_t *p, size_t n,
			 bool cut);
/*
 * A client line (line end trimmed) before the parser reads it as a command.
 * When it takes a response slot, line_slot names the exchange; it is read as
 * a response when the server asked for it, or when it was sent unasked and
 * is not a command (`command`: it starts with a verb the protocol knows) but
 * has the shape of a response. Returns true when it was read as a response;
 * false: read it as a command. The slot holds until login_track_line_end,
 * which the driver calls after every line.
 */
bool login_track_client_line(struct login_track *t, struct proto_facts *f, const uint8_t *line,
			     size_t n, bool cut, bool command);
/* The client line was read: later commands take no slot. */
void login_track_line_end(struct login_track *t);
/* The server challenged inside exchange seq (SMTP 334, POP3/IMAP "+"). */
void login_track_challenge(struct login_track *t, uint32_t seq);
/* The server's outcome for exchange seq, whose login is `login`. */
void login_track_outcome(struct login_track *t, struct proto_facts *f, uint32_t seq, int login,
			 bool ok);

/* A user name waiting for its secret: USER then PASS (RFC 1939, and the
 * same shape in FTP and NNTP's AUTHINFO). Zeroed: no name yet. */
struct login_pair {
	char user[LOGIN_FIELD_MAX]; /* from the last USER */
};

/* USER name: kept for the PASS that follows. */
void login_pair_user(struct login_pair *u, const uint8_t *name, size_t n);
/* PASS secret: records a "USER" login with the kept name. Returns its index
 * in f->logins, or -1 when it was only counted. */
int login_pair_pass(const struct login_pair *u, struct proto_facts *f, const uint8_t *secret,
		    size_t n);

/* ---- The driver -------------------------------------------------------------- */

/* A complete line, as the driver hands it over. */
struct line_view {
	const uint8_t *p; /* its bytes, valid during the callback only */
	size_t len;	  /* its length, line end included */
	size_t tn;	  /* ... without its CR LF or LF */
	bool cut;	  /* cut at LINE_CAP (len is LINE_CAP, no line end) */
	bool first;	  /* the first line of its direction (a greeting) */
	enum dir dir;
};

/* What a parser does with the bytes of one direction (dir: that direction,
 * so that one function may serve both). */
struct line_dir_ops {
	/*
	 * Bytes read raw before the next line (a body, a literal, the first
	 * byte after an upgrade request); never offered the rest of a cut
	 * line, which stays part of that line. Returns how many of p[0..n) (n > 0)
	 * it took, 0 to have the next line read; sets *stop when the stream
	 * ends after those bytes (the rest is TLS). NULL: lines only.
	 */
	size_t (*raw)(void *state, struct proto_facts *f, enum dir dir, const uint8_t *p, size_t n,
		      bool *stop);
	/* One line. Returns true when the stream switches to TLS after it:
	 * feed returns the bytes up to its end. */
	bool (*line)(void *state, struct proto_facts *f, const struct line_view *l);
	/*
	 * Where each line ends, after line(): the line again, or for a cut
	 * line its last LINE_TAIL_MAX bytes, LF included, once the LF came (a
	 * literal announced at its end). Setting line_conn.stopped here ends
	 * parsing after the line. NULL: the rest of a cut line is dropped
	 * unseen.
	 */
	void (*end)(void *state, struct proto_facts *f, enum dir dir, const uint8_t *end, size_t n);
};

struct line_ops {
	struct line_dir_ops dir[2]; /* indexed by enum dir */
	/* Once stopped (a gap): true, feed takes every later byte unread;
	 * false, it takes none (the core stops feeding the parser). */
	bool consume_after_stop;
};

/* The first member of a line parser's state. */
struct line_conn {
	const struct line_ops *ops;
	struct line_asm la[2]; /* indexed by enum dir */
	bool stopped;	       /* after a gap, or when the parser gave up */
	bool spoke[2];	       /* a line of that direction was read */
	struct login_track auth;
};

/* Zeroes a parser state of `size` bytes that begins with a struct line_conn,
 * and readies its driver for ops (static storage: it is not copied) and its
 * login tracker. */
void line_conn_init(void *state, size_t size, const struct line_ops *ops);
/* proto_desc.feed, .gap and .fini for such a state. feed returns 0 once
 * switch_to_tls is set: the rest is not ours. */
size_t line_conn_feed(void *state, struct proto_facts *f, enum dir dir, const uint8_t *p,
		      size_t len);
void line_conn_gap(void *state, struct proto_facts *f, enum dir dir);
void line_conn_fini(void *state);

/* ---- Helpers a parser's callbacks share --------------------------------------- */

/*
 * A client line as a command: its first token, looked up in table[0..n);
 * counted in f->commands, and cleartext after a refused upgrade noted.
 * False for a blank line. *w is the entry or NULL, *kw the token, *rest
 * what follows it.
 */
bool line_command(struct proto_facts *f, const struct line_view *l, const struct proto_word *table,
		  size_t n, const struct proto_word **w, struct cursor *kw, struct cursor *rest);

/* A literal announced at the end of a line (IMAP, ManageSieve). */
struct line_literal {
	uint64_t left;	    /* raw bytes still to come */
	bool after_literal; /* the next line continues the one before it */
};

/* At a line's end (the end callback, end[0..n) with its line end): arms
 * lit when a literal is announced there; returns whether it was. */
bool line_literal_end(struct line_literal *lit, struct proto_facts *f, const uint8_t *end,
		      size_t n);
/* In a raw callback: how many of the n bytes at hand are the literal's
 * (taken from lit->left). */
size_t line_literal_take(struct line_literal *lit, size_t n);

/* ---- Numbered replies ---------------------------------------------------------- */

/* What a parser does with the replies it reads (SMTP, LMTP). */
struct line_reply_ops {
	void (*begin)(void *state, int code); /* a reply with this code starts */
	/* Each of its lines, before it is counted in line_reply.lines. */
	void (*line)(void *state, struct proto_facts *f, const uint8_t *line, size_t n);
	/* It ended with `last` (its last line, or the latest one read when a
	 * line with another code ended it). Returns true when the stream
	 * switches to TLS after it. */
	bool (*done)(void *state, struct proto_facts *f, const uint8_t *last, size_t n);
};

struct line_reply {
	bool open;	/* a reply's last line is still to come */
	int code;	/* its code */
	uint32_t lines; /* its lines read so far */
	/* Its latest line (cut), in case a line with another code ends it. */
	uint16_t last_len;
	uint8_t last[EVIDENCE_MAX];
};

/*
 * One server line: "CODE-text" continues the reply, "CODE text" ends it, a
 * line with another code ends the open reply and starts the next (the reply
 * before never had its last line: PROTO_ANOM_BAD_SYNTAX, so that later
 * replies stay matched); a line without a code is PROTO_ANOM_BAD_SYNTAX and
 * skipped. Returns true when a done() asked to switch to TLS.
 */
bool line_reply_read(struct line_reply *r, const struct line_reply_ops *ops, void *state,
		     struct proto_facts *f, const uint8_t *line, size_t n);

/* ---- The command FIFO ------------------------------------------------------------ */

#define CMD_FIFO_CAP 64 /* commands sent whose answer was not read yet */

/* One command waiting for its answer. */
struct cmd_entry {
	uint8_t cmd;	   /* the protocol's code for what the line is as a command */
	int8_t login;	   /* the login its answer completes, -1: none */
	int8_t slot_login; /* the login of the exchange `slot` names */
	uint32_t seq;	   /* an AUTH: the exchange it starts */
	uint32_t slot;	   /* the exchange in which its line took a response slot, 0: none */
	uint32_t replies;  /* answers still due; 0: not known yet (LMTP) */
};

struct cmd_fifo {
	struct cmd_entry e[CMD_FIFO_CAP]; /* a ring, oldest first */
	uint8_t head, n;
};

/*
 * Queues a command expecting `replies` answers, stamped with the response
 * slot of the client line t reads. Returns the entry, or NULL when
 * CMD_FIFO_CAP are queued (PROTO_ANOM_PIPELINE_CAP, a cap hit; the command
 * is not queued).
 */
struct cmd_entry *cmd_fifo_push(struct cmd_fifo *q, struct proto_facts *f,
				const struct login_track *t, uint8_t cmd, int login,
				uint32_t replies);
/* Consecutive commands of one kind sharing an entry (SMTP's RCPT lists):
 * when the newest entry is cmd and neither it nor the line t reads took a
 * response slot, it now expects `replies` (> 0) more answers: true. */
bool cmd_fifo_merge(struct cmd_fifo *q, const struct login_track *t, uint8_t cmd, uint32_t replies);
/* After cmd_fifo_push failed: the newest entry becomes `lost` and expects
 * `replies` more answers, so that later answers stay matched. */
void cmd_fifo_absorb(struct cmd_fifo *q, uint8_t lost, uint32_t replies);
/* The oldest entry, or NULL. */
struct cmd_entry *cmd_fifo_peek(struct cmd_fifo *q);
/* Removes the oldest entry into *out; false when none is queued. */
bool cmd_fifo_pop(struct cmd_fifo *q, struct cmd_entry *out);
/* The oldest entry got one of its answers: removed when no more are due. */
void cmd_fifo_answered(struct cmd_fifo *q);
/* Whether the server reads e's line as a response of the exchange it is in
 * (it took a slot of that exchange), not as the command it looked like. */
bool login_track_in_exchange(const struct login_track *t, const struct cmd_entry *e);
/* login_track_in_exchange, for the answer to e: an AUTH read that way never
 * started its exchange on the server, which is then over. The parser undoes
 * what else waited for the command's answer. */
bool login_track_read_as_response(struct login_track *t, const struct cmd_entry *e);

#endif
