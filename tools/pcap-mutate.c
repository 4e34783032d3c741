/*
 * pcap-mutate.c - writes a hostile copy of a classic pcap file: the record
 * headers stay valid, the packet bytes are damaged (bit flips, bytes set to
 * 0x00/0xff, random runs), deterministically from a seed. The end-to-end
 * suite runs tlswatch over such copies of every capture: it must never crash.
 *
 *   pcap-mutate IN.pcap OUT.pcap SEED
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* xorshift64*: small, deterministic, good enough for mutations. */
static uint64_t
rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

static void
mutate(uint8_t *p, uint32_t n, uint64_t *rng)
{
	uint32_t edits;

	if (n == 0)
		return;
	edits = 1 + (uint32_t)(rng_next(rng) % 4);
	for (uint32_t i = 0; i < edits; i++) {
		uint32_t at = (uint32_t)(rng_next(rng) % n);

		switch (rng_next(rng) % 4) {
		case 0:
			p[at] ^= (uint8_t)(1u << (rng_next(rng) % 8));
			break;
		case 1:
			p[at] = 0x00;
			break;
		case 2:
			p[at] = 0xff;
			break;
		default:
			for (uint32_t k = at; k < n && k < at + 8; k++)
				p[k] = (uint8_t)rng_next(rng);
		}
	}
}

int
main(int argc, char **argv)
{
	FILE *in, *out;
	uint8_t gh[24], rh[16];
	uint8_t *buf = NULL;
	uint64_t rng;
	int swapped;
	uint32_t magic;

	if (argc != 4) {
		fprintf(stderr, "usage: pcap-mutate IN.pcap OUT.pcap SEED\n");
		return 2;
	}
	rng = 0x9e3779b97f4a7c15ull ^ strtoull(argv[3], NULL, 10);
	in = fopen(argv[1], "rb");
	out = fopen(argv[2], "wb");
	if (!in || !out || fread(gh, 1, sizeof(gh), in) != sizeof(gh)) {
		fprintf(stderr, "pcap-mutate: cannot read %s or write %s\n", argv[1], argv[2]);
		return 2;
	}
	memcpy(&magic, gh, 4);
	if (magic == 0xa1b2c3d4 || magic == 0xa1b23c4d)
		swapped = 0;
	else if (magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1)
		swapped = 1;
	else {
		fprintf(stderr, "pcap-mutate: %s is not a classic pcap file\n", argv[1]);
		return 2;
	}
	fwrite(gh, 1, sizeof(gh), out);
	while (fread(rh, 1, sizeof(rh), in) == sizeof(rh)) {
		uint32_t caplen;

		memcpy(&caplen, rh + 8, 4);
		if (swapped)
			caplen = __builtin_bswap32(caplen);
		if (caplen > 262144)
			break;
		buf = realloc(buf, caplen ? caplen : 1);
		if (!buf || fread(buf, 1, caplen, in) != caplen)
			break;
		/* Leave about half the packets intact so sessions still form. */
		if (rng_next(&rng) % 2)
			mutate(buf, caplen, &rng);
		fwrite(rh, 1, sizeof(rh), out);
		fwrite(buf, 1, caplen, out);
	}
	free(buf);
	fclose(in);
	return fclose(out) == 0 ? 0 : 2;
}
