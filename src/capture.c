/*
 * capture.c - libpcap packet sources (see capture.h).
 */
#include "capture.h"

#include <errno.h>
#include <grp.h>
#include <pcap/pcap.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct capture {
	pcap_t *p;
	char name[256];
	bool live;
	uint64_t file_size;
	FILE *file; /* the FILE* libpcap reads (not owned) */
};

static struct capture *
capture_alloc(const char *name, char *err, size_t errsz)
{
	struct capture *c = calloc(1, sizeof(*c));

	if (!c) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	snprintf(c->name, sizeof(c->name), "%s", name);
	return c;
}

struct capture *
capture_open_file(const char *path, char *err, size_t errsz)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	struct capture *c = capture_alloc(strcmp(path, "-") == 0 ? "<stdin>" : path, err, errsz);
	struct stat sb;

	if (!c)
		return NULL;
	c->p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_MICRO, perr);
	if (!c->p) {
		snprintf(err, errsz, "%s: %s", c->name, perr);
		free(c);
		return NULL;
	}
	c->file = pcap_file(c->p);
	if (c->file && fstat(fileno(c->file), &sb) == 0 && S_ISREG(sb.st_mode))
		c->file_size = (uint64_t)sb.st_size;
	return c;
}

struct capture *
capture_open_live(const struct capture_live_opts *o, char *err, size_t errsz)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	struct capture *c = capture_alloc(o->iface, err, errsz);
	int rc;

	if (!c)
		return NULL;
	c->live = true;
	c->p = pcap_create(o->iface, perr);
	if (!c->p) {
		snprintf(err, errsz, "%s: %s", o->iface, perr);
		goto fail;
	}
	pcap_set_snaplen(c->p, o->snaplen > 0 ? o->snaplen : 262144);
	pcap_set_promisc(c->p, o->promisc ? 1 : 0);
	pcap_set_immediate_mode(c->p, 1);
	pcap_set_timeout(c->p, 200);
	if (o->buffer_kib > 0)
		pcap_set_buffer_size(c->p, o->buffer_kib * 1024);
	rc = pcap_activate(c->p);
	if (rc < 0) {
		const char *why = pcap_geterr(c->p);

		if (rc == PCAP_ERROR_NO_SUCH_DEVICE)
			snprintf(err, errsz, "%s: no such interface (%s)", o->iface, why);
		else if (rc == PCAP_ERROR_PERM_DENIED)
			snprintf(err, errsz,
				 "%s: permission denied (capturing needs root or "
				 "CAP_NET_RAW): %s",
				 o->iface, why);
		else if (rc == PCAP_ERROR_IFACE_NOT_UP)
			snprintf(err, errsz, "%s: interface is down", o->iface);
		else
			snprintf(err, errsz, "%s: %s", o->iface,
				 why[0] ? why : pcap_statustostr(rc));
		goto fail;
	}
	return c;
fail:
	if (c->p)
		pcap_close(c->p);
	free(c);
	return NULL;
}

int
capture_set_filter(struct capture *c, const char *expr, char *err, size_t errsz)
{
	struct bpf_program prog;

	if (pcap_compile(c->p, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		snprintf(err, errsz, "bad filter '%s': %s", expr, pcap_geterr(c->p));
		return -1;
	}
	if (pcap_setfilter(c->p, &prog) < 0) {
		snprintf(err, errsz, "cannot set filter: %s", pcap_geterr(c->p));
		pcap_freecode(&prog);
		return -1;
	}
	pcap_freecode(&prog);
	return 0;
}

int
capture_datalink(const struct capture *c)
{
	return pcap_datalink(c->p);
}

const char *
capture_link_name(int dlt)
{
	const char *n = pcap_datalink_val_to_name(dlt);

	return n ? n : "unknown";
}

const char *
capture_name(const struct capture *c)
{
	return c->name;
}

bool
capture_is_live(const struct capture *c)
{
	return c->live;
}

enum capture_status
capture_next(struct capture *c, const uint8_t **frame, size_t *caplen, uint64_t *ts_us, char *err,
	     size_t errsz)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc = pcap_next_ex(c->p, &h, &data);

	switch (rc) {
	case 1:
		*frame = data;
		*caplen = h->caplen;
		*ts_us = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
		return CAPTURE_PACKET;
	case 0:
		return CAPTURE_TIMEOUT;
	case PCAP_ERROR_BREAK:
		return CAPTURE_END;
	default:
		snprintf(err, errsz, "%s: %s", c->name, pcap_geterr(c->p));
		return CAPTURE_ERROR;
	}
}

void
capture_break(struct capture *c)
{
	pcap_breakloop(c->p);
}

bool
capture_counters(struct capture *c, uint64_t *received, uint64_t *dropped, uint64_t *ifdropped)
{
	struct pcap_stat ps;

	if (!c->live || pcap_stats(c->p, &ps) < 0)
		return false;
	*received = ps.ps_recv;
	*dropped = ps.ps_drop;
	*ifdropped = ps.ps_ifdrop;
	return true;
}

void
capture_progress(struct capture *c, uint64_t *done, uint64_t *total)
{
	long pos = c->file ? ftell(c->file) : -1;

	*done = pos > 0 ? (uint64_t)pos : 0;
	*total = c->file_size;
}

void
capture_close(struct capture *c)
{
	if (!c)
		return;
	pcap_close(c->p);
	free(c);
}

int
capture_drop_privileges(const char *user, char *err, size_t errsz)
{
	struct passwd *pw;

	errno = 0;
	pw = getpwnam(user);
	if (!pw) {
		snprintf(err, errsz, "-Z %s: no such user", user);
		return -1;
	}
	if (initgroups(pw->pw_name, pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 ||
	    setuid(pw->pw_uid) < 0) {
		snprintf(err, errsz, "-Z %s: cannot switch user: %s", user, strerror(errno));
		return -1;
	}
	if (pw->pw_uid != 0 && setuid(0) == 0) {
		snprintf(err, errsz, "-Z %s: privileges could not be dropped", user);
		return -1;
	}
	return 0;
}
