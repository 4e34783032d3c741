/*
 * telnet.h - what the two files of the Telnet parser share: its state, read
 * by the option machine of telnet.c and by the login reader of
 * telnet_login.c (the server's text, the client's typing).
 */
#ifndef TLSWATCH_PROTO_TELNET_H
#define TLSWATCH_PROTO_TELNET_H

#include <stdbool.h>
#include <stdint.h>

#include "proto.h"

#define TN_SB_MAX 32	/* bytes of a subnegotiation kept */
#define TN_LINE_MAX 160 /* bytes of the server's current line kept */

/* Where the login dialogue is. */
enum tn_login {
	TN_LOGIN_IDLE = 0, /* no prompt answered */
	TN_LOGIN_USER,	   /* the client types the user */
	TN_LOGIN_AWAIT_PW, /* the user was sent: the password prompt next */
	TN_LOGIN_SECRET,   /* the client types the password */
	TN_LOGIN_OUTCOME,  /* the password was sent: the server's answer next */
};

struct tn_dir {
	uint8_t ps;   /* enum tn_ps */
	uint8_t verb; /* WILL..DONT waiting for its option */
	uint8_t sb_opt;
	uint8_t sb_len; /* bytes of sb kept */
	uint8_t sb[TN_SB_MAX];
	bool cr;       /* the last data byte was CR: a NUL or LF after it is its pair */
	bool follows;  /* this side sent START_TLS FOLLOWS */
	uint32_t data; /* data bytes seen */
};

struct tn_state {
	bool stopped; /* first: proto_gap_stop sets it */
	struct tn_dir d[2];
	bool auth_asked;     /* the server sent DO AUTHENTICATION */
	bool stls_asked;     /* the client sent WILL START_TLS */
	bool ssl_asked;	     /* the client sent IS SSL START, no REPLY yet */
	bool injection_seen; /* an injection was flagged */
	/* The server's current line (data, CR and NUL left out); its start is
	 * dropped when it grows past TN_LINE_MAX. */
	uint8_t line[TN_LINE_MAX];
	uint16_t line_len;
	bool line_old; /* it was open when the typing began: no answer */
	/* The login. */
	uint8_t login; /* enum tn_login */
	uint8_t typed[LOGIN_FIELD_MAX];
	uint8_t typed_len;
	char user[LOGIN_FIELD_MAX];
	int login_idx; /* the login waiting for its outcome, -1 none */
	uint32_t outcome_bytes;
};

/* A data byte of the server's (commands taken out): the text prompts and
 * outcomes are read from. */
void tn_login_server_byte(struct tn_state *s, struct proto_facts *f, uint8_t b);
/* A data byte of the client's: what it types at a prompt. */
void tn_login_client_byte(struct tn_state *s, struct proto_facts *f, uint8_t b);

#endif
