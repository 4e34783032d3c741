/*
 * evidence.c - per-session packet copies written as pcap files (see
 * evidence.h). Files are written through libpcap's dump API.
 */
#include "evidence.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "outfile.h"

struct evidence_pkt {
	struct evidence_pkt *next;
	uint64_t ts_us;
	uint32_t caplen;
	uint8_t data[];
};

void
evidence_init(struct evidence_buf *b)
{
	memset(b, 0, sizeof(*b));
	b->dlt = -1;
}

void
evidence_keep(struct evidence_buf *b, struct evidence_stats *st, int dlt, uint64_t ts_us,
	      const uint8_t *frame, size_t caplen)
{
	struct evidence_pkt *p;

	if ((b->dlt != -1 && b->dlt != dlt) || b->bytes + caplen > EVIDENCE_SESSION_CAP ||
	    st->bytes_now + caplen > (st->cap ? st->cap : EVIDENCE_GLOBAL_CAP)) {
		b->truncated = true;
		st->packets_dropped++;
		return;
	}
	p = malloc(sizeof(*p) + caplen);
	if (!p) {
		b->truncated = true;
		st->packets_dropped++;
		return;
	}
	p->next = NULL;
	p->ts_us = ts_us;
	p->caplen = (uint32_t)caplen;
	memcpy(p->data, frame, caplen);
	if (b->tail)
		b->tail->next = p;
	else
		b->head = p;
	b->tail = p;
	b->dlt = dlt;
	b->bytes += caplen;
	st->bytes_now += caplen;
}

int
evidence_write(const struct evidence_buf *b, int dirfd, const char *name, char *err, size_t errsz)
{
	pcap_t *dead = NULL;
	pcap_dumper_t *d = NULL;
	FILE *fp = NULL;
	int rc = -1, fd;

	if (b->dlt < 0) {
		snprintf(err, errsz, "%s: no packets kept", name);
		return -1;
	}
	dead = pcap_open_dead(b->dlt, 262144);
	if (!dead) {
		snprintf(err, errsz, "%s: cannot create a capture handle", name);
		goto fail;
	}
	fd = outfile_create_at(dirfd, name, err, errsz);
	if (fd < 0)
		goto fail;
	fp = fdopen(fd, "wb");
	if (!fp) {
		snprintf(err, errsz, "%s: %s", name, strerror(errno));
		close(fd);
		goto fail;
	}
	d = pcap_dump_fopen(dead, fp);
	if (!d) {
		snprintf(err, errsz, "%s: %s", name, pcap_geterr(dead));
		goto fail;
	}
	fp = NULL; /* the dumper owns it now */
	for (const struct evidence_pkt *p = b->head; p; p = p->next) {
		struct pcap_pkthdr h;

		h.ts.tv_sec = (time_t)(p->ts_us / 1000000);
		h.ts.tv_usec = (suseconds_t)(p->ts_us % 1000000);
		h.caplen = h.len = p->caplen;
		pcap_dump((u_char *)d, &h, p->data);
	}
	if (pcap_dump_flush(d) != 0) {
		snprintf(err, errsz, "%s: %s", name, strerror(errno));
		goto fail;
	}
	rc = 0;
fail:
	if (d)
		pcap_dump_close(d);
	if (fp)
		fclose(fp);
	if (dead)
		pcap_close(dead);
	return rc;
}

void
evidence_free(struct evidence_buf *b, struct evidence_stats *st)
{
	struct evidence_pkt *p = b->head;

	while (p) {
		struct evidence_pkt *n = p->next;

		st->bytes_now -= p->caplen;
		free(p);
		p = n;
	}
	b->head = b->tail = NULL;
	b->bytes = 0;
}
