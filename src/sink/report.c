/*
 * report.c - the names the text and HTML reports give the rows of their
 * tables and the notes under them (report.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "report.h"

void
report_row_name(const struct summary_row *r, bool server, char *buf, size_t bufsz)
{
	if (server) {
		size_t n;

		sink_format_endpoint(r->family, r->ip, r->port, buf, bufsz);
		/* TCP is the rule; a UDP server (DNS on 853/udp beside DoT on
		 * 853/tcp) says so. */
		n = strlen(buf);
		if (r->l4 != 6 && n < bufsz)
			snprintf(buf + n, bufsz - n, "/%s", transport_name(r->l4));
	} else {
		snprintf(buf, bufsz, "%u/%s", r->port, transport_name(r->l4));
	}
}

void
report_client_name(const struct summary_client *c, char *buf, size_t bufsz)
{
	if (c->family)
		session_addr_str(c->family, c->ip, buf, bufsz);
	else
		snprintf(buf, bufsz, "(others)");
}

void
report_others_note(char *buf, size_t bufsz, uint64_t count, const char *what, size_t max,
		   const char *by)
{
	snprintf(buf, bufsz, "(others): %" PRIu64 " %s beyond the first %zu%s, counted together",
		 count, what, max, by);
}
