/*
 * invariants.h - checks the fuzz targets make beyond "no crash": every string
 * a parser records is NUL-terminated inside its field and printable ASCII
 * (the sinks escape, but a parser promises clean facts), and counts stay
 * within what was fed. A broken invariant aborts, so libFuzzer keeps the input.
 */
#ifndef TLSWATCH_FUZZ_INVARIANTS_H
#define TLSWATCH_FUZZ_INVARIANTS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

static inline void
fuzz_fail(const char *what)
{
	fprintf(stderr, "fuzz invariant broken: %s\n", what);
	abort();
}

/* field[0..size) holds a NUL and only printable ASCII before it. */
static inline void
fuzz_check_text(const char *field, size_t size, const char *what)
{
	const char *nul = memchr(field, '\0', size);

	if (!nul)
		fuzz_fail(what);
	for (const char *p = field; p < nul; p++)
		if (*p < 0x20 || *p > 0x7e)
			fuzz_fail(what);
}

static inline void
fuzz_check_login(const struct login *l)
{
	fuzz_check_text(l->mechanism, sizeof(l->mechanism), "login mechanism");
	fuzz_check_text(l->username, sizeof(l->username), "login username");
	fuzz_check_text(l->secret, sizeof(l->secret), "login secret");
}

static inline void
fuzz_check_proto_facts(const struct proto_facts *f)
{
	fuzz_check_text(f->capa, sizeof(f->capa), "capa");
	fuzz_check_text(f->upgrade_reply, sizeof(f->upgrade_reply), "upgrade_reply");
	if (f->evidence_len > sizeof(f->evidence) || f->n_logins > LOGIN_MAX)
		fuzz_fail("evidence_len or n_logins over its array");
	for (unsigned i = 0; i < f->n_logins; i++)
		fuzz_check_login(&f->logins[i]);
}

/* A protocol's own fields: printable keys and values. */
static inline void
fuzz_own_str(void *ctx, const char *key, const char *value)
{
	(void)ctx;
	fuzz_check_text(key, strlen(key) + 1, "own field key");
	fuzz_check_text(value, strlen(value) + 1, "own field value");
}

static inline void
fuzz_own_num(void *ctx, const char *key, uint64_t value)
{
	(void)ctx;
	(void)value;
	fuzz_check_text(key, strlen(key) + 1, "own field key");
}

/* What the parser announced and its own fields, as the sinks render them. */
static inline void
fuzz_check_own(const struct proto_desc *d, const struct proto_facts *f)
{
	struct proto_writer w = {NULL, fuzz_own_str, fuzz_own_num};

	for (unsigned i = 0; i < PROTO_EXPECT_RING && i < f->n_expect; i++) {
		const struct proto_expect *x = &f->expect[i];

		if (x->port == 0 || (x->family != 0 && x->family != 4 && x->family != 6))
			fuzz_fail("an announced endpoint without a port or family");
	}
	if (d->write)
		d->write(f, &w);
}

#endif
