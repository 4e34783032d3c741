/*
 * bare-loop.c - the floor of the benchmark: reads a capture with libpcap's
 * pcap_next_ex and only counts packets and captured bytes. No analyzer can
 * read a file through libpcap faster than this.
 *
 *   bare-loop FILE      prints "packets N bytes M"
 */
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>

int
main(int argc, char **argv)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	uint64_t packets = 0, bytes = 0;
	pcap_t *p;
	int rc;

	if (argc != 2) {
		fputs("usage: bare-loop FILE\n", stderr);
		return 2;
	}
	p = pcap_open_offline(argv[1], err);
	if (!p) {
		fprintf(stderr, "bare-loop: %s\n", err);
		return 2;
	}
	while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
		packets++;
		bytes += h->caplen;
	}
	if (rc == PCAP_ERROR) {
		fprintf(stderr, "bare-loop: %s\n", pcap_geterr(p));
		pcap_close(p);
		return 2;
	}
	pcap_close(p);
	printf("packets %" PRIu64 " bytes %" PRIu64 "\n", packets, bytes);
	return 0;
}
