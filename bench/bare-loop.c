/*
 * bare-loop.c - the floor of the benchmark: reads a capture with libpcap's
 * pcap_next_ex and only counts packets and captured bytes. No analyzer can
 * read a file through libpcap faster than this.
 *
 *   bare-loop FILE          prints "packets N bytes M"; libpcap opens the
 *                           file (stdio's default buffer, the file system's
 *                           block: 4 KiB)
 *   bare-loop -b SIZE FILE  the same through a stdio buffer of SIZE bytes
 *                           (tlswatch reads files through 1 MiB)
 */
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pcap_t *
open_buffered(const char *path, size_t size, char **buf, char *err)
{
	FILE *f = fopen(path, "rb");

	if (!f) {
		snprintf(err, PCAP_ERRBUF_SIZE, "%s: cannot open", path);
		return NULL;
	}
	*buf = malloc(size);
	if (*buf)
		setvbuf(f, *buf, _IOFBF, size);
	return pcap_fopen_offline(f, err); /* closes f on pcap_close */
}

int
main(int argc, char **argv)
{
	char err[PCAP_ERRBUF_SIZE], *buf = NULL;
	struct pcap_pkthdr *h;
	const u_char *data;
	uint64_t packets = 0, bytes = 0;
	pcap_t *p;
	int rc;

	if (argc == 4 && strcmp(argv[1], "-b") == 0 && atol(argv[2]) > 0) {
		p = open_buffered(argv[3], (size_t)atol(argv[2]), &buf, err);
	} else if (argc == 2) {
		p = pcap_open_offline(argv[1], err);
	} else {
		fputs("usage: bare-loop [-b BUFFER_BYTES] FILE\n", stderr);
		return 2;
	}
	if (!p) {
		fprintf(stderr, "bare-loop: %s\n", err);
		free(buf);
		return 2;
	}
	while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
		packets++;
		bytes += h->caplen;
	}
	if (rc == PCAP_ERROR) {
		fprintf(stderr, "bare-loop: %s\n", pcap_geterr(p));
		pcap_close(p);
		free(buf);
		return 2;
	}
	pcap_close(p);
	free(buf);
	printf("packets %" PRIu64 " bytes %" PRIu64 "\n", packets, bytes);
	return 0;
}
