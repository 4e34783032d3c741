/*
 * sasl.h - the client side of SASL exchanges (RFC 4422) as mail protocols
 * carry them in cleartext: base64 (RFC 4648) and the credentials inside the
 * common mechanisms, plus the one place login fields are sanitised.
 *
 * The protocol parsers (IMAP AUTHENTICATE, POP3 AUTH, SMTP AUTH ...) frame
 * the exchange: they find the mechanism name, the optional initial response
 * and each later client response, and hand them over one at a time. This
 * module turns them into a struct login. It never prints and keeps no state
 * of its own beyond the struct sasl_exchange the caller owns.
 */
#ifndef TLSWATCH_SASL_H
#define TLSWATCH_SASL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"

/* Mechanisms whose responses carry something worth recording. */
enum sasl_mech {
	SASL_MECH_OTHER = 0,   /* recorded by name only (GSSAPI, NTLM, EXTERNAL ...) */
	SASL_MECH_PLAIN,       /* RFC 4616: [authzid] NUL authcid NUL passwd */
	SASL_MECH_LOGIN,       /* draft-murchison-sasl-login: username, then password */
	SASL_MECH_CRAM_MD5,    /* RFC 2195: "username SP hexdigest", no reusable secret */
	SASL_MECH_DIGEST_MD5,  /* RFC 2831: username="U" among the directives, no secret */
	SASL_MECH_SCRAM,       /* RFC 5802, any SCRAM-*: gs2 header then n=U, no secret */
	SASL_MECH_XOAUTH2,     /* "user=U^Aauth=Bearer T^A^A" */
	SASL_MECH_OAUTHBEARER, /* RFC 7628: gs2 header "n,a=U," then kvpairs */
};

/* One exchange in progress; zero it (or call sasl_exchange_start) per AUTH. */
struct sasl_exchange {
	enum sasl_mech mech;
	uint8_t responses; /* client responses seen, the initial response included */
	uint8_t prompts;   /* server challenges (SMTP 334, POP3/IMAP "+") to it read */
	bool initial;	   /* the command carried an initial response */
	bool open;	   /* started; not ended by the server's answer nor a "*" */
};

/*
 * Copies p[0..n) into dst (size dstsz, always NUL-terminated when dstsz > 0),
 * every byte outside printable ASCII replaced by '?'; a value longer than
 * dstsz - 1 is cut to its first dstsz - 4 characters followed by "...".
 * _append adds after what dst already holds (for values that arrive in pieces,
 * like IMAP literals). dst may be NULL: nothing happens.
 */
void sasl_field_set(char *dst, size_t dstsz, const uint8_t *p, size_t n);
void sasl_field_append(char *dst, size_t dstsz, const uint8_t *p, size_t n);

/*
 * Decodes base64 text in[0..n) into out (size outsz). Padding may be left
 * out; anything outside the alphabet, data after '=', more than two '=' or a
 * lone trailing character make it fail. Returns false on bad input or when
 * out is too small; *out_len is the number of bytes written either way.
 */
bool sasl_base64_decode(const uint8_t *in, size_t n, uint8_t *out, size_t outsz, size_t *out_len);

/*
 * Recognises a mechanism name and writes it, uppercased and sanitised, into
 * name (size namesz; pass sizeof(struct login.mechanism)).
 */
enum sasl_mech sasl_mech_parse(const uint8_t *p, size_t n, char *name, size_t namesz);

/* Splits a decoded PLAIN message into l->username (authcid) and l->secret;
 * false when it lacks the two NULs. l may be NULL (only checks). */
bool sasl_plain_parse(const uint8_t *msg, size_t n, struct login *l);

/* The user of a digest response: username="U" (quoted, with backslash
 * escapes) or username=U among comma-separated directives, as SASL
 * DIGEST-MD5 (RFC 2831) and HTTP Digest (RFC 7616) send it; l->username
 * stays as it was when there is none. */
void sasl_digest_username(const uint8_t *msg, size_t n, struct login *l);

void sasl_exchange_start(struct sasl_exchange *x, enum sasl_mech mech);
/*
 * Interprets the next client response, given as its base64 text without the
 * line end ("=" is an empty initial response). Fills l (which may be NULL when
 * the login was not recorded). Returns false when the text is not base64 or
 * the mechanism's message is malformed. Only the first 768 decoded bytes of a
 * response are looked at; a caller holding a cut line passes whole base64
 * quanta only.
 */
bool sasl_exchange_response(struct sasl_exchange *x, struct login *l, const uint8_t *b64, size_t n);

/*
 * Starts the exchange an AUTH or AUTHENTICATE command opens: recognises the
 * mechanism named by mech[0..n) and records a login under that name in f.
 * Returns the login's index in f->logins, or -1 when it was only counted.
 */
int sasl_exchange_begin(struct sasl_exchange *x, struct proto_facts *f, const uint8_t *mech,
			size_t n);

/*
 * One client line of the exchange, its line end trimmed, for the login at
 * index `login` of f (-1: not recorded). "*" cancels the exchange (RFC 4422):
 * returns false and closes it, the server answers with an error. Anything
 * else is a response; one that is not base64 or not the mechanism's message
 * sets PROTO_ANOM_BAD_SYNTAX in f. cut: the line was cut at LINE_CAP, so only
 * its whole base64 quanta are read.
 */
bool sasl_exchange_line(struct sasl_exchange *x, struct proto_facts *f, int login, const uint8_t *p,
			size_t n, bool cut);

/* sasl_exchange_line for the initial response on the command line itself
 * (RFC 4954, RFC 5034, RFC 4959 SASL-IR): the server sends no empty
 * challenge for it. */
bool sasl_exchange_initial(struct sasl_exchange *x, struct proto_facts *f, int login,
			   const uint8_t *p, size_t n, bool cut);

/*
 * Pipelining. A client need not wait for the server's challenge before it
 * sends a response: the server reads the next line after the command as the
 * first response, whenever it arrived. So the next client line takes one of
 * the exchange's response slots when the exchange is open and either
 *  - it answers a challenge already read (*prompted: it is a response), or
 *  - the mechanism lets the client send it unasked: the first message of a
 *    client-first mechanism (PLAIN, XOAUTH2, SCRAM ...), LOGIN's user name
 *    and password; never CRAM-MD5 or DIGEST-MD5, where the server speaks
 *    first. An initial response uses one of these.
 * An unasked line in a slot is still only what the server will read there
 * if it goes on with the exchange: the protocol decides whether it reads it
 * as a response (sasl_exchange_line) or, when it is none (a command verb,
 * not base64), as a command (sasl_exchange_skip). prompted may be NULL.
 */
bool sasl_exchange_wants_line(const struct sasl_exchange *x, bool *prompted);
/* The client line in a slot was read as a command: the slot is used. */
void sasl_exchange_skip(struct sasl_exchange *x);
/* Whether p[0..n) (line end trimmed) has the shape of a client response: "*",
 * "=" or base64 (whole quanta of a cut line, as sasl_exchange_line reads). */
bool sasl_line_is_response(const uint8_t *p, size_t n, bool cut);
/* The server sent a challenge to this exchange. */
void sasl_exchange_prompt(struct sasl_exchange *x);
/* The server answered the exchange with its outcome: no more responses. */
void sasl_exchange_end(struct sasl_exchange *x);

#endif
