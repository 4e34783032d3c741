/*
 * dgram_run.h - one session of a datagram parser in a unit test: its state
 * and facts, and datagrams fed in buffers of exactly their size (so ASan
 * sees any read past one). The test defines DGRAM_PROTO (the descriptor,
 * proto_snmp say) before including it. The state is as large as the core
 * makes a UDP session's: udp_state_size, when the parser has one.
 */
#ifndef TLSWATCH_TEST_DGRAM_RUN_H
#define TLSWATCH_TEST_DGRAM_RUN_H

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

struct run {
	struct proto_facts f;
	_Alignas(max_align_t) uint8_t state[1024];
};

static void
run_init(struct run *r)
{
	size_t size =
		DGRAM_PROTO.udp_state_size ? DGRAM_PROTO.udp_state_size : DGRAM_PROTO.state_size;

	assert_true(size <= sizeof(r->state));
	memset(r, 0, sizeof(*r));
	DGRAM_PROTO.init(r->state);
}

static void
run_dgram(struct run *r, enum dir dir, const void *p, size_t n)
{
	uint8_t *copy = malloc(n ? n : 1);

	assert_non_null(copy);
	memcpy(copy, p, n);
	DGRAM_PROTO.datagram(r->state, &r->f, dir, copy, n);
	free(copy);
}

#endif
