/*
 * transcript.h - what the parser tests share: a transcript replayed whole
 * and in every chunk size of replay.h with the same facts each time, and
 * the assertions on what it recorded. Include after <cmocka.h>.
 */
#ifndef TLSWATCH_TEST_TRANSCRIPT_H
#define TLSWATCH_TEST_TRANSCRIPT_H

#include <stdio.h>
#include <string.h>

#include "proto.h"
#include "replay.h"

#define CB(s)                                                                                      \
	{                                                                                          \
		DIR_C2S, (s), sizeof(s) - 1                                                        \
	} /* binary client bytes */
#define N_STEPS(a) (sizeof(a) / sizeof((a)[0]))

/* Replays in every chunk size; the facts and the bytes left for TLS must be
 * the same each time. *whole gets the run with whole steps. */
static inline void
transcript_run(const struct proto_desc *d, const struct step *steps, size_t n,
	       struct replay_result *whole)
{
	replay(d, steps, n, 0, whole);
	for (size_t i = 0; i < REPLAY_N_CHUNKS; i++) {
		struct replay_result r;

		replay(d, steps, n, replay_chunks[i], &r);
		if (!replay_facts_equal(&r.facts, &whole->facts))
			fail_msg("%s: facts differ with chunks of %zu bytes", d->name,
				 replay_chunks[i]);
		assert_int_equal(r.after_switch[DIR_C2S], whole->after_switch[DIR_C2S]);
		assert_int_equal(r.after_switch[DIR_S2C], whole->after_switch[DIR_S2C]);
	}
}

static inline void
assert_evidence(const struct proto_facts *f, const char *want)
{
	assert_int_equal(f->evidence_len, strlen(want));
	assert_memory_equal(f->evidence, want, f->evidence_len);
}

static inline void
assert_login(const struct proto_facts *f, size_t i, const char *mech, const char *user,
	     const char *secret, bool has_secret, enum login_outcome outcome)
{
	assert_true(i < f->n_logins);
	assert_string_equal(f->logins[i].mechanism, mech);
	assert_string_equal(f->logins[i].username, user);
	assert_string_equal(f->logins[i].secret, secret);
	assert_int_equal(f->logins[i].has_secret, has_secret);
	assert_int_equal(f->logins[i].outcome, outcome);
}

/* A protocol's own fields as the sinks would see them: "key=value;..." */
struct own_text {
	char buf[256];
};

static inline void
own_text_str(void *ctx, const char *key, const char *value)
{
	struct own_text *t = ctx;
	size_t n = strlen(t->buf);

	snprintf(t->buf + n, sizeof(t->buf) - n, "%s=%s;", key, value);
}

static inline void
own_text_num(void *ctx, const char *key, uint64_t value)
{
	struct own_text *t = ctx;
	size_t n = strlen(t->buf);

	snprintf(t->buf + n, sizeof(t->buf) - n, "%s=%llu;", key, (unsigned long long)value);
}

/* d's own fields of f, rendered into t; returns t->buf. */
static inline const char *
own_fields(const struct proto_desc *d, const struct proto_facts *f, struct own_text *t)
{
	struct proto_writer w = {t, own_text_str, own_text_num};

	memset(t, 0, sizeof(*t));
	d->write(f, &w);
	return t->buf;
}

#endif
