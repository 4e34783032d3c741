/*
 * correlate_state.c - the state file of --state FILE: the servers' offers
 * and certificates (and a struct correlate_state_part's lines) read at start
 * and written atomically at the end.
 *
 * State file format (text, one record per line, '#' comments):
 *   tlswatch-state 2
 *   server <4|6> <address> <port>[/udp|/sctp] <service> offered <last-seen-us>
 *   <part word> ...   (version 2: the part's lines, e.g. policy.h's facts)
 * (a bare port, or "<port>/tcp", is TCP). Version 1 (servers only) is read
 * as well; version 2 is written.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "correlate_internal.h"
#include "cursor.h"
#include "proto.h"
#include "shared.h"

#include "verdict.h"

/*
 * One "server ..." line of the state file, its LF already checked. Returns
 * false when it is not valid (the caller skips it and says so).
 */
static bool
correlate_load_server(struct correlate *c, const char *line)
{
	char addr[64], service[16], what[16], portstr[16], extra;
	unsigned family, port;
	uint64_t last;
	uint8_t ip[16] = {0}, l4;
	struct server_rec *r;
	int used = 0;

	if (sscanf(line, "server %u %63s %15s %15s %15s %" SCNu64 " %c", &family, addr, portstr,
		   service, what, &last, &extra) != 6 ||
	    sscanf(portstr, "%u%n", &port, &used) != 1 || portstr[0] < '0' || portstr[0] > '9')
		return false;
	if (portstr[used] == '\0')
		l4 = 6;
	else if (portstr[used] != '/' ||
		 !(l4 = transport_by_name(portstr + used + 1, strlen(portstr + used + 1))))
		return false;
	if ((family != 4 && family != 6) || port == 0 || port > 65535 ||
	    strcmp(what, "offered") != 0 ||
	    inet_pton(family == 6 ? AF_INET6 : AF_INET, addr, ip) != 1)
		return false;
	for (const char *p = service; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
			return false;
	r = correlate_server_get(c, (uint8_t)family, ip, (uint16_t)port, l4, true);
	if (!r)
		return true; /* table full: counted by correlate_server_get as forgotten */
	r->offered_state = true;
	r->last_seen_us = last;
	snprintf(r->service, sizeof(r->service), "%s", service);
	c->st.state_servers_loaded++;
	return true;
}

/*
 * One "cert FAMILY ADDRESS PORT[/udp|/sctp] SHA256 self|other LAST [ISSUER]" line:
 * the certificate the server presented last (ISSUER: the rest of the line,
 * printable ASCII). False when it is not one.
 */
static bool
correlate_load_cert(struct correlate *c, const char *line)
{
	char buf[512], *w[7], *p;
	unsigned family = 0, port = 0;
	uint64_t last = 0;
	uint8_t ip[16] = {0}, cert[32], l4 = 6;
	struct server_rec *r;
	const char *issuer = "";
	size_t n = strlen(line);

	if (n >= sizeof(buf))
		return false;
	memcpy(buf, line, n + 1);
	/* Seven words, one space apart, then the issuer (the rest). */
	p = buf;
	for (int i = 0; i < 7; i++) {
		char *sp = strchr(p, ' ');

		if (*p == '\0' || *p == ' ')
			return false;
		w[i] = p;
		if (!sp) {
			if (i != 6)
				return false;
			p += strlen(p);
			break;
		}
		*sp = '\0';
		p = sp + 1;
		if (i == 6)
			issuer = p;
	}
	if (strcmp(w[0], "cert") != 0 || strlen(w[1]) != 1 || (w[1][0] != '4' && w[1][0] != '6'))
		return false;
	family = (unsigned)(w[1][0] - '0');
	for (p = w[3]; *p >= '0' && *p <= '9'; p++)
		if ((port = port * 10 + (unsigned)(*p - '0')) > 65535)
			return false;
	if (p == w[3] || port == 0 ||
	    (*p && (*p != '/' || !(l4 = transport_by_name(p + 1, strlen(p + 1))))))
		return false;
	if ((strcmp(w[5], "self") != 0 && strcmp(w[5], "other") != 0) ||
	    inet_pton(family == 6 ? AF_INET6 : AF_INET, w[2], ip) != 1)
		return false;
	for (p = w[6]; *p; p++) {
		if (*p < '0' || *p > '9' || last > (UINT64_MAX - 9) / 10)
			return false;
		last = last * 10 + (uint64_t)(*p - '0');
	}
	if (w[6][0] == '\0')
		return false;
	if (!hex_decode(w[4], cert, sizeof(cert)))
		return false;
	for (p = (char *)issuer; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			return false;
	r = correlate_server_get(c, (uint8_t)family, ip, (uint16_t)port, l4, true);
	if (!r)
		return true; /* table full: counted by correlate_server_get as forgotten */
	r->cert_known = true;
	memcpy(r->cert, cert, sizeof(cert));
	snprintf(r->cert_issuer, sizeof(r->cert_issuer), "%s", issuer);
	r->cert_self_signed = strcmp(w[5], "self") == 0;
	r->cert_id = 0;
	r->cert_ts_us = last;
	if (last > r->last_seen_us)
		r->last_seen_us = last;
	c->st.state_certs_loaded++;
	return true;
}

/*
 * One line of the state file (LF checked and removed) of the given version;
 * false with why when it is not valid.
 */
static bool
correlate_load_line(struct correlate *c, int version, char *line, char *why, size_t whysz)
{
	const struct correlate_state_part *pt = &c->cfg.part;
	size_t wl = pt->word ? strlen(pt->word) : 0;

	if (version >= 2 && wl && strncmp(line, pt->word, wl) == 0 && line[wl] == ' ') {
		if (!pt->load(pt->ctx, line, why, whysz))
			return false;
		c->st.state_part_loaded++;
		return true;
	}
	if (version >= 2 && strncmp(line, "cert ", 5) == 0) {
		if (!correlate_load_cert(c, line)) {
			snprintf(
				why, whysz,
				"not \"cert FAMILY ADDRESS PORT SHA256 self|other LAST [ISSUER]\"");
			return false;
		}
		return true;
	}
	line[strlen(line)] = '\n'; /* the server line reader wants its LF */
	if (!correlate_load_server(c, line)) {
		snprintf(why, whysz, "not \"server FAMILY ADDRESS PORT SERVICE offered LAST\"");
		return false;
	}
	return true;
}

/*
 * Reads the state file. Only a regular file is read (a FIFO or device would
 * block start-up or never end); it is opened without blocking. A file that
 * cannot be read at all, or whose first line is not the header, is ignored
 * whole and marked so that the save never overwrites it. Otherwise each line
 * is checked on its own: a bad line (a truncated last line included) is
 * skipped and counted, the good ones are kept.
 */
void
correlate_load(struct correlate *c, char *warn, size_t warnsz)
{
	const char *path = c->cfg.state_path;
	char line[512], why[160] = "", first_why[160] = "";
	unsigned lineno = 0, bad = 0, first_bad = 0;
	int version = 0;
	struct stat sb;
	FILE *f = NULL;
	int fd;

	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT) {
			snprintf(warn, warnsz, "state file %s: %s (ignored, and not overwritten)",
				 path, strerror(errno));
			c->st.state_corrupt = true;
			c->unreadable = true;
		}
		return;
	}
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		snprintf(warn, warnsz,
			 "state file %s: not a regular file (ignored, and not overwritten)", path);
		c->st.state_corrupt = true;
		c->unreadable = true;
		close(fd);
		return;
	}
	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		c->unreadable = true;
		return;
	}
	c->existed = true;
	while (fgets(line, sizeof(line), f)) {
		size_t n = strlen(line);
		bool whole = n > 0 && line[n - 1] == '\n';

		lineno++;
		if (!whole) /* longer than any valid line, or cut short: drop its rest */
			while (n == sizeof(line) - 1 && line[n - 1] != '\n' &&
			       fgets(line, sizeof(line), f))
				n = strlen(line);
		if (lineno == 1) {
			if (whole && strcmp(line, "tlswatch-state 1\n") == 0)
				version = 1;
			else if (whole && strcmp(line, "tlswatch-state 2\n") == 0)
				version = 2;
			if (!version) {
				snprintf(warn, warnsz,
					 "state file %s: line 1 is not \"tlswatch-state 1\" or "
					 "\"tlswatch-state 2\": state ignored (kept as %s.bad "
					 "when the new state is saved)",
					 path, path);
				c->st.state_corrupt = true;
				c->bad_file = true;
				fclose(f);
				return;
			}
			continue;
		}
		if (whole && (line[0] == '#' || line[0] == '\n'))
			continue;
		if (whole)
			line[n - 1] = '\0';
		else
			snprintf(why, sizeof(why), "cut short or too long");
		if (!whole || !correlate_load_line(c, version, line, why, sizeof(why))) {
			if (bad++ == 0) {
				first_bad = lineno;
				snprintf(first_why, sizeof(first_why), "%s", why);
			}
		}
	}
	fclose(f);
	if (lineno == 0) {
		snprintf(warn, warnsz, "state file %s: empty: state ignored", path);
		c->st.state_corrupt = true;
		c->bad_file = true;
	} else if (bad > 0) {
		snprintf(warn, warnsz,
			 "state file %s: line %u is not valid: %s (%u bad line%s skipped, %" PRIu64
			 " servers, %" PRIu64 " certificates and %" PRIu64
			 " other lines loaded; the file is kept as %s.bad when the new state is "
			 "saved)",
			 path, first_bad, first_why, bad, bad == 1 ? "" : "s",
			 c->st.state_servers_loaded, c->st.state_certs_loaded,
			 c->st.state_part_loaded, path);
		c->st.state_corrupt = true;
		c->bad_file = true;
	}
}

/* A line of the part, written when it is one the reader takes back. */
static void
correlate_put_line(void *pctx, const char *line)
{
	size_t n = strlen(line);

	if (n > 0 && n < 510 && !strchr(line, '\n'))
		fprintf(pctx, "%s\n", line);
}

int
correlate_save(struct correlate *c, char *err, size_t errsz)
{
	char tmp[4096], keep[4096];
	FILE *f;
	int fd;

	if (c->shared) {
		shared_free(c->shared, CORRELATE_SHARED_WAIT_MS, &c->shared_final);
		c->shared = NULL;
		return 0;
	}
	if (!c->cfg.state_path)
		return 0;
	if (c->unreadable) {
		snprintf(err, errsz, "state file %s: not saved: it could not be read at start",
			 c->cfg.state_path);
		return -1;
	}
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", c->cfg.state_path) >= sizeof(tmp) ||
	    (size_t)snprintf(keep, sizeof(keep), "%s.%s", c->cfg.state_path,
			     c->bad_file ? "bad" : "bak") >= sizeof(keep)) {
		snprintf(err, errsz, "state file path too long");
		return -1;
	}
	fd = mkstemp(tmp);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		snprintf(err, errsz, "state file %s: %s", c->cfg.state_path, strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		return -1;
	}
	fputs("tlswatch-state 2\n", f);
	for (struct centry *e = c->servers.head; e; e = e->next) {
		struct server_rec *r = (struct server_rec *)e;
		char addr[64];

		session_addr_str(r->family, r->ip, addr, sizeof(addr));
		if (r->offered || r->offered_state)
			fprintf(f, "server %u %s %u%s%s %s offered %" PRIu64 "\n", r->family, addr,
				r->port, r->l4 != 6 ? "/" : "",
				r->l4 != 6 ? transport_name(r->l4) : "",
				r->service[0] ? r->service : "unknown", r->last_seen_us);
		if (r->cert_known) {
			char hex[2 * sizeof(r->cert) + 1];

			hex_encode(r->cert, sizeof(r->cert), hex);
			fprintf(f, "cert %u %s %u%s%s %s %s %" PRIu64 "%s%s\n", r->family, addr,
				r->port, r->l4 != 6 ? "/" : "",
				r->l4 != 6 ? transport_name(r->l4) : "", hex,
				r->cert_self_signed ? "self" : "other", r->last_seen_us,
				r->cert_issuer[0] ? " " : "", r->cert_issuer);
		}
	}
	if (c->cfg.part.word && c->cfg.part.save)
		c->cfg.part.save(c->cfg.part.ctx, correlate_put_line, f);
	if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
		snprintf(err, errsz, "state file %s: %s", c->cfg.state_path, strerror(errno));
		fclose(f);
		unlink(tmp);
		return -1;
	}
	if (fclose(f) != 0) {
		snprintf(err, errsz, "state file %s: %s", c->cfg.state_path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	/* The old file: a bad one is moved aside, a good one kept as .bak (a
	 * hard link, so the state path is never missing). */
	if (c->existed) {
		unlink(keep);
		if ((c->bad_file ? rename(c->cfg.state_path, keep)
				 : link(c->cfg.state_path, keep)) < 0 &&
		    errno != ENOENT) {
			snprintf(err, errsz, "state file %s: cannot keep the old file as %s: %s",
				 c->cfg.state_path, keep, strerror(errno));
			unlink(tmp);
			return -1;
		}
	}
	if (rename(tmp, c->cfg.state_path) != 0) {
		snprintf(err, errsz, "state file %s: %s", c->cfg.state_path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}
