/*
 * capture.c - packet sources (see capture.h): live interfaces and pcap files
 * through libpcap, pcapng files through our own reader (pcapng.c, which
 * says why), and the calls of capture.h dispatched to the one in use.
 *
 * A file's first four bytes tell pcap from pcapng. A regular file is then
 * rewound for libpcap; a pipe cannot be, so libpcap reads it through a
 * stream that gives those bytes back first (capture_wrap_read), and the
 * pcapng reader reads through capture_read_raw, which does the same.
 *
 * Input that is not a regular file (a pipe, a FIFO, a socket: `-r -` fed by
 * `tcpdump -w -` or ssh) is read with read(2), never through stdio: fread
 * waits until its whole buffer is full, so a packet that arrived would wait
 * for the next few kilobytes of traffic before being analysed. read(2) hands
 * over what has arrived, and libpcap's stream asks again for the rest of a
 * packet.
 */
#include "capture.h"

#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <linux/if_packet.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "pcapng.h"

/* How long a live read waits for a packet before the run gets a tick. */
#define CAPTURE_WAIT_MS 200
#define CAPTURE_FILE_BUFFER (1 << 20) /* stdio buffer of a capture file, bytes */

struct capture {
	pcap_t *p;	   /* live interfaces and pcap files; NULL for pcapng */
	struct pcapng *ng; /* pcapng files */
	char name[256];
	bool live;
	int live_fd; /* live: the descriptor to wait on (nonblocking reads), or -1 */
	uint64_t file_size;
	FILE *file;	      /* the file opened (or stdin); NULL when live */
	bool close_file;      /* capture_close closes file (libpcap does not) */
	char *file_buf;	      /* file's stdio buffer (freed after the file is closed) */
	bool pcap_reads_file; /* libpcap reads file itself (not through wrap) */
	FILE *wrap;	      /* libpcap reads a pipe through this (see capture_wrap_read) */
	uint8_t head[4];      /* the first bytes, read to tell pcap from pcapng */
	size_t head_len, head_pos;
	uint64_t bytes_read;	      /* through head and capture_read_raw */
	int raw_fd;		      /* >= 0: not a regular file, read with read(2) */
	bool raw_error;		      /* a read(2) failed (errno says why) */
	volatile sig_atomic_t broken; /* capture_break: an interrupted read ends */
	size_t wire_len;	      /* of the last packet given */
	void (*wait)(void *ctx);      /* before waiting for a pipe (capture_on_wait) */
	void *wait_ctx;
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
	c->raw_fd = -1;
	return c;
}

/* A read is about to wait for bytes not written yet (a pipe whose writer
 * pauses): whoever registered gets to finish its work first. Regular files
 * are never waited for. */
static void
capture_before_wait(struct capture *c)
{
	struct pollfd p = {.fd = c->raw_fd, .events = POLLIN};

	if (c->wait && c->raw_fd >= 0 && poll(&p, 1, 0) == 0)
		c->wait(c->wait_ctx);
}

void
capture_on_wait(struct capture *c, void (*fn)(void *ctx), void *ctx)
{
	c->wait = fn;
	c->wait_ctx = ctx;
}

/* Reads from a pipe or other non-regular input with read(2): until n bytes
 * when all is set (the pcapng reader wants whole blocks), else returns as
 * soon as some bytes came. Fewer than asked: the end, a read error
 * (raw_error) or a capture_break during the wait. */
static size_t
capture_read_fd(struct capture *c, uint8_t *dst, size_t n, bool all)
{
	size_t got = 0;

	while (got < n) {
		ssize_t k;

		capture_before_wait(c);
		k = read(c->raw_fd, dst + got, n - got);

		if (k > 0) {
			got += (size_t)k;
			if (!all)
				break;
		} else if (k == 0) {
			break;
		} else if (errno != EINTR) {
			c->raw_error = true;
			break;
		} else if (c->broken) {
			break;
		}
	}
	return got;
}

/* Reads up to n bytes: first what is left of head, then from the file
 * (see capture_read_fd for all). */
static size_t
capture_read_raw(struct capture *c, void *dst, size_t n, bool all)
{
	uint8_t *d = dst;
	size_t got = 0;

	while (got < n && c->head_pos < c->head_len)
		d[got++] = c->head[c->head_pos++];
	if (got < n && c->raw_fd >= 0 && (all || got == 0))
		got += capture_read_fd(c, d + got, n - got, all);
	else if (got < n && c->raw_fd < 0)
		got += fread(d + got, 1, n - got, c->file);
	c->bytes_read += got;
	return got;
}

static bool
capture_read_failed(struct capture *c)
{
	return c->raw_fd >= 0 ? c->raw_error : ferror(c->file) != 0;
}

/*
 * A pipe cannot be rewound after the four bytes that tell pcap from pcapng
 * were read: libpcap then reads through this stream, which gives them back
 * first. The cookie is the capture; closing the stream leaves the file open
 * (capture_close closes it).
 */
static ssize_t
capture_wrap_read(void *cookie, char *dst, size_t n)
{
	struct capture *c = cookie;
	size_t got = capture_read_raw(c, dst, n, false);

	return got == 0 && capture_read_failed(c) ? -1 : (ssize_t)got;
}

static int
capture_wrap_close(void *cookie)
{
	(void)cookie;
	return 0;
}

/* Hands the file to libpcap, rewound to where it started (pos) when it can
 * be, else through capture_wrap_read. */
static int
capture_open_pcap(struct capture *c, long pos, char *err, size_t errsz)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	FILE *f = c->file;

	if (pos >= 0 && fseek(c->file, pos, SEEK_SET) == 0) {
		c->head_len = c->head_pos = 0;
		c->pcap_reads_file = true;
	} else {
		cookie_io_functions_t io = {.read = capture_wrap_read, .close = capture_wrap_close};

		clearerr(c->file);
		c->wrap = fopencookie(c, "rb", io);
		if (!c->wrap) {
			snprintf(err, errsz, "%s: %s", c->name, strerror(errno));
			return -1;
		}
		f = c->wrap;
	}
	c->p = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_MICRO, perr);
	if (!c->p) {
		snprintf(err, errsz, "%s: %s", c->name, perr);
		return -1;
	}
	/* libpcap closes what it reads (never stdin), the wrapper included. */
	if (c->pcap_reads_file)
		c->close_file = false;
	c->wrap = NULL;
	return 0;
}

static size_t
capture_ng_read(void *ctx, void *dst, size_t n)
{
	return capture_read_raw(ctx, dst, n, true);
}

static bool
capture_ng_error(void *ctx)
{
	return capture_read_failed(ctx);
}

/* The file starts with a Section Header Block: the pcapng reader takes it
 * from its first byte (head included). */
static int
capture_open_pcapng(struct capture *c, char *err, size_t errsz)
{
	struct pcapng_io io = {.read = capture_ng_read, .error = capture_ng_error, .ctx = c};

	c->ng = pcapng_open(c->name, &io, err, errsz);
	return c->ng ? 0 : -1;
}

struct capture *
capture_open_file(const char *path, char *err, size_t errsz)
{
	bool is_stdin = strcmp(path, "-") == 0;
	struct capture *c = capture_alloc(is_stdin ? "<stdin>" : path, err, errsz);
	struct stat sb;
	long pos;

	if (!c)
		return NULL;
	c->file = is_stdin ? stdin : fopen(path, "rb");
	if (!c->file) {
		snprintf(err, errsz, "%s: %s", c->name, strerror(errno));
		goto fail;
	}
	c->close_file = !is_stdin;
	if (fstat(fileno(c->file), &sb) == 0 && S_ISREG(sb.st_mode)) {
		c->file_size = (uint64_t)sb.st_size;
		/* libpcap reads a record at a time through stdio; with the
		 * default 4 KiB buffer that was a read(2) per 4 KiB, whose
		 * entry and exit cost more than the copy on a VM. Before any
		 * read: setvbuf must come first. */
		c->file_buf = malloc(CAPTURE_FILE_BUFFER);
		if (c->file_buf)
			(void)setvbuf(c->file, c->file_buf, _IOFBF, CAPTURE_FILE_BUFFER);
	} else {
		c->raw_fd = fileno(c->file); /* before stdio buffers any of it */
	}
	pos = c->raw_fd >= 0 ? -1 : ftell(c->file);
	c->head_len = capture_read_raw(c, c->head, sizeof(c->head), true);
	c->bytes_read = 0; /* counted again when given back */
	c->head_pos = 0;
	if (capture_read_failed(c)) {
		snprintf(err, errsz, "%s: %s", c->name, strerror(errno));
		goto fail;
	}
	if (c->head_len == 4 && memcmp(c->head, "\x0a\x0d\x0d\x0a", 4) == 0) {
		if (capture_open_pcapng(c, err, errsz) < 0)
			goto fail;
	} else if (capture_open_pcap(c, pos, err, errsz) < 0) {
		goto fail;
	}
	return c;
fail:
	capture_close(c);
	return NULL;
}

/* Joins the AF_PACKET fanout group of o (after activation: the socket
 * exists then). */
static int
capture_join_fanout(struct capture *c, const struct capture_live_opts *o, char *err, size_t errsz)
{
#ifdef PACKET_FANOUT
	int arg = o->fanout_group | ((PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG) << 16);

	if (setsockopt(pcap_fileno(c->p), SOL_PACKET, PACKET_FANOUT, &arg, sizeof(arg)) == 0)
		return 0;
	snprintf(err, errsz, "%s: --fanout %d: %s%s", o->iface, o->fanout_group, strerror(errno),
		 errno == EINVAL ? " (a group of another mode or interface has that number)" : "");
#else
	(void)c;
	snprintf(err, errsz, "%s: --fanout: AF_PACKET fanout is Linux only", o->iface);
#endif
	return -1;
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
	/* Blocks of the TPACKET_V3 ring by default, retired full or after
	 * CAPTURE_WAIT_MS; immediate mode costs the ring most of its room. */
	pcap_set_immediate_mode(c->p, o->immediate ? 1 : 0);
	pcap_set_timeout(c->p, CAPTURE_WAIT_MS);
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
	if (o->fanout_group > 0 && capture_join_fanout(c, o, err, errsz) < 0)
		goto fail;
	/* A blocking read may wait in poll() until a packet comes (in
	 * immediate mode, whatever the timeout): on a quiet link the run would
	 * never get its ticks (idle expiry, the dashboard, --stats-interval).
	 * So reads do not block, and capture_next waits on the descriptor
	 * itself, at most CAPTURE_WAIT_MS. */
	c->live_fd = pcap_setnonblock(c->p, 1, perr) == 0 ? pcap_get_selectable_fd(c->p) : -1;
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

	if (c->ng)
		return pcapng_set_filter(c->ng, expr, err, errsz);
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
	return c->ng ? pcapng_datalink(c->ng) : pcap_datalink(c->p);
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
capture_next(struct capture *c, const uint8_t **frame, size_t *caplen, uint64_t *ts_us, int *dlt,
	     char *err, size_t errsz)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc;

	if (c->ng)
		return pcapng_next(c->ng, frame, caplen, ts_us, dlt, err, errsz);
	rc = pcap_next_ex(c->p, &h, &data);
	if (rc == 0 && c->live && c->live_fd >= 0) {
		struct pollfd pfd = {.fd = c->live_fd, .events = POLLIN};

		if (poll(&pfd, 1, CAPTURE_WAIT_MS) > 0)
			rc = pcap_next_ex(c->p, &h, &data);
	}
	switch (rc) {
	case 1:
		*frame = data;
		*caplen = h->caplen;
		c->wire_len = h->len > h->caplen ? h->len : h->caplen;
		/* A pcap record's seconds and microseconds are 32-bit fields
		 * that libpcap hands over signed: 0xffffffff would read as a
		 * time before 1970 and wrap every later sum. The format defines
		 * them unsigned (seconds up to 2106), and so they are read. */
		*ts_us = (uint64_t)(uint32_t)h->ts.tv_sec * 1000000u + (uint32_t)h->ts.tv_usec;
		*dlt = pcap_datalink(c->p);
		return CAPTURE_PACKET;
	case 0:
		return CAPTURE_TIMEOUT;
	case PCAP_ERROR_BREAK:
		return CAPTURE_END;
	default:
		if (c->broken)
			return CAPTURE_END; /* a break cut a read from a pipe short */
		snprintf(err, errsz, "%s: %s", c->name, pcap_geterr(c->p));
		return CAPTURE_ERROR;
	}
}

size_t
capture_wire_len(const struct capture *c)
{
	return c->ng ? pcapng_wire_len(c->ng) : c->wire_len;
}

int
capture_snaplen(const struct capture *c)
{
	return c->ng ? 0 : pcap_snapshot(c->p);
}

void
capture_break(struct capture *c)
{
	c->broken = 1;
	if (c->ng)
		pcapng_break(c->ng);
	else if (c->p)
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
	long pos = c->pcap_reads_file ? ftell(c->file) : -1;

	/* Otherwise our pcapng reader, or libpcap through the wrapper: both
	 * read through capture_read_raw, which counts. */
	*done = c->pcap_reads_file ? (pos > 0 ? (uint64_t)pos : 0) : c->bytes_read;
	*total = c->file_size;
}

void
capture_close(struct capture *c)
{
	if (!c)
		return;
	if (c->p)
		pcap_close(c->p);
	if (c->wrap)
		fclose(c->wrap);
	if (c->close_file && c->file)
		fclose(c->file);
	pcapng_close(c->ng);
	free(c->file_buf);
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
	/* Nothing run from here on (--alert-exec commands) can gain privileges
	 * back through a set-user-ID program or file capabilities. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		snprintf(err, errsz, "-Z %s: PR_SET_NO_NEW_PRIVS: %s", user, strerror(errno));
		return -1;
	}
	return 0;
}

int
capture_list_interfaces(FILE *f, char *err, size_t errsz)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	pcap_if_t *all = NULL;
	int n = 0;

	if (pcap_findalldevs(&all, perr) < 0) {
		snprintf(err, errsz, "%s", perr);
		return -1;
	}
	for (pcap_if_t *d = all; d; d = d->next) {
		bool up = d->flags & PCAP_IF_UP, running = d->flags & PCAP_IF_RUNNING;

		fprintf(f, "%d.%s", ++n, d->name);
		if (d->description)
			fprintf(f, " (%s)", d->description);
		fprintf(f, " [%s%s%s%s]\n", up ? "Up" : "Down", running ? ", Running" : "",
			d->flags & PCAP_IF_LOOPBACK ? ", Loopback" : "",
			d->flags & PCAP_IF_WIRELESS ? ", Wireless" : "");
	}
	pcap_freealldevs(all);
	if (n == 0) {
		snprintf(err, errsz,
			 "no interfaces to capture on (capturing needs root or "
			 "CAP_NET_RAW)");
		return -1;
	}
	return 0;
}

struct capture_dump {
	FILE *f;      /* until the first packet; then the dumper's */
	pcap_t *dead; /* the file's link type, for the dumper */
	pcap_dumper_t *dumper;
	int dlt;
	uint64_t skipped;
	char name[256];
};

struct capture_dump *
capture_dump_new(FILE *f, const char *name)
{
	struct capture_dump *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->f = f;
	snprintf(d->name, sizeof(d->name), "%s", name);
	return d;
}

int
capture_dump_packet(struct capture_dump *d, int dlt, const uint8_t *frame, size_t caplen,
		    size_t wire_len, uint64_t ts_us, char *err, size_t errsz)
{
	struct pcap_pkthdr h;

	if (!d->dumper) {
		d->dead = pcap_open_dead_with_tstamp_precision(dlt, 262144,
							       PCAP_TSTAMP_PRECISION_MICRO);
		d->dumper = d->dead ? pcap_dump_fopen(d->dead, d->f) : NULL;
		if (!d->dumper) {
			snprintf(err, errsz, "-w %s: %s", d->name,
				 d->dead ? pcap_geterr(d->dead) : "out of memory");
			return -1;
		}
		d->f = NULL; /* the dumper's now */
		d->dlt = dlt;
	}
	if (dlt != d->dlt) {
		d->skipped++;
		return 0;
	}
	h.ts.tv_sec = (time_t)(ts_us / 1000000u);
	h.ts.tv_usec = (suseconds_t)(ts_us % 1000000u);
	h.caplen = (bpf_u_int32)caplen;
	h.len = (bpf_u_int32)wire_len;
	pcap_dump((u_char *)d->dumper, &h, frame);
	return 0;
}

void
capture_dump_flush(struct capture_dump *d)
{
	if (d && d->dumper)
		pcap_dump_flush(d->dumper);
}

uint64_t
capture_dump_skipped(const struct capture_dump *d)
{
	return d ? d->skipped : 0;
}

int
capture_dump_close(struct capture_dump *d, char *err, size_t errsz)
{
	int rc = 0;

	if (!d)
		return 0;
	if (d->dumper) {
		FILE *f = pcap_dump_file(d->dumper);

		if (pcap_dump_flush(d->dumper) < 0 || ferror(f)) {
			snprintf(err, errsz, "-w %s: write error: %s", d->name, strerror(errno));
			rc = -1;
		}
		pcap_dump_close(d->dumper);
	} else if (d->f) {
		/* No packet: an empty file is no capture; write the header of
		 * an Ethernet one, as tcpdump -w leaves a header. */
		pcap_t *dead = pcap_open_dead(1, 262144);
		pcap_dumper_t *dumper = dead ? pcap_dump_fopen(dead, d->f) : NULL;

		if (dumper) {
			pcap_dump_close(dumper);
		} else {
			fclose(d->f);
		}
		if (dead)
			pcap_close(dead);
	}
	if (d->dead)
		pcap_close(d->dead);
	free(d);
	return rc;
}
