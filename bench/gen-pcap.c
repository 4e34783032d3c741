/*
 * gen-pcap.c - writes the benchmark captures of `make bench` (bench/run.sh).
 *
 * The recorded sessions in pcaps/ are the templates (read with libpcap: pcap
 * or pcapng; Ethernet, Linux cooked v1/v2, BSD loopback or raw IP). Each
 * complete TCP session becomes a list of actions (who sends which bytes of
 * its stream, SYN/FIN/RST) and is replayed, rewritten, many times into one
 * Ethernet pcap:
 *  - every replica has its own client address (127.16.0.0 upwards; IPv6
 *    templates get ::ffff:127.x.y.z) and port, its own ISNs and start time;
 *    sessions arrive as a Poisson process and overlap like real traffic (a
 *    heap merges their packets in time order);
 *  - "tls" replicas get an application-data phase inserted once the
 *    handshake is over in both directions (both streams at a record
 *    boundary): requests one way, bulk data the other, in records of random
 *    bytes with the sizes TLS stacks write (mostly full 16 KiB records);
 *  - "smtp" replicas (cleartext DATA) get a long message body inserted
 *    before the terminating ".": text and base64 lines, dot-stuffed
 *    (RFC 5321 4.5.2), with the odd command-looking line;
 *  - payload is cut into segments of at most 1460 bytes (template payloads
 *    recorded on loopback can be 64 KiB), the receiver ACKs every second
 *    segment with what it holds in order, a few segments are swapped or
 *    retransmitted. Sequence and acknowledgement numbers stay consistent.
 * The output depends only on the mode, the size and the template files
 * (read in name order, fixed seed): the same bytes every run.
 *
 *   gen-pcap main     OUT SIZE_MB PCAP_DIR   the mixed benchmark capture
 *   gen-pcap dense    OUT SIZE_MB PCAP_DIR   session-dense: 80 % of the bytes
 *                                            short sessions as recorded (75 %
 *                                            of them mail), small bulk phases
 *   gen-pcap reorder  OUT SIZE_MB PCAP_DIR   heavy reordering: segments
 *                                            shuffled within windows, some
 *                                            far out of order, some never seen
 *   gen-pcap synflood OUT FLOWS              one SYN per flow, distinct 5-tuples
 *   gen-pcap udpflood OUT SOURCES PCAP_DIR   a DNS flood: SOURCES spoofed
 *                                            sources, one query each, a fifth
 *                                            answered, over short sessions
 *                                            (half DNS over TCP/TLS)
 *
 * SIZE_MB counts MiB. The file is written as OUT.tmp and renamed when done.
 * Not handled: UDP templates (the flood's datagrams are made here),
 * templates that are not complete TCP sessions (skipped with a note), IPv6
 * extension headers, TCP options (none are written).
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GEN_VERSION "2"
#define GEN_MSS 1460
#define GEN_MAX_TEMPLATES 512
#define GEN_MAX_FLOWS_PER_FILE 64
#define GEN_TIME_SCALE 10	      /* loopback gaps x10: LAN-like round trips */
#define GEN_GAP_CAP_US 5000000ull     /* a template pause of more is cut to 5 s */
#define GEN_T0_US 1795597200000000ull /* 2026-11-25T09:00:00Z */
#define GEN_TLS_PLAIN_MAX 16384
#define GEN_TLS_OVERHEAD 17   /* AEAD tag + TLS 1.3 inner content type */
#define GEN_WRITE_CHUNK 65536 /* an application's write() */
#define GEN_FLOOD_RATE 10000  /* udpflood: DNS queries a second */

#define TF_FIN 0x01
#define TF_SYN 0x02
#define TF_RST 0x04
#define TF_PSH 0x08
#define TF_ACK 0x10

enum cls {
	CLS_SHORT, /* a template as recorded */
	CLS_TLS,   /* a TLS template with bulk application data */
	CLS_SMTP,  /* a cleartext SMTP template with a large body */
	CLS_COUNT,
};

static const char *const cls_name[CLS_COUNT] = {"short", "tls-bulk", "smtp-body"};

/* splitmix64: small, fast, deterministic. */
struct rng {
	uint64_t s;
};

static uint64_t
rng_next(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t
rng_below(struct rng *r, uint64_t n)
{
	return n ? rng_next(r) % n : 0;
}

static double
rng_unit(struct rng *r)
{
	return (double)(rng_next(r) >> 11) / 9007199254740992.0;
}

/* Log-uniform between lo and hi: many small, a few large. */
static uint64_t
rng_logu(struct rng *r, uint64_t lo, uint64_t hi)
{
	return (uint64_t)((double)lo * exp(log((double)hi / (double)lo) * rng_unit(r)));
}

static void
rng_fill(struct rng *r, uint8_t *p, size_t n)
{
	while (n >= 8) {
		uint64_t v = rng_next(r);

		memcpy(p, &v, 8);
		p += 8;
		n -= 8;
	}
	if (n) {
		uint64_t v = rng_next(r);

		memcpy(p, &v, n);
	}
}

static void
die(const char *msg)
{
	fprintf(stderr, "gen-pcap: %s\n", msg);
	exit(2);
}

static void *
xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		die("out of memory");
	return q;
}

struct buf {
	uint8_t *p;
	size_t len, cap;
};

static uint8_t *
buf_grow(struct buf *b, size_t n)
{
	uint8_t *at;

	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;

		while (cap < b->len + n)
			cap *= 2;
		b->p = xrealloc(b->p, cap);
		b->cap = cap;
	}
	at = b->p + b->len;
	b->len += n;
	return at;
}

static void
buf_append(struct buf *b, const void *p, size_t n)
{
	if (n)
		memcpy(buf_grow(b, n), p, n);
}

static void
buf_free(struct buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* One step of a session: `dir` sends bytes [off, off+len) of its stream,
 * or only flags (SYN, FIN, RST) when len is 0. */
struct action {
	uint8_t dir; /* 0 client to server, 1 server to client */
	uint8_t flags;
	uint32_t off, len;
	uint64_t gap_us; /* pause before it */
};

struct actions {
	struct action *a;
	size_t n, cap;
};

static void
actions_push(struct actions *v, const struct action *a)
{
	if (v->n == v->cap) {
		v->cap = v->cap ? 2 * v->cap : 64;
		v->a = xrealloc(v->a, v->cap * sizeof(*v->a));
	}
	v->a[v->n++] = *a;
}

struct tpl {
	char name[96];
	int family; /* 4 or 6 */
	uint8_t srv_ip[16];
	uint16_t srv_port;
	struct buf stream[2];
	struct actions acts; /* gaps in template time */
	long tls_at;	     /* action index where a TLS data phase fits, or -1 */
	long body_at;	     /* c2s offset of a cleartext DATA body's final ".", or -1 */
};

struct tpl_set {
	struct tpl *t[GEN_MAX_TEMPLATES];
	size_t n;
	struct tpl *by_cls[CLS_COUNT][GEN_MAX_TEMPLATES];
	size_t n_cls[CLS_COUNT];
	struct tpl *mail[GEN_MAX_TEMPLATES]; /* SMTP, LMTP, submission, IMAP, POP3 */
	size_t n_mail;
	struct tpl *dns[GEN_MAX_TEMPLATES]; /* DNS over TCP, DNS over TLS */
	size_t n_dns;
};

/* ---- reading the templates ---------------------------------------------- */

struct raw {
	int family;
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
	uint32_t seq;
	uint8_t flags;
	const uint8_t *payload;
	size_t len;
};

static uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Link and IP headers down to TCP; false for anything else. */
static bool
raw_decode(int dlt, const uint8_t *p, size_t n, struct raw *r)
{
	uint16_t et = 0;
	size_t l3 = 0, tcp, iplen;

	switch (dlt) {
	case DLT_EN10MB:
		if (n < 14)
			return false;
		et = rd16(p + 12);
		l3 = 14;
		if (et == 0x8100 && n >= 18) {
			et = rd16(p + 16);
			l3 = 18;
		}
		break;
	case DLT_LINUX_SLL:
		if (n < 16)
			return false;
		et = rd16(p + 14);
		l3 = 16;
		break;
	case DLT_LINUX_SLL2:
		if (n < 20)
			return false;
		et = rd16(p);
		l3 = 20;
		break;
	case DLT_NULL:
	case DLT_LOOP:
		if (n < 4)
			return false;
		et = (p[0] == 2 || p[3] == 2) ? 0x0800 : 0x86dd;
		l3 = 4;
		break;
	case DLT_RAW:
		if (n < 1)
			return false;
		et = (p[0] >> 4) == 4 ? 0x0800 : 0x86dd;
		break;
	default:
		return false;
	}
	memset(r, 0, sizeof(*r));
	if (et == 0x0800) {
		size_t ihl;

		if (n < l3 + 20 || (p[l3] >> 4) != 4 || p[l3 + 9] != 6)
			return false;
		ihl = (size_t)(p[l3] & 15) * 4;
		iplen = rd16(p + l3 + 2);
		if (ihl < 20 || iplen < ihl || l3 + iplen > n || (rd16(p + l3 + 6) & 0x3fff))
			return false;
		r->family = 4;
		memcpy(r->src, p + l3 + 12, 4);
		memcpy(r->dst, p + l3 + 16, 4);
		tcp = l3 + ihl;
		n = l3 + iplen;
	} else if (et == 0x86dd) {
		if (n < l3 + 40 || (p[l3] >> 4) != 6 || p[l3 + 6] != 6)
			return false;
		iplen = 40 + (size_t)rd16(p + l3 + 4);
		if (l3 + iplen > n)
			return false;
		r->family = 6;
		memcpy(r->src, p + l3 + 8, 16);
		memcpy(r->dst, p + l3 + 24, 16);
		tcp = l3 + 40;
		n = l3 + iplen;
	} else {
		return false;
	}
	if (n < tcp + 20 || (size_t)(p[tcp + 12] >> 4) * 4 < 20 ||
	    tcp + (size_t)(p[tcp + 12] >> 4) * 4 > n)
		return false;
	r->sport = rd16(p + tcp);
	r->dport = rd16(p + tcp + 2);
	r->seq = rd32(p + tcp + 4);
	r->flags = p[tcp + 13] & 0x1f;
	r->payload = p + tcp + (size_t)(p[tcp + 12] >> 4) * 4;
	r->len = n - (size_t)(r->payload - p);
	return true;
}

struct tflow {
	struct tpl *t;
	int family;
	uint8_t addr[2][16]; /* [0] client */
	uint16_t port[2];
	uint32_t isn[2];
	bool syn[2], fin[2], rst, bad;
	uint64_t t_last;
};

static int
tflow_dir(const struct tflow *f, const struct raw *r)
{
	size_t al = r->family == 6 ? 16 : 4;

	if (f->family != r->family)
		return -1;
	if (!memcmp(f->addr[0], r->src, al) && !memcmp(f->addr[1], r->dst, al) &&
	    f->port[0] == r->sport && f->port[1] == r->dport)
		return 0;
	if (!memcmp(f->addr[1], r->src, al) && !memcmp(f->addr[0], r->dst, al) &&
	    f->port[1] == r->sport && f->port[0] == r->dport)
		return 1;
	return -1;
}

static void
tflow_packet(struct tflow *f, int dir, const struct raw *r, uint64_t ts)
{
	struct tpl *t = f->t;
	struct action a = {.dir = (uint8_t)dir};

	a.gap_us = t->acts.n ? ts - f->t_last : 0;
	if (r->flags & TF_SYN) {
		if (f->syn[dir])
			return;
		f->syn[dir] = true;
		f->isn[dir] = r->seq;
		a.flags = (uint8_t)(r->flags & (TF_SYN | TF_ACK));
		actions_push(&t->acts, &a);
		f->t_last = ts;
		return;
	}
	if (!f->syn[dir]) {
		f->bad = true;
		return;
	}
	if (r->len) {
		struct buf *s = &t->stream[dir];
		uint32_t off = r->seq - f->isn[dir] - 1;

		if ((uint64_t)off + r->len <= s->len)
			return; /* retransmission */
		if (off > s->len) {
			f->bad = true; /* a hole: not a clean template */
			return;
		}
		a.off = (uint32_t)s->len;
		a.len = (uint32_t)(off + r->len - s->len);
		buf_append(s, r->payload + (s->len - off), a.len);
		a.flags = r->flags & TF_FIN;
		if (a.flags)
			f->fin[dir] = true;
		actions_push(&t->acts, &a);
		f->t_last = ts;
		return;
	}
	if ((r->flags & TF_FIN) && !f->fin[dir]) {
		f->fin[dir] = true;
		a.flags = TF_FIN;
	} else if ((r->flags & TF_RST) && !f->rst) {
		f->rst = true;
		a.flags = (uint8_t)(r->flags & (TF_RST | TF_ACK));
	} else {
		return; /* a pure ACK: the replay makes its own */
	}
	actions_push(&t->acts, &a);
	f->t_last = ts;
}

/* TLS records of one direction, from the first action that starts one. */
struct tls_walk {
	bool ok;
	uint32_t start;
	uint32_t n;
	uint32_t end[4096];
	uint8_t type[4096];
};

static void
tls_walk_dir(const struct tpl *t, int dir, struct tls_walk *w)
{
	const struct buf *s = &t->stream[dir];
	size_t pos;
	bool found = false;

	memset(w, 0, sizeof(*w));
	for (size_t i = 0; i < t->acts.n && !found; i++) {
		const struct action *a = &t->acts.a[i];

		if (a->dir == dir && a->len >= 5 && s->p[a->off] == 0x16 && s->p[a->off + 1] == 3) {
			w->start = a->off;
			found = true;
		}
	}
	if (!found)
		return;
	pos = w->start;
	while (pos + 5 <= s->len && w->n < 4096) {
		uint8_t type = s->p[pos];
		size_t rlen = rd16(s->p + pos + 3);

		if (type < 20 || type > 23 || s->p[pos + 1] != 3 || rlen > 18432)
			return;
		pos += 5 + rlen;
		w->type[w->n] = type;
		w->end[w->n++] = (uint32_t)pos;
	}
	w->ok = pos == s->len;
}

/* Is offset `o` a record boundary after at least two application-data
 * records and no alert? */
static bool
tls_walk_settled_at(const struct tls_walk *w, size_t o)
{
	uint32_t n23 = 0;
	bool boundary = false;

	for (uint32_t i = 0; i < w->n && w->end[i] <= o; i++) {
		if (w->type[i] == 21)
			return false;
		n23 += w->type[i] == 23;
		boundary = w->end[i] == o;
	}
	return boundary && n23 >= 2;
}

/* The first action index before which the handshake is over both ways and
 * both streams sit at a record boundary, with no FIN or RST yet. */
static long
tpl_find_tls_point(const struct tpl *t)
{
	struct tls_walk w[2];
	size_t o[2] = {0, 0};

	tls_walk_dir(t, 0, &w[0]);
	tls_walk_dir(t, 1, &w[1]);
	if (!w[0].ok || !w[1].ok)
		return -1;
	for (size_t i = 0; i < t->acts.n; i++) {
		const struct action *a = &t->acts.a[i];

		if (tls_walk_settled_at(&w[0], o[0]) && tls_walk_settled_at(&w[1], o[1]))
			return (long)i;
		if (a->flags & (TF_FIN | TF_RST))
			return -1;
		o[a->dir] += a->len;
	}
	return -1;
}

/* The offset of the "." ending the first cleartext DATA body, or -1. */
static long
tpl_find_body_end(const struct tpl *t)
{
	const struct buf *c = &t->stream[0], *s = &t->stream[1];
	const uint8_t *d, *end;

	if (!c->len || !s->len || !memmem(s->p, s->len, "354 ", 4))
		return -1;
	d = memmem(c->p, c->len, "DATA\r\n", 6);
	if (!d || (d != c->p && d[-1] != '\n'))
		return -1;
	end = memmem(d, c->len - (size_t)(d - c->p), "\r\n.\r\n", 5);
	return end ? (long)(end - c->p) + 2 : -1;
}

static void
tpl_free(struct tpl *t)
{
	buf_free(&t->stream[0]);
	buf_free(&t->stream[1]);
	free(t->acts.a);
	free(t);
}

/* A mail template: its file name starts with a mail service's name,
 * after "downgrade-" for the attack captures. */
static bool
tpl_is_mail(const char *name)
{
	static const char *const mail[] = {"smtp", "smtps", "submission", "lmtp",
					   "imap", "imaps", "pop3",	  "pop3s"};
	size_t skip = strncmp(name, "downgrade-", 10) == 0 ? 10 : 0;

	for (size_t i = 0; i < sizeof(mail) / sizeof(mail[0]); i++) {
		size_t n = strlen(mail[i]);

		if (strncmp(name + skip, mail[i], n) == 0 &&
		    (name[skip + n] == '-' || name[skip + n] == '.'))
			return true;
	}
	return false;
}

static void
tpls_add_file(struct tpl_set *set, const char *dir, const char *file)
{
	char path[1024], err[PCAP_ERRBUF_SIZE];
	struct tflow flows[GEN_MAX_FLOWS_PER_FILE];
	size_t nf = 0;
	struct pcap_pkthdr *h;
	const uint8_t *data;
	pcap_t *p;
	int dlt, rc;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	p = pcap_open_offline(path, err);
	if (!p) {
		fprintf(stderr, "gen-pcap: %s: %s (skipped)\n", path, err);
		return;
	}
	dlt = pcap_datalink(p);
	while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
		struct raw r;
		uint64_t ts = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
		int d = -1;
		size_t i;

		if (!raw_decode(dlt, data, h->caplen, &r))
			continue;
		for (i = 0; i < nf && d < 0; i++)
			d = tflow_dir(&flows[i], &r);
		if (d >= 0) {
			tflow_packet(&flows[i - 1], d, &r, ts);
			continue;
		}
		if ((r.flags & (TF_SYN | TF_ACK)) != TF_SYN || nf == GEN_MAX_FLOWS_PER_FILE)
			continue; /* only sessions whose SYN was recorded */
		memset(&flows[nf], 0, sizeof(flows[nf]));
		flows[nf].family = r.family;
		memcpy(flows[nf].addr[0], r.src, 16);
		memcpy(flows[nf].addr[1], r.dst, 16);
		flows[nf].port[0] = r.sport;
		flows[nf].port[1] = r.dport;
		flows[nf].t = calloc(1, sizeof(struct tpl));
		if (!flows[nf].t)
			die("out of memory");
		snprintf(flows[nf].t->name, sizeof(flows[nf].t->name), "%s#%zu", file, nf + 1);
		tflow_packet(&flows[nf], 0, &r, ts);
		nf++;
	}
	pcap_close(p);
	for (size_t i = 0; i < nf; i++) {
		struct tflow *f = &flows[i];
		struct tpl *t = f->t;

		if (f->bad || !f->syn[1] || set->n == GEN_MAX_TEMPLATES) {
			fprintf(stderr, "gen-pcap: %s: not a complete session (skipped)\n",
				t->name);
			tpl_free(t);
			continue;
		}
		t->family = f->family;
		memcpy(t->srv_ip, f->addr[1], 16);
		t->srv_port = f->port[1];
		t->tls_at = tpl_find_tls_point(t);
		t->body_at = tpl_find_body_end(t);
		set->t[set->n++] = t;
		set->by_cls[CLS_SHORT][set->n_cls[CLS_SHORT]++] = t;
		if (tpl_is_mail(t->name))
			set->mail[set->n_mail++] = t;
		if (strncmp(t->name, "dns-", 4) == 0 || strncmp(t->name, "dot-", 4) == 0)
			set->dns[set->n_dns++] = t;
		if (t->tls_at >= 0)
			set->by_cls[CLS_TLS][set->n_cls[CLS_TLS]++] = t;
		if (t->body_at >= 0)
			set->by_cls[CLS_SMTP][set->n_cls[CLS_SMTP]++] = t;
	}
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
tpls_load(struct tpl_set *set, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0;

	if (!d) {
		fprintf(stderr, "gen-pcap: %s: %s\n", dir, strerror(errno));
		exit(2);
	}
	while ((de = readdir(d)) != NULL) {
		const char *dot = strrchr(de->d_name, '.');

		if (!dot || (strcmp(dot, ".pcap") && strcmp(dot, ".pcapng")))
			continue;
		names = xrealloc(names, (n + 1) * sizeof(*names));
		names[n] = strdup(de->d_name);
		if (!names[n++])
			die("out of memory");
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		tpls_add_file(set, dir, names[i]);
		free(names[i]);
	}
	free(names);
	if (!set->n_cls[CLS_SHORT] || !set->n_cls[CLS_TLS] || !set->n_cls[CLS_SMTP])
		die("the templates need TLS sessions and cleartext SMTP sessions with DATA");
}

/* ---- the output file ----------------------------------------------------- */

struct out {
	FILE *f;
	uint64_t packets, bytes;
	uint8_t frame[14 + 40 + 20 + GEN_MSS];
};

static void
wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t
csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (i < n)
		sum += (uint32_t)p[i] << 8;
	return sum;
}

static uint16_t
csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void
out_open(struct out *o, const char *path)
{
	uint8_t hdr[24];

	memset(o, 0, sizeof(*o));
	o->f = fopen(path, "wb");
	if (!o->f) {
		fprintf(stderr, "gen-pcap: %s: %s\n", path, strerror(errno));
		exit(2);
	}
	setvbuf(o->f, NULL, _IOFBF, 1 << 22);
	/* classic pcap, little endian, microseconds, EN10MB */
	memcpy(hdr, "\xd4\xc3\xb2\xa1\x02\x00\x04\x00", 8);
	memset(hdr + 8, 0, 8);
	memcpy(hdr + 16, "\x00\x00\x04\x00\x01\x00\x00\x00", 8);
	fwrite(hdr, 1, sizeof(hdr), o->f);
	o->bytes = sizeof(hdr);
}

struct tcp_pkt {
	int family;
	const uint8_t *src, *dst;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	bool to_server;
	uint16_t ip_id;
	const uint8_t *payload;
	size_t len;
};

static size_t
frame_len(int family, size_t len)
{
	return 14 + (family == 6 ? 40 : 20) + 20 + len;
}

/* Writes the Ethernet and IP headers of a frame carrying l4len bytes of
 * transport protocol proto (6, 17) into o->frame; returns where the
 * transport header goes. */
static uint8_t *
out_ip(struct out *o, int family, const uint8_t *src, const uint8_t *dst, uint8_t proto,
       uint16_t ip_id, bool to_server, size_t l4len)
{
	uint8_t *f = o->frame, *ip = f + 14;

	/* locally administered MACs: 02:..:01 client, 02:..:02 server */
	memcpy(f, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
	if (!to_server) {
		f[5] = 1;
		f[11] = 2;
	}
	wr16(f + 12, family == 6 ? 0x86dd : 0x0800);
	if (family == 6) {
		wr32(ip, 0x60000000);
		wr16(ip + 4, (uint16_t)l4len);
		ip[6] = proto;
		ip[7] = 64;
		memcpy(ip + 8, src, 16);
		memcpy(ip + 24, dst, 16);
		return ip + 40;
	}
	ip[0] = 0x45;
	ip[1] = 0;
	wr16(ip + 2, (uint16_t)(20 + l4len));
	wr16(ip + 4, ip_id);
	wr16(ip + 6, 0x4000);
	ip[8] = 64;
	ip[9] = proto;
	wr16(ip + 10, 0);
	memcpy(ip + 12, src, 4);
	memcpy(ip + 16, dst, 4);
	wr16(ip + 10, csum_fold(csum_add(0, ip, 20)));
	return ip + 20;
}

/* The TCP or UDP checksum of the l4len bytes at l4 (pseudo-header included). */
static uint16_t
out_l4_csum(int family, const uint8_t *src, const uint8_t *dst, uint8_t proto, const uint8_t *l4,
	    size_t l4len)
{
	size_t al = family == 6 ? 16 : 4;
	uint8_t pseudo[40];
	uint32_t sum;

	memset(pseudo, 0, sizeof(pseudo));
	memcpy(pseudo, src, al);
	memcpy(pseudo + al, dst, al);
	if (family == 6) {
		wr32(pseudo + 32, (uint32_t)l4len);
		pseudo[39] = proto;
		sum = csum_add(0, pseudo, 40);
	} else {
		pseudo[9] = proto;
		wr16(pseudo + 10, (uint16_t)l4len);
		sum = csum_add(0, pseudo, 12);
	}
	return csum_fold(csum_add(sum, l4, l4len));
}

/* Writes the frame in o->frame, tot bytes, as one pcap record. */
static void
out_record(struct out *o, uint64_t ts_us, size_t tot)
{
	uint8_t rec[16];

	/* record header, little endian */
	for (int i = 0; i < 4; i++) {
		rec[i] = (uint8_t)((ts_us / 1000000) >> (8 * i));
		rec[4 + i] = (uint8_t)((ts_us % 1000000) >> (8 * i));
		rec[8 + i] = (uint8_t)(tot >> (8 * i));
		rec[12 + i] = (uint8_t)(tot >> (8 * i));
	}
	fwrite(rec, 1, 16, o->f);
	fwrite(o->frame, 1, tot, o->f);
	o->packets++;
	o->bytes += 16 + tot;
}

static void
out_packet(struct out *o, uint64_t ts_us, const struct tcp_pkt *k)
{
	uint8_t *tcp = out_ip(o, k->family, k->src, k->dst, 6, k->ip_id, k->to_server, 20 + k->len);

	wr16(tcp, k->sport);
	wr16(tcp + 2, k->dport);
	wr32(tcp + 4, k->seq);
	wr32(tcp + 8, k->ack);
	tcp[12] = 5 << 4;
	tcp[13] = k->flags;
	wr16(tcp + 14, 64240);
	wr16(tcp + 16, 0);
	wr16(tcp + 18, 0);
	if (k->len)
		memcpy(tcp + 20, k->payload, k->len);
	wr16(tcp + 16, out_l4_csum(k->family, k->src, k->dst, 6, tcp, 20 + k->len));
	out_record(o, ts_us, frame_len(k->family, k->len));
}

/* One UDP datagram (len <= GEN_MSS). */
static void
out_udp(struct out *o, uint64_t ts_us, int family, const uint8_t *src, const uint8_t *dst,
	uint16_t sport, uint16_t dport, bool to_server, uint16_t ip_id, const uint8_t *payload,
	size_t len)
{
	uint8_t *udp = out_ip(o, family, src, dst, 17, ip_id, to_server, 8 + len);
	uint16_t sum;

	wr16(udp, sport);
	wr16(udp + 2, dport);
	wr16(udp + 4, (uint16_t)(8 + len));
	wr16(udp + 6, 0);
	memcpy(udp + 8, payload, len);
	sum = out_l4_csum(family, src, dst, 17, udp, 8 + len);
	wr16(udp + 6, sum ? sum : 0xffff); /* 0 means "no checksum" (RFC 768) */
	out_record(o, ts_us, 14 + (family == 6 ? 40 : 20) + 8 + len);
}

/* ---- sessions ------------------------------------------------------------ */

/* How a session's segments are disturbed. */
struct disorder {
	double p_swap;		   /* a segment swapped with the next one */
	double p_retx;		   /* a segment sent again two segments later */
	uint32_t win_min, win_max; /* shuffle within windows of this many segments (0: off) */
	double p_far;		   /* per session: one segment arrives far later */
	uint32_t far_dist;	   /* ... this many segments later */
	double p_lost;		   /* per session: one segment never captured */
};

struct gen_cfg {
	const char *mode;
	uint64_t target_bytes;
	double frac[CLS_COUNT];
	uint64_t tls_min, tls_max;   /* application data added to a TLS session */
	uint64_t body_min, body_max; /* bytes added to an SMTP body */
	double arrival_us;	     /* mean time between session starts */
	double mail_share;	     /* short sessions drawn from the mail templates */
	double dns_share;	     /* ... from the DNS over TCP and TLS ones (first) */
	uint64_t end_us;	     /* no session starts after this (0: sized by bytes) */
	uint64_t rate_min, rate_max; /* bulk bytes per second of one flow */
	struct disorder dis;
};

struct pkt {
	uint64_t ts_us;
	uint32_t seq, ack;
	uint32_t off;
	uint16_t len;
	uint8_t dir, flags;
};

struct session {
	uint64_t id;
	enum cls cls;
	int family;
	uint8_t ip[2][16]; /* [0] client */
	uint16_t port[2];
	uint32_t isn[2];
	uint16_t ip_id[2];
	struct buf stream[2];
	struct actions acts;
	struct pkt *pk;
	size_t n_pk, cap_pk, next;
	uint64_t file_bytes;
};

struct counters {
	uint64_t sessions[CLS_COUNT], bytes[CLS_COUNT];
	uint64_t data_segments, swapped, retransmitted, far, lost, acks;
	size_t max_concurrent;
};

static void
sess_pkt(struct session *s, uint64_t ts, uint8_t dir, uint8_t flags, uint32_t seq, uint32_t ack,
	 uint32_t off, uint32_t len)
{
	struct pkt *p;

	if (s->n_pk == s->cap_pk) {
		s->cap_pk = s->cap_pk ? 2 * s->cap_pk : 64;
		s->pk = xrealloc(s->pk, s->cap_pk * sizeof(*s->pk));
	}
	p = &s->pk[s->n_pk++];
	p->ts_us = ts;
	p->dir = dir;
	p->flags = flags;
	p->seq = seq;
	p->ack = ack;
	p->off = off;
	p->len = (uint16_t)len;
	s->file_bytes += 16 + frame_len(s->family, len);
}

/* Makes sure an action of `dir` starts at stream offset `off`; returns its index. */
static size_t
sess_split_at(struct session *s, int dir, uint32_t off)
{
	for (size_t i = 0; i < s->acts.n; i++) {
		struct action *a = &s->acts.a[i], second;

		if (a->dir != dir || a->len == 0 || off < a->off || off >= a->off + a->len)
			continue;
		if (off == a->off)
			return i;
		second = *a;
		second.off = off;
		second.len = a->off + a->len - off;
		second.gap_us = 0;
		a->len = off - a->off;
		a->flags &= (uint8_t)~TF_FIN;
		actions_push(&s->acts, &second); /* grows the array: re-find the slot */
		memmove(&s->acts.a[i + 2], &s->acts.a[i + 1],
			(s->acts.n - i - 2) * sizeof(*s->acts.a));
		s->acts.a[i + 1] = second;
		return i + 1;
	}
	die("split offset outside the stream");
	return 0;
}

/* Inserts ins[d] into both streams and the actions `na` (offsets relative
 * to ins[d]) before action `at`; later actions move along. */
static void
sess_splice(struct session *s, size_t at, struct buf ins[2], const struct actions *na)
{
	size_t o[2] = {0, 0};
	struct actions acts = {0};

	for (size_t i = 0; i < at; i++)
		o[s->acts.a[i].dir] += s->acts.a[i].len;
	for (int d = 0; d < 2; d++) {
		struct buf nb = {0};

		buf_append(&nb, s->stream[d].p, o[d]);
		buf_append(&nb, ins[d].p, ins[d].len);
		buf_append(&nb, s->stream[d].p + o[d], s->stream[d].len - o[d]);
		buf_free(&s->stream[d]);
		s->stream[d] = nb;
	}
	for (size_t i = 0; i < at; i++)
		actions_push(&acts, &s->acts.a[i]);
	for (size_t i = 0; i < na->n; i++) {
		struct action a = na->a[i];

		a.off += (uint32_t)o[a.dir];
		actions_push(&acts, &a);
	}
	for (size_t i = at; i < s->acts.n; i++) {
		struct action a = s->acts.a[i];

		if (a.len)
			a.off += (uint32_t)ins[a.dir].len;
		actions_push(&acts, &a);
	}
	free(s->acts.a);
	s->acts = acts;
}

/* Appends `len` bytes of application data to b as TLS records, in writes
 * of at most GEN_WRITE_CHUNK bytes, each an action of `dir`. */
static void
tls_append_data(struct rng *r, struct buf *b, struct actions *na, int dir, uint64_t len,
		uint64_t first_gap_us, bool full_records)
{
	struct action a = {.dir = (uint8_t)dir, .gap_us = first_gap_us};

	a.off = (uint32_t)b->len;
	while (len > 0) {
		size_t plain = full_records && rng_unit(r) < 0.85 ? GEN_TLS_PLAIN_MAX
								  : 100 + rng_below(r, 3900);
		size_t wire;
		uint8_t *p;

		if (plain > len)
			plain = (size_t)len;
		len -= plain;
		wire = plain + GEN_TLS_OVERHEAD;
		p = buf_grow(b, 5 + wire);
		p[0] = 0x17;
		p[1] = 3;
		p[2] = 3;
		wr16(p + 3, (uint16_t)wire);
		rng_fill(r, p + 5, wire);
		if (b->len - a.off >= GEN_WRITE_CHUNK || len == 0) {
			a.len = (uint32_t)(b->len - a.off);
			actions_push(na, &a);
			a.off = (uint32_t)b->len;
			a.gap_us = 0;
		}
	}
}

/* Requests one way, bulk answers the other, until `target` bytes of
 * application data went the bulk way. Mail submission ports upload. */
static void
sess_add_tls_phase(struct session *s, struct rng *r, const struct tpl *t, uint64_t target)
{
	struct buf ins[2] = {{0}, {0}};
	struct actions na = {0};
	uint16_t sp = t->srv_port;
	int bulk = (sp == 25 || sp == 465 || sp == 587 || sp == 2525) ? 0 : 1;
	uint64_t done = 0;

	while (done < target) {
		uint64_t chunk = rng_logu(r, 16384, 1 << 20);

		if (chunk > target - done)
			chunk = target - done;
		tls_append_data(r, &ins[1 - bulk], &na, 1 - bulk, 20 + rng_below(r, 300),
				1000 + rng_below(r, 20000), false);
		tls_append_data(r, &ins[bulk], &na, bulk, chunk, 200 + rng_below(r, 3000), true);
		done += chunk;
	}
	sess_splice(s, (size_t)t->tls_at, ins, &na);
	buf_free(&ins[0]);
	buf_free(&ins[1]);
	free(na.a);
}

static const char *const body_words[] = {
	"the",	    "quarterly", "report",   "attached",  "please", "review",	"before",  "Monday",
	"meeting",  "budget",	 "server",   "migration", "thanks", "regards",	"invoice", "order",
	"shipment", "delayed",	 "customer", "account",	  "update", "schedule", "notes",   "draft",
};

static void
body_line(struct buf *b, const char *line, size_t n)
{
	if (n && line[0] == '.')
		buf_append(b, ".", 1); /* dot-stuffing, RFC 5321 4.5.2 */
	buf_append(b, line, n);
	buf_append(b, "\r\n", 2);
}

/* A MIME-ish body: a text part, then a base64 attachment, about `target`
 * bytes, every line dot-stuffed, never a lone "." line. */
static void
smtp_make_body(struct rng *r, struct buf *b, uint64_t target)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	static const char *const odd[] = {
		".",	  ".signature",	  "STARTTLS", "QUIT", "AUTH PLAIN AGFsaWNlAHNlY3JldA==",
		"250 OK", "..double dot", "DATA"};
	char line[100];
	size_t nlines = 5 + rng_below(r, 40);

	body_line(b, "", 0);
	body_line(b, "--tlswatch-bench", 16);
	body_line(b, "Content-Type: text/plain; charset=us-ascii", 42);
	body_line(b, "", 0);
	for (size_t i = 0; i < nlines; i++) {
		size_t n = 0;

		if (rng_below(r, 12) == 0) {
			const char *w = odd[rng_below(r, sizeof(odd) / sizeof(odd[0]))];

			body_line(b, w, strlen(w));
			continue;
		}
		while (n < 60) {
			const char *w =
				body_words[rng_below(r, sizeof(body_words) / sizeof(*body_words))];
			size_t wl = strlen(w);

			if (n)
				line[n++] = ' ';
			memcpy(line + n, w, wl);
			n += wl;
		}
		body_line(b, line, n);
	}
	body_line(b, "--tlswatch-bench", 16);
	body_line(b, "Content-Type: application/octet-stream", 38);
	body_line(b, "Content-Transfer-Encoding: base64", 33);
	body_line(b, "", 0);
	while (b->len + 20 < target) {
		for (int i = 0; i < 76; i++)
			line[i] = b64[rng_next(r) & 63];
		body_line(b, line, 76);
	}
	body_line(b, "--tlswatch-bench--", 18);
}

static void
sess_add_smtp_body(struct session *s, struct rng *r, const struct tpl *t, uint64_t target)
{
	struct buf ins[2] = {{0}, {0}};
	struct actions na = {0};
	struct action a = {.dir = 0, .gap_us = 0};
	size_t at = sess_split_at(s, 0, (uint32_t)t->body_at);

	smtp_make_body(r, &ins[0], target);
	/* one action: the client streams the body, so reordering can span it */
	a.len = (uint32_t)ins[0].len;
	actions_push(&na, &a);
	sess_splice(s, at, ins, &na);
	buf_free(&ins[0]);
	free(na.a);
}

/* Emission state of one session. */
struct emit {
	struct session *s;
	uint64_t t;
	uint32_t rcv[2];  /* bytes of dir d the peer holds in order */
	uint32_t sent[2]; /* bytes of dir d sent */
	bool syn[2], fin[2], rst[2];
	uint32_t unacked[2];
};

static uint32_t
emit_seq(const struct emit *e, int d)
{
	return e->s->isn[d] + (e->syn[d] ? 1 : 0) + e->sent[d] + (e->fin[d] ? 1 : 0);
}

static uint32_t
emit_ack(const struct emit *e, int d)
{
	int o = 1 - d;

	return e->s->isn[o] + (e->syn[o] ? 1 : 0) + e->rcv[o] + (e->fin[o] ? 1 : 0);
}

/* The receiver of dir d acknowledges what it holds. */
static void
emit_pure_ack(struct emit *e, int d, struct counters *cnt)
{
	int o = 1 - d;

	if (e->rst[o] || e->rst[d])
		return;
	e->t += 1;
	sess_pkt(e->s, e->t, (uint8_t)o, TF_ACK, emit_seq(e, o), emit_ack(e, o), 0, 0);
	e->unacked[d] = 0;
	cnt->acks++;
}

/* The order in which an action's n segments leave (-1 entries are not
 * used); lost[] marks segments the capture misses. Returns the count. */
static size_t
emit_order(struct rng *r, const struct disorder *dis, size_t n, int32_t *order, bool *lost,
	   bool far, bool lose, struct counters *cnt)
{
	int32_t *ord = order + 2 * n; /* the permutation; order[0, 2n) is the result */
	bool *dup = lost + n;
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		ord[i] = (int32_t)i;
		lost[i] = false;
		dup[i] = false;
	}
	if (dis->win_max && n > 1) {
		for (size_t w0 = 0; w0 < n;) {
			size_t w = dis->win_min + rng_below(r, dis->win_max - dis->win_min + 1);

			if (w0 + w > n)
				w = n - w0;
			for (size_t i = w; i > 1; i--) {
				size_t j = rng_below(r, i);
				int32_t x = ord[w0 + i - 1];

				ord[w0 + i - 1] = ord[w0 + j];
				ord[w0 + j] = x;
			}
			w0 += w;
		}
		cnt->swapped += n > 1 ? n : 0;
	} else {
		for (size_t i = 0; i + 1 < n; i++) {
			if (rng_unit(r) < dis->p_swap) {
				int32_t x = ord[i];

				ord[i] = ord[i + 1];
				ord[i + 1] = x;
				cnt->swapped++;
				i++;
			}
		}
	}
	if (far && n > 2) {
		size_t i = rng_below(r, n / 8 + 1), j = i + dis->far_dist;
		int32_t x = ord[i];

		if (j >= n)
			j = n - 1;
		memmove(&ord[i], &ord[i + 1], (j - i) * sizeof(*ord));
		ord[j] = x;
		cnt->far++;
	}
	if (lose && n > 2) {
		lost[1 + rng_below(r, n - 2)] = true;
		cnt->lost++;
	}
	for (size_t i = 0; i < n; i++) {
		dup[i] = rng_unit(r) < dis->p_retx;
		order[k++] = ord[i];
		if (i >= 2 && dup[i - 2]) {
			order[k++] = ord[i - 2];
			cnt->retransmitted++;
		}
	}
	for (size_t i = n >= 2 ? n - 2 : 0; i < n; i++) {
		if (dup[i]) {
			order[k++] = ord[i];
			cnt->retransmitted++;
		}
	}
	return k;
}

static void
emit_data(struct emit *e, struct rng *r, const struct disorder *dis, const struct action *a,
	  uint64_t seg_us, bool far, bool lose, struct counters *cnt)
{
	size_t n = (a->len + GEN_MSS - 1) / GEN_MSS, k, cont = 0;
	int32_t *order = xrealloc(NULL, 3 * n * sizeof(*order));
	bool *lost = xrealloc(NULL, 2 * n * sizeof(*lost)), *got;
	int d = a->dir;

	k = emit_order(r, dis, n, order, lost, far, lose, cnt);
	got = lost + n; /* dup flags are no longer needed */
	memset(got, 0, n * sizeof(*got));
	for (size_t i = 0; i < k; i++) {
		size_t seg = (size_t)order[i];
		uint32_t off = a->off + (uint32_t)(seg * GEN_MSS);
		uint32_t len = a->off + a->len - off;
		uint8_t flags = TF_ACK;

		if (len > GEN_MSS)
			len = GEN_MSS;
		if (seg == n - 1)
			flags |= TF_PSH;
		if (!lost[seg]) {
			sess_pkt(e->s, e->t, (uint8_t)d, flags, e->s->isn[d] + 1 + off,
				 emit_ack(e, d), off, len);
			cnt->data_segments++;
			e->unacked[d]++;
		}
		got[seg] = true;
		while (cont < n && got[cont])
			cont++;
		e->rcv[d] = cont == n ? a->off + a->len : a->off + (uint32_t)(cont * GEN_MSS);
		e->t += seg_us;
		if (e->unacked[d] >= 2)
			emit_pure_ack(e, d, cnt);
	}
	e->sent[d] = a->off + a->len;
	free(order);
	free(lost);
}

/* Turns the actions into packets from time t0. */
static void
sess_emit(struct session *s, struct rng *r, const struct disorder *dis, uint64_t t0,
	  uint64_t seg_us, struct counters *cnt)
{
	struct emit e = {.s = s, .t = t0};
	size_t biggest = 0;
	bool far = rng_unit(r) < dis->p_far, lose = rng_unit(r) < dis->p_lost;

	for (size_t i = 0; i < s->acts.n; i++)
		if (s->acts.a[i].len > s->acts.a[biggest].len)
			biggest = i;
	for (size_t i = 0; i < s->acts.n; i++) {
		const struct action *a = &s->acts.a[i];
		int d = a->dir;

		e.t += a->gap_us;
		if (a->flags & TF_SYN) {
			sess_pkt(s, e.t, (uint8_t)d, a->flags, s->isn[d],
				 (a->flags & TF_ACK) ? emit_ack(&e, d) : 0, 0, 0);
			e.syn[d] = true;
			if (d == 1) {
				e.unacked[1] = 1;
				emit_pure_ack(&e, 1, cnt); /* third packet of the handshake */
			}
			continue;
		}
		if (a->len) {
			emit_data(&e, r, dis, a, a->len > GEN_MSS ? seg_us : 20,
				  far && i == biggest, lose && i == biggest, cnt);
			if (e.unacked[d] && !(a->flags & TF_FIN))
				emit_pure_ack(&e, d, cnt);
		}
		if (a->flags & TF_FIN) {
			sess_pkt(s, e.t, (uint8_t)d, TF_FIN | TF_ACK, emit_seq(&e, d),
				 emit_ack(&e, d), 0, 0);
			e.fin[d] = true;
			e.t += 5;
			emit_pure_ack(&e, d, cnt);
		} else if (a->flags & TF_RST) {
			sess_pkt(s, e.t, (uint8_t)d, a->flags, emit_seq(&e, d),
				 (a->flags & TF_ACK) ? emit_ack(&e, d) : 0, 0, 0);
			e.rst[d] = true;
		}
	}
}

static struct session *
sess_new(const struct gen_cfg *cfg, struct rng *r, enum cls cls, const struct tpl *t, uint64_t id,
	 uint64_t t0, struct counters *cnt)
{
	struct session *s = calloc(1, sizeof(*s));
	uint64_t k = id, seg_us;

	if (!s)
		die("out of memory");
	s->id = id;
	s->cls = cls;
	s->family = t->family;
	/* client 127.(16+k/65536).(k/256).(k%256) or ::ffff: that */
	if (t->family == 6) {
		s->ip[0][10] = 0xff;
		s->ip[0][11] = 0xff;
		s->ip[0][12] = 127;
		s->ip[0][13] = (uint8_t)(16 + (k >> 16) % 224);
		s->ip[0][14] = (uint8_t)(k >> 8);
		s->ip[0][15] = (uint8_t)k;
	} else {
		s->ip[0][0] = 127;
		s->ip[0][1] = (uint8_t)(16 + (k >> 16) % 224);
		s->ip[0][2] = (uint8_t)(k >> 8);
		s->ip[0][3] = (uint8_t)k;
	}
	memcpy(s->ip[1], t->srv_ip, 16);
	s->port[0] = (uint16_t)(1024 + rng_below(r, 64000));
	s->port[1] = t->srv_port;
	s->isn[0] = (uint32_t)rng_next(r);
	s->isn[1] = (uint32_t)rng_next(r);
	s->ip_id[0] = (uint16_t)rng_next(r);
	s->ip_id[1] = (uint16_t)rng_next(r);
	for (int d = 0; d < 2; d++)
		buf_append(&s->stream[d], t->stream[d].p, t->stream[d].len);
	for (size_t i = 0; i < t->acts.n; i++) {
		struct action a = t->acts.a[i];

		a.gap_us *= GEN_TIME_SCALE;
		if (a.gap_us > GEN_GAP_CAP_US)
			a.gap_us = GEN_GAP_CAP_US;
		actions_push(&s->acts, &a);
	}
	if (cls == CLS_TLS)
		sess_add_tls_phase(s, r, t, rng_logu(r, cfg->tls_min, cfg->tls_max));
	else if (cls == CLS_SMTP)
		sess_add_smtp_body(s, r, t, rng_logu(r, cfg->body_min, cfg->body_max));
	seg_us = GEN_MSS * 1000000ull / rng_logu(r, cfg->rate_min, cfg->rate_max);
	if (seg_us < 2)
		seg_us = 2;
	sess_emit(s, r, &cfg->dis, t0, seg_us, cnt);
	free(s->acts.a);
	s->acts.a = NULL;
	return s;
}

static void
sess_free(struct session *s)
{
	buf_free(&s->stream[0]);
	buf_free(&s->stream[1]);
	free(s->pk);
	free(s);
}

static void
sess_write_next(struct session *s, struct out *o)
{
	const struct pkt *p = &s->pk[s->next++];
	int d = p->dir, od = 1 - d;
	struct tcp_pkt k = {
		.family = s->family,
		.src = s->ip[d],
		.dst = s->ip[od],
		.sport = s->port[d],
		.dport = s->port[od],
		.seq = p->seq,
		.ack = p->ack,
		.flags = p->flags,
		.to_server = d == 0,
		.ip_id = s->ip_id[d]++,
		.payload = s->stream[d].p + p->off,
		.len = p->len,
	};

	out_packet(o, p->ts_us, &k);
}

/* ---- merging sessions in time order -------------------------------------- */

struct heap {
	struct session **v;
	size_t n, cap;
};

static bool
heap_less(const struct session *a, const struct session *b)
{
	uint64_t ta = a->pk[a->next].ts_us, tb = b->pk[b->next].ts_us;

	return ta < tb || (ta == tb && a->id < b->id);
}

static void
heap_down(struct heap *h, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		struct session *x;

		if (l < h->n && heap_less(h->v[l], h->v[m]))
			m = l;
		if (l + 1 < h->n && heap_less(h->v[l + 1], h->v[m]))
			m = l + 1;
		if (m == i)
			return;
		x = h->v[i];
		h->v[i] = h->v[m];
		h->v[m] = x;
		i = m;
	}
}

static void
heap_push(struct heap *h, struct session *s)
{
	size_t i;

	if (h->n == h->cap) {
		h->cap = h->cap ? 2 * h->cap : 1024;
		h->v = xrealloc(h->v, h->cap * sizeof(*h->v));
	}
	i = h->n++;
	h->v[i] = s;
	while (i && heap_less(h->v[i], h->v[(i - 1) / 2])) {
		struct session *x = h->v[i];

		h->v[i] = h->v[(i - 1) / 2];
		h->v[(i - 1) / 2] = x;
		i = (i - 1) / 2;
	}
}

/* The class furthest below its share of the bytes planned so far. */
static enum cls
gen_pick_class(const struct gen_cfg *cfg, const struct counters *cnt)
{
	uint64_t total = 0;
	enum cls best = CLS_SHORT;
	double best_deficit = -1e300;

	for (int c = 0; c < CLS_COUNT; c++)
		total += cnt->bytes[c];
	for (int c = 0; c < CLS_COUNT; c++) {
		double deficit = cfg->frac[c] * (double)(total + 1) - (double)cnt->bytes[c];

		if (cfg->frac[c] > 0 && deficit > best_deficit) {
			best_deficit = deficit;
			best = (enum cls)c;
		}
	}
	return best;
}

struct flood;
static uint64_t flood_next_us(const struct flood *fl);
static void flood_write_next(struct flood *fl, struct out *o);

/* The sessions of cfg, merged in time order with the flood's datagrams
 * when fl is not NULL. */
static void
gen_sessions(const struct gen_cfg *cfg, const struct tpl_set *set, struct out *o, struct flood *fl)
{
	struct rng r = {0x746c7377617463ull}; /* "tlswatc" */
	struct counters cnt = {0};
	struct heap h = {0};
	uint64_t planned = 0, next_id = 1, arrival = GEN_T0_US, t_last = GEN_T0_US;

	for (;;) {
		bool plan = planned < cfg->target_bytes && (!cfg->end_us || arrival < cfg->end_us);
		uint64_t t_flood = fl ? flood_next_us(fl) : UINT64_MAX;
		uint64_t t_sess = h.n ? h.v[0]->pk[h.v[0]->next].ts_us : UINT64_MAX;
		struct session *s;

		if (!plan && !h.n && t_flood == UINT64_MAX)
			break;
		if (plan && arrival <= t_sess && arrival <= t_flood) {
			enum cls c = gen_pick_class(cfg, &cnt);
			const struct tpl *t;

			if (c == CLS_SHORT && cfg->dns_share > 0 && set->n_dns &&
			    rng_unit(&r) < cfg->dns_share)
				t = set->dns[rng_below(&r, set->n_dns)];
			else if (c == CLS_SHORT && cfg->mail_share > 0 && set->n_mail &&
				 rng_unit(&r) < cfg->mail_share)
				t = set->mail[rng_below(&r, set->n_mail)];
			else
				t = set->by_cls[c][rng_below(&r, set->n_cls[c])];

			s = sess_new(cfg, &r, c, t, next_id++, arrival, &cnt);
			planned += s->file_bytes;
			cnt.sessions[c]++;
			cnt.bytes[c] += s->file_bytes;
			heap_push(&h, s);
			if (h.n > cnt.max_concurrent)
				cnt.max_concurrent = h.n;
			arrival += 1 + (uint64_t)(-log(1.0 - rng_unit(&r)) * cfg->arrival_us);
			continue;
		}
		if (t_flood < t_sess) {
			t_last = t_flood;
			flood_write_next(fl, o);
			continue;
		}
		s = h.v[0];
		t_last = s->pk[s->next].ts_us;
		sess_write_next(s, o);
		if (s->next == s->n_pk) {
			h.v[0] = h.v[--h.n];
			sess_free(s);
		}
		if (h.n)
			heap_down(&h, 0);
	}
	free(h.v);
	fprintf(stderr,
		"gen-pcap %s: %" PRIu64 " packets, %.1f MiB, %.1f s of traffic, "
		"up to %zu sessions at once\n",
		cfg->mode, o->packets, (double)o->bytes / 1048576.0,
		(double)(t_last - GEN_T0_US) / 1e6, cnt.max_concurrent);
	for (int c = 0; c < CLS_COUNT; c++)
		fprintf(stderr, "  %-9s %8" PRIu64 " sessions %9.1f MiB\n", cls_name[c],
			cnt.sessions[c], (double)cnt.bytes[c] / 1048576.0);
	fprintf(stderr,
		"  data segments %" PRIu64 ", reordered %" PRIu64 " (%.2f%%), "
		"retransmitted %" PRIu64 " (%.2f%%), far %" PRIu64 ", lost %" PRIu64
		", acks %" PRIu64 "\n",
		cnt.data_segments, cnt.swapped,
		100.0 * (double)cnt.swapped / (double)(cnt.data_segments + 1), cnt.retransmitted,
		100.0 * (double)cnt.retransmitted / (double)(cnt.data_segments + 1), cnt.far,
		cnt.lost, cnt.acks);
}

/* One SYN per flow; flows differ by client address and port. */
static void
gen_synflood(struct out *o, uint64_t flows)
{
	static const uint16_t ports[] = {25, 587, 465, 143, 993, 110, 995, 443};
	struct rng r = {0x73796e666c6f6f64ull};
	uint8_t src[16] = {0}, dst[16] = {127, 0, 0, 1};
	struct tcp_pkt k = {
		.family = 4, .src = src, .dst = dst, .flags = TF_SYN, .to_server = true};

	for (uint64_t i = 0; i < flows; i++) {
		src[0] = 127;
		src[1] = (uint8_t)(16 + (i >> 16) % 224);
		src[2] = (uint8_t)(i >> 8);
		src[3] = (uint8_t)i;
		k.sport = (uint16_t)(1024 + i * 7919 % 64000);
		k.dport = ports[i % (sizeof(ports) / sizeof(ports[0]))];
		k.seq = (uint32_t)rng_next(&r);
		k.ip_id = (uint16_t)i;
		out_packet(o, GEN_T0_US + i * 10, &k);
	}
	fprintf(stderr, "gen-pcap synflood: %" PRIu64 " SYN packets, %.1f MiB, %.1f s of traffic\n",
		o->packets, (double)o->bytes / 1048576.0, (double)flows * 10 / 1e6);
}

/* ---- the DNS flood (udpflood) --------------------------------------------- */

/*
 * A "random subdomain" flood against one resolver: each of `sources`
 * spoofed clients (10.0.0.0/8, a tenth of them 2001:db8:f000::/48, all
 * distinct) sends one query for a random name under an attacked domain
 * from a random port to 192.0.2.53 or 2001:db8:53::53, port 53, at
 * `rate` queries a second (Poisson); the resolver answers a share of them
 * (mostly NXDOMAIN) after 0.2 to 20 ms. Every query is a UDP flow of its
 * own: the worst case for a flow table.
 */
#define FLOOD_PENDING 4096 /* answers not yet due, at most */
#define FLOOD_NAME_MAX 64

struct flood_answer {
	uint64_t ts_us;
	uint8_t family;
	uint8_t client[16];
	uint16_t port, id, qtype;
	uint8_t qname[FLOOD_NAME_MAX]; /* wire format */
	uint8_t qlen;
};

struct flood {
	struct rng r;
	uint64_t sources, sent, answered, v6, answers_dropped;
	uint64_t next_us;
	double gap_us;	     /* mean time between queries */
	double answer_share; /* queries the resolver answers */
	double v6_share;
	uint16_t ip_id;
	struct flood_answer pend[FLOOD_PENDING]; /* in time order */
	size_t n_pend;
};

static const uint8_t flood_resolver4[16] = {192, 0, 2, 53};
static const uint8_t flood_resolver6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0x53, [15] = 0x53};

static void
flood_init(struct flood *fl, uint64_t sources, double rate)
{
	memset(fl, 0, sizeof(*fl));
	fl->r.s = 0x646e73666c6f6f64ull; /* "dnsflood" */
	fl->sources = sources;
	fl->gap_us = 1e6 / rate;
	fl->answer_share = 0.2;
	fl->v6_share = 0.1;
	fl->next_us = GEN_T0_US;
}

/* Time of the flood's next datagram, UINT64_MAX when it is over. */
static uint64_t
flood_next_us(const struct flood *fl)
{
	uint64_t t = fl->sent < fl->sources ? fl->next_us : UINT64_MAX;

	if (fl->n_pend && fl->pend[0].ts_us < t)
		t = fl->pend[0].ts_us;
	return t;
}

/* Source i's address: distinct for every i below 2^24 (an odd multiplier
 * is a bijection modulo 2^24), scattered like spoofed addresses. */
static void
flood_source(uint64_t i, int family, uint8_t addr[16])
{
	uint32_t x = (uint32_t)((i + 1) * 0x9e3779b1u) & 0xffffff;

	memset(addr, 0, 16);
	if (family == 6) {
		memcpy(addr, "\x20\x01\x0d\xb8\xf0\x00", 6);
		addr[8] = (uint8_t)(x >> 16);
		addr[9] = (uint8_t)(x >> 8);
		addr[10] = (uint8_t)x;
		addr[15] = (uint8_t)(i * 131 + 1);
	} else {
		addr[0] = 10;
		addr[1] = (uint8_t)(x >> 16);
		addr[2] = (uint8_t)(x >> 8);
		addr[3] = (uint8_t)x;
	}
}

/* A random name under one of the attacked domains, in wire format. */
static size_t
flood_qname(struct rng *r, uint8_t *p)
{
	static const char *const victims[] = {"\7example\3com", "\4mail\7example\3net",
					      "\4shop\7example\3org"};
	static const char alnum[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	const char *v = victims[rng_below(r, sizeof(victims) / sizeof(victims[0]))];
	size_t n = 8 + rng_below(r, 17), vl = strlen(v);

	p[0] = (uint8_t)n;
	for (size_t i = 1; i <= n; i++)
		p[i] = (uint8_t)alnum[rng_below(r, sizeof(alnum) - 1)];
	memcpy(p + 1 + n, v, vl + 1); /* with the root's 0 */
	return 1 + n + vl + 1;
}

/* A DNS message (RFC 1035 4.1) with one question; with an answer, one
 * A or AAAA record pointing back at the question's name. */
static size_t
flood_dns(uint8_t *p, uint16_t id, uint16_t flags, const uint8_t *qname, size_t qlen,
	  uint16_t qtype, bool answer)
{
	size_t n = 12 + qlen + 4;

	wr16(p, id);
	wr16(p + 2, flags);
	wr16(p + 4, 1);
	wr16(p + 6, answer ? 1 : 0);
	wr16(p + 8, 0);
	wr16(p + 10, 0);
	memcpy(p + 12, qname, qlen);
	wr16(p + 12 + qlen, qtype);
	wr16(p + 14 + qlen, 1); /* IN */
	if (answer) {
		size_t rdlen = qtype == 28 ? 16 : 4;

		wr16(p + n, 0xc00c); /* the name at offset 12 */
		wr16(p + n + 2, qtype);
		wr16(p + n + 4, 1);
		wr32(p + n + 6, 300);
		wr16(p + n + 10, (uint16_t)rdlen);
		memset(p + n + 12, 0, rdlen);
		p[n + 12] = 198;
		p[n + 13] = 51;
		p[n + 14] = 100;
		p[n + 12 + rdlen - 1] = 7;
		n += 12 + rdlen;
	}
	return n;
}

static void
flood_write_next(struct flood *fl, struct out *o)
{
	uint8_t msg[512];
	size_t len;

	if (fl->n_pend && (fl->sent == fl->sources || fl->pend[0].ts_us <= fl->next_us)) {
		struct flood_answer a = fl->pend[0];
		bool nx = (a.id & 3) != 0; /* three in four: NXDOMAIN */

		memmove(fl->pend, fl->pend + 1, --fl->n_pend * sizeof(fl->pend[0]));
		len = flood_dns(msg, a.id, nx ? 0x8183 : 0x8180, a.qname, a.qlen, a.qtype, !nx);
		out_udp(o, a.ts_us, a.family, a.family == 6 ? flood_resolver6 : flood_resolver4,
			a.client, 53, a.port, false, fl->ip_id++, msg, len);
		fl->answered++;
	} else {
		struct flood_answer q;
		uint64_t i = fl->sent++;

		q.ts_us = fl->next_us;
		q.family = rng_unit(&fl->r) < fl->v6_share ? 6 : 4;
		flood_source(i, q.family, q.client);
		q.port = (uint16_t)(1024 + rng_below(&fl->r, 64512));
		q.id = (uint16_t)rng_next(&fl->r);
		q.qtype = rng_below(&fl->r, 4) == 0 ? 28 : 1; /* AAAA or A */
		q.qlen = (uint8_t)flood_qname(&fl->r, q.qname);
		len = flood_dns(msg, q.id, 0x0100, q.qname, q.qlen, q.qtype, false);
		out_udp(o, q.ts_us, q.family, q.client,
			q.family == 6 ? flood_resolver6 : flood_resolver4, q.port, 53, true,
			fl->ip_id++, msg, len);
		fl->v6 += q.family == 6;
		fl->next_us += 1 + (uint64_t)(-log(1.0 - rng_unit(&fl->r)) * fl->gap_us);
		if (rng_unit(&fl->r) < fl->answer_share) {
			size_t k;

			if (fl->n_pend == FLOOD_PENDING) {
				fl->answers_dropped++;
				return;
			}
			q.ts_us += rng_logu(&fl->r, 200, 20000);
			for (k = fl->n_pend; k > 0 && fl->pend[k - 1].ts_us > q.ts_us; k--)
				fl->pend[k] = fl->pend[k - 1];
			fl->pend[k] = q;
			fl->n_pend++;
		}
	}
}

static void
gen_config(struct gen_cfg *c, const char *mode, uint64_t size_mb)
{
	memset(c, 0, sizeof(*c));
	c->mode = mode;
	c->target_bytes = size_mb << 20;
	if (strcmp(mode, "main") == 0) {
		c->frac[CLS_SHORT] = 0.20;
		c->frac[CLS_TLS] = 0.50;
		c->frac[CLS_SMTP] = 0.30;
		c->tls_min = 50000;
		c->tls_max = 8000000;
		c->body_min = 20000;
		c->body_max = 4000000;
		c->arrival_us = 1000;
		c->rate_min = 500000;
		c->rate_max = 10000000;
		c->dis.p_swap = 0.015;
		c->dis.p_retx = 0.01;
	} else if (strcmp(mode, "dense") == 0) {
		/* session-dense: a mail relay's or a SPAN port's mix, about 5 KB per
		 * session; mostly short mail exchanges as recorded (with and without
		 * STARTTLS, logins, the attacks), a few bulk transfers */
		c->frac[CLS_SHORT] = 0.80;
		c->frac[CLS_TLS] = 0.12;
		c->frac[CLS_SMTP] = 0.08;
		c->tls_min = 20000;
		c->tls_max = 1000000;
		c->body_min = 5000;
		c->body_max = 200000;
		c->arrival_us = 200;
		c->mail_share = 0.75;
		c->rate_min = 500000;
		c->rate_max = 10000000;
		c->dis.p_swap = 0.015;
		c->dis.p_retx = 0.01;
	} else if (strcmp(mode, "udpflood") == 0) {
		/* the sessions that go on during the flood: DNS over TCP and TLS
		 * and the session-dense mix, about 50 a second */
		c->target_bytes = UINT64_MAX;
		c->frac[CLS_SHORT] = 0.90;
		c->frac[CLS_TLS] = 0.10;
		c->tls_min = 20000;
		c->tls_max = 200000;
		c->arrival_us = 20000;
		c->dns_share = 0.5;
		c->mail_share = 0.75;
		c->rate_min = 500000;
		c->rate_max = 10000000;
		c->dis.p_swap = 0.015;
		c->dis.p_retx = 0.01;
	} else {
		/* reorder: every stream arrives shuffled; many flows at once so that
		 * the per-stream and the global out-of-order caps are reached */
		c->frac[CLS_TLS] = 0.10;
		c->frac[CLS_SMTP] = 0.90;
		c->tls_min = 50000;
		c->tls_max = 1000000;
		c->body_min = 300000;
		c->body_max = 1000000;
		c->arrival_us = 40;
		c->rate_min = 300000;
		c->rate_max = 600000;
		c->dis.win_min = 4;
		c->dis.win_max = 256;
		c->dis.p_retx = 0.02;
		c->dis.p_far = 0.7;
		c->dis.far_dist = 400;
		c->dis.p_lost = 0.10;
	}
}

int
main(int argc, char **argv)
{
	static struct tpl_set set;
	struct gen_cfg cfg;
	struct out o;
	char tmp[4096];
	unsigned long long n;
	char *end;

	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		printf("gen-pcap %s\n", GEN_VERSION);
		return 0;
	}
	if (argc < 4 || (strcmp(argv[1], "synflood") && argc < 5) ||
	    (strcmp(argv[1], "main") && strcmp(argv[1], "dense") && strcmp(argv[1], "reorder") &&
	     strcmp(argv[1], "synflood") && strcmp(argv[1], "udpflood"))) {
		fputs("usage: gen-pcap main|dense|reorder OUT SIZE_MB PCAP_DIR\n"
		      "       gen-pcap synflood OUT FLOWS\n"
		      "       gen-pcap udpflood OUT SOURCES PCAP_DIR\n",
		      stderr);
		return 2;
	}
	errno = 0;
	n = strtoull(argv[3], &end, 10);
	if (errno || *end || n == 0 || n > (1ull << 24))
		die("bad size");
	snprintf(tmp, sizeof(tmp), "%s.tmp", argv[2]);
	if (strcmp(argv[1], "synflood") == 0) {
		out_open(&o, tmp);
		gen_synflood(&o, n);
	} else if (strcmp(argv[1], "udpflood") == 0) {
		static struct flood fl;

		flood_init(&fl, n, GEN_FLOOD_RATE);
		gen_config(&cfg, argv[1], 0);
		cfg.end_us = GEN_T0_US + (uint64_t)((double)n * fl.gap_us);
		tpls_load(&set, argv[4]);
		out_open(&o, tmp);
		gen_sessions(&cfg, &set, &o, &fl);
		fprintf(stderr,
			"  dns flood %" PRIu64 " queries from as many sources (%" PRIu64
			" IPv6), %" PRIu64 " answers (%" PRIu64 " dropped: too many due)\n",
			fl.sent, fl.v6, fl.answered, fl.answers_dropped);
		for (size_t i = 0; i < set.n; i++)
			tpl_free(set.t[i]);
	} else {
		gen_config(&cfg, argv[1], n);
		tpls_load(&set, argv[4]);
		fprintf(stderr,
			"gen-pcap: %zu template sessions: %zu with a TLS data phase, %zu "
			"with a cleartext SMTP body\n",
			set.n, set.n_cls[CLS_TLS], set.n_cls[CLS_SMTP]);
		out_open(&o, tmp);
		gen_sessions(&cfg, &set, &o, NULL);
		for (size_t i = 0; i < set.n; i++)
			tpl_free(set.t[i]);
	}
	if (fclose(o.f) != 0 || rename(tmp, argv[2]) != 0) {
		fprintf(stderr, "gen-pcap: %s: %s\n", argv[2], strerror(errno));
		remove(tmp);
		return 2;
	}
	return 0;
}
