/*
 * smtp.h - the facts only the SMTP parser (src/proto/smtp.c) records, laid
 * out in proto_facts.own, for the mail policy checks (src/policy.c): whether
 * mail was handed over in this session (DATA answered 354, or BDAT sent),
 * whether the client said QUIT, and the domain of the first RCPT TO: read
 * in the clear. Not rendered by the sinks (the policy record says it).
 */
#ifndef TLSWATCH_SMTP_H
#define TLSWATCH_SMTP_H

#include <stdint.h>

#include "proto.h"

#define SMTP_RCPT_DOMAIN_KEEP 60 /* bytes of the domain kept, NUL included */

struct smtp_own {
	uint8_t data;  /* 1: DATA answered 354, or BDAT sent (mail content crossed) */
	uint8_t quit;  /* the client sent QUIT */
	uint8_t rcpts; /* RCPT TO commands read (saturates at 255) */
	char rcpt_domain[SMTP_RCPT_DOMAIN_KEEP]; /* lower case; "" when none or cut */
};

_Static_assert(sizeof(struct smtp_own) <= PROTO_OWN_MAX, "smtp_own fits proto_facts.own");

static inline const struct smtp_own *
smtp_own_of(const struct proto_facts *f)
{
	return (const struct smtp_own *)(const void *)f->own;
}

#endif
