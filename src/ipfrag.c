/*
 * ipfrag.c - IPv4/IPv6 fragment reassembly under a memory cap (see
 * include/ipfrag.h for the policy and RFC 791, RFC 8200 4.5, RFC 5722).
 *
 * Each datagram in progress holds its bytes in one buffer that grows with
 * the highest offset seen, and a bitmap of the 8-byte blocks received
 * (fragment offsets count in 8-byte units; only the last fragment may end
 * inside a block). Datagrams live in a hash table and in one list in
 * creation order, which is also the order in which they time out and are
 * evicted.
 */
#include "ipfrag.h"

#include <stdlib.h>
#include <string.h>

#define IPFRAG_MAX_PAYLOAD 65535u
#define IPFRAG_GROW 2048u

struct dgram {
	struct dgram *hnext;	   /* hash chain */
	struct dgram *prev, *next; /* creation order */
	uint8_t family, proto;
	uint8_t src[16], dst[16];
	uint32_t id;
	uint64_t first_us;
	uint8_t hdr[60]; /* IPv4: the first fragment's header */
	uint16_t hdr_len;
	bool have_first, have_last;
	uint32_t total;	  /* payload length, once the last fragment is seen */
	uint32_t max_end; /* highest end seen */
	uint8_t *data;	  /* cap bytes */
	uint8_t *map;	  /* one bit per 8-byte block of data */
	uint32_t cap;
};

struct ipfrag {
	struct ipfrag_config cfg;
	struct ipfrag_stats st;
	struct dgram **buckets;
	size_t n_buckets; /* a power of two */
	size_t count;
	struct dgram *oldest, *newest;
	uint8_t *out; /* the last reassembled frame */
	size_t out_cap;
};

void
ipfrag_config_defaults(struct ipfrag_config *c)
{
	c->max_datagrams = 4096;
	c->memcap = 16u << 20;
	c->timeout_us = 30ull * 1000000;
}

struct ipfrag *
ipfrag_new(const struct ipfrag_config *cfg)
{
	struct ipfrag *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->cfg = *cfg;
	if (t->cfg.max_datagrams == 0)
		t->cfg.max_datagrams = 1;
	t->n_buckets = 64;
	while (t->n_buckets < t->cfg.max_datagrams * 2)
		t->n_buckets *= 2;
	t->buckets = calloc(t->n_buckets, sizeof(*t->buckets));
	if (!t->buckets) {
		free(t);
		return NULL;
	}
	return t;
}

static size_t
ipfrag_hash(const struct ipfrag *t, uint8_t family, uint8_t proto, const uint8_t *src,
	    const uint8_t *dst, uint32_t id)
{
	uint32_t h = 2166136261u ^ family ^ ((uint32_t)proto << 8);

	for (int i = 0; i < 16; i++)
		h = (h ^ src[i] ^ ((uint32_t)dst[i] << 8)) * 16777619u;
	h = (h ^ id) * 16777619u;
	return (h ^ (h >> 16)) & (t->n_buckets - 1);
}

/* Unlinks and frees a datagram, releasing its bytes. */
static void
ipfrag_drop(struct ipfrag *t, struct dgram *d)
{
	struct dgram **pp = &t->buckets[ipfrag_hash(t, d->family, d->proto, d->src, d->dst, d->id)];

	while (*pp && *pp != d)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = d->hnext;
	if (d->prev)
		d->prev->next = d->next;
	else
		t->oldest = d->next;
	if (d->next)
		d->next->prev = d->prev;
	else
		t->newest = d->prev;
	t->st.bytes_now -= d->cap;
	t->count--;
	free(d->data);
	free(d->map);
	free(d);
}

static struct dgram *
ipfrag_find(struct ipfrag *t, const struct packet *pk)
{
	size_t b = ipfrag_hash(t, pk->family, pk->frag.proto, pk->src, pk->dst, pk->frag.id);

	for (struct dgram *d = t->buckets[b]; d; d = d->hnext)
		if (d->id == pk->frag.id && d->family == pk->family && d->proto == pk->frag.proto &&
		    memcmp(d->src, pk->src, 16) == 0 && memcmp(d->dst, pk->dst, 16) == 0)
			return d;
	return NULL;
}

static struct dgram *
ipfrag_create(struct ipfrag *t, const struct packet *pk, uint64_t ts_us)
{
	struct dgram *d;
	size_t b;

	if (t->count >= t->cfg.max_datagrams && t->oldest) {
		t->st.evicted++;
		ipfrag_drop(t, t->oldest);
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->family = pk->family;
	d->proto = pk->frag.proto;
	memcpy(d->src, pk->src, 16);
	memcpy(d->dst, pk->dst, 16);
	d->id = pk->frag.id;
	d->first_us = ts_us;
	b = ipfrag_hash(t, d->family, d->proto, d->src, d->dst, d->id);
	d->hnext = t->buckets[b];
	t->buckets[b] = d;
	d->prev = t->newest;
	if (t->newest)
		t->newest->next = d;
	else
		t->oldest = d;
	t->newest = d;
	t->count++;
	return d;
}

/* Makes room for bytes [0, end) of d within the memcap, evicting older
 * datagrams if need be. false: it cannot fit (d is left as it was). */
static bool
ipfrag_reserve(struct ipfrag *t, struct dgram *d, uint32_t end)
{
	uint32_t cap = d->cap;
	uint8_t *data, *map;

	if (end <= d->cap)
		return true;
	while (cap < end)
		cap += IPFRAG_GROW;
	if (cap > IPFRAG_MAX_PAYLOAD + 1)
		cap = IPFRAG_MAX_PAYLOAD + 1;
	while (t->st.bytes_now + (cap - d->cap) > t->cfg.memcap) {
		if (!t->oldest || t->oldest == d)
			return false;
		t->st.evicted++;
		ipfrag_drop(t, t->oldest);
	}
	data = malloc(cap);
	map = calloc((cap / 8 + 7) / 8 + 1, 1);
	if (!data || !map) {
		free(data);
		free(map);
		return false;
	}
	if (d->cap) {
		memcpy(data, d->data, d->cap);
		memcpy(map, d->map, (d->cap / 8 + 7) / 8 + 1);
	}
	free(d->data);
	free(d->map);
	d->data = data;
	d->map = map;
	t->st.bytes_now += cap - d->cap;
	d->cap = cap;
	return true;
}

static bool
ipfrag_block_has(const struct dgram *d, uint32_t b)
{
	return (d->map[b / 8] >> (b % 8)) & 1;
}

/* Copies [off, off + len) into d, or compares it with what is there.
 * false: an overlap with different bytes. */
static bool
ipfrag_merge(struct dgram *d, uint32_t off, const uint8_t *p, uint32_t len)
{
	uint32_t end = off + len;

	for (uint32_t b = off / 8; b * 8 < end; b++) {
		uint32_t s = b * 8 > off ? b * 8 : off;
		uint32_t e = b * 8 + 8 < end ? b * 8 + 8 : end;

		if (ipfrag_block_has(d, b)) {
			if (memcmp(d->data + s, p + (s - off), e - s) != 0)
				return false;
		} else {
			memcpy(d->data + s, p + (s - off), e - s);
			d->map[b / 8] |= (uint8_t)(1u << (b % 8));
		}
	}
	return true;
}

static bool
ipfrag_complete(const struct dgram *d)
{
	if (!d->have_first || !d->have_last)
		return false;
	for (uint32_t b = 0; b * 8 < d->total; b++)
		if (!ipfrag_block_has(d, b))
			return false;
	return true;
}

static uint16_t
ipfrag_ip4_checksum(const uint8_t *h, size_t n)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(h[i] << 8 | h[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Writes link header + rebuilt IP header + payload into t->out. */
static bool
ipfrag_build(struct ipfrag *t, const struct dgram *d, const struct packet *pk, const uint8_t *frame,
	     size_t *out_len)
{
	size_t link = (size_t)(pk->l3 - frame);
	size_t hlen = d->family == 4 ? d->hdr_len : 40;
	size_t n = link + hlen + d->total;
	uint8_t *ip;

	if (hlen + d->total > IPFRAG_MAX_PAYLOAD + (d->family == 6 ? 40u : 0u))
		return false;
	if (n > t->out_cap) {
		uint8_t *o = malloc(n);

		if (!o)
			return false;
		free(t->out);
		t->out = o;
		t->out_cap = n;
	}
	memcpy(t->out, frame, link);
	ip = t->out + link;
	if (d->family == 4) {
		uint16_t total = (uint16_t)(hlen + d->total), sum;

		memcpy(ip, d->hdr, hlen);
		ip[2] = (uint8_t)(total >> 8);
		ip[3] = (uint8_t)total;
		ip[6] = ip[7] = 0;
		ip[10] = ip[11] = 0;
		sum = ipfrag_ip4_checksum(ip, hlen);
		ip[10] = (uint8_t)(sum >> 8);
		ip[11] = (uint8_t)sum;
	} else {
		memcpy(ip, pk->l3, 40);
		ip[4] = (uint8_t)(d->total >> 8);
		ip[5] = (uint8_t)d->total;
		ip[6] = d->proto;
	}
	memcpy(ip + hlen, d->data, d->total);
	*out_len = n;
	return true;
}

bool
ipfrag_add(struct ipfrag *t, const struct packet *pk, const uint8_t *frame, uint64_t ts_us,
	   const uint8_t **out, size_t *out_len)
{
	uint32_t off = pk->frag.offset, len, end;
	struct dgram *d;

	t->st.fragments++;
	if (!pk->frag.data || !pk->l3 || pk->l3 < frame) {
		t->st.uncaptured++;
		return false;
	}
	len = (uint32_t)pk->frag.data_len;
	end = off + len;
	d = ipfrag_find(t, pk);
	if (end > IPFRAG_MAX_PAYLOAD || (pk->frag.more && (len == 0 || len % 8 != 0)) ||
	    (d && d->have_last && (end > d->total || (!pk->frag.more && end != d->total))) ||
	    (d && !pk->frag.more && !d->have_last && d->max_end > end)) {
		t->st.malformed++;
		if (d)
			ipfrag_drop(t, d);
		return false;
	}
	if (!d) {
		d = ipfrag_create(t, pk, ts_us);
		if (!d) {
			t->st.evicted++;
			return false;
		}
	}
	if (!ipfrag_reserve(t, d, end)) {
		t->st.evicted++;
		ipfrag_drop(t, d);
		return false;
	}
	if (!ipfrag_merge(d, off, pk->frag.data, len)) {
		t->st.overlaps++;
		ipfrag_drop(t, d);
		return false;
	}
	if (end > d->max_end)
		d->max_end = end;
	if (!pk->frag.more) {
		d->have_last = true;
		d->total = end;
	}
	if (off == 0 && !d->have_first) {
		d->have_first = true;
		if (d->family == 4) {
			d->hdr_len = pk->frag.hdr_len <= sizeof(d->hdr) ? pk->frag.hdr_len : 0;
			memcpy(d->hdr, pk->l3, d->hdr_len);
		}
	}
	if (!ipfrag_complete(d))
		return false;
	if (!ipfrag_build(t, d, pk, frame, out_len)) {
		t->st.malformed++;
		ipfrag_drop(t, d);
		return false;
	}
	*out = t->out;
	t->st.reassembled++;
	ipfrag_drop(t, d);
	return true;
}

void
ipfrag_expire(struct ipfrag *t, uint64_t now_us)
{
	while (t->oldest && t->oldest->first_us + t->cfg.timeout_us <= now_us) {
		t->st.timeouts++;
		ipfrag_drop(t, t->oldest);
	}
}

const struct ipfrag_stats *
ipfrag_stats(const struct ipfrag *t)
{
	return &t->st;
}

void
ipfrag_free(struct ipfrag *t)
{
	if (!t)
		return;
	while (t->oldest)
		ipfrag_drop(t, t->oldest);
	free(t->buckets);
	free(t->out);
	free(t);
}
