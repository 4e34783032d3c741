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

#endif
