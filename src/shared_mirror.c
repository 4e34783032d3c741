/*
 * shared_mirror.c - the shared state's local mirror: the offers and failed
 * handshakes every sensor announced, and the servers' latest certificates,
 * kept in hash tables under the state's lock so that judging never waits
 * on Redis; the names of servers in the keys and channels; a certificate
 * as one key's value (shared.h, shared_int.h).
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cursor.h"
#include "redisconn.h"
#include "session.h"
#include "shared_int.h"

/* ---- the mirror ------------------------------------------------------------ */

/* "4/192.0.2.10/25/tcp" back into its parts; false when it is not one. */
static bool
shared_server_parse(const char *text, struct shared_arrival *a)
{
	char buf[SHARED_KEY_LEN], addr[INET6_ADDRSTRLEN], l4[5];
	unsigned family, port;
	size_t n = strlen(text);
	int used = 0;

	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, text, n + 1);
	for (char *c = buf; *c; c++)
		if (*c == '/')
			*c = ' ';
	if (sscanf(buf, "%u %45s %u %4s%n", &family, addr, &port, l4, &used) != 4 ||
	    (size_t)used != n || (family != 4 && family != 6) || port == 0 || port > 65535 ||
	    !transport_by_name(l4, strlen(l4)))
		return false;
	memset(a->ip, 0, sizeof(a->ip));
	if (inet_pton(family == 6 ? AF_INET6 : AF_INET, addr, a->ip) != 1)
		return false;
	a->family = (uint8_t)family;
	a->port = (uint16_t)port;
	a->l4 = transport_by_name(l4, strlen(l4));
	return true;
}

/* Notes the offer of a server new to the mirror (lock held). */
void
shared_arrival_note(struct shared *sh, const char *key, const char *sensor)
{
	struct shared_arrival a;

	if (!shared_server_parse(key, &a))
		return;
	snprintf(a.sensor, sizeof(a.sensor), "%s", sensor);
	if (sh->arr_len == SHARED_ARRIVALS) {
		sh->arr_head = (sh->arr_head + 1) % SHARED_ARRIVALS;
		sh->arr_len--;
		sh->st.arrivals_lost++;
	}
	sh->arrivals[(sh->arr_head + sh->arr_len++) % SHARED_ARRIVALS] = a;
}

size_t
shared_arrivals_take(struct shared *sh, struct shared_arrival *out, size_t max)
{
	size_t n = 0;

	if (!sh)
		return 0;
	pthread_mutex_lock(&sh->lock);
	while (n < max && sh->arr_len > 0) {
		out[n++] = sh->arrivals[sh->arr_head];
		sh->arr_head = (sh->arr_head + 1) % SHARED_ARRIVALS;
		sh->arr_len--;
	}
	pthread_mutex_unlock(&sh->lock);
	return n;
}

/* "4/192.0.2.10/25/tcp": the server as the keys and the channel name it. */
bool
shared_server_text(char *out, uint8_t family, const uint8_t *ip, uint16_t port, uint8_t l4)
{
	char addr[INET6_ADDRSTRLEN];

	if ((family != 4 && family != 6) || (l4 != 6 && l4 != 17 && l4 != 132) ||
	    !inet_ntop(family == 6 ? AF_INET6 : AF_INET, ip, addr, sizeof(addr)))
		return false;
	snprintf(out, SHARED_KEY_LEN, "%u/%s/%u/%s", family, addr, port, transport_name(l4));
	return true;
}

/* Whether text[0..n) is a server as shared_server_text writes it. */
bool
shared_server_valid(const char *text, size_t n)
{
	char buf[SHARED_KEY_LEN];
	struct shared_arrival a;

	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, text, n);
	buf[n] = '\0';
	return shared_server_parse(buf, &a);
}

static uint32_t
shared_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h % SHARED_BUCKETS;
}

/* Whether text is "SERVER" or "SERVER>CLIENT" (CLIENT an address of the
 * server's family). */
bool
shared_key_valid(const char *text, size_t n)
{
	const char *gt = memchr(text, '>', n);
	char addr[INET6_ADDRSTRLEN];
	uint8_t ip[16];
	size_t alen;

	if (!gt)
		return shared_server_valid(text, n);
	alen = n - (size_t)(gt - text) - 1;
	if (!shared_server_valid(text, (size_t)(gt - text)) || alen == 0 || alen >= sizeof(addr))
		return false;
	memcpy(addr, gt + 1, alen);
	addr[alen] = '\0';
	return inet_pton(text[0] == '6' ? AF_INET6 : AF_INET, addr, ip) == 1;
}

/* Adds or refreshes one fact (lock held); false when it was new. A failure
 * keeps its latest time. */
bool
shared_mirror_put(struct shared *sh, const char *key, size_t keylen, const char *sensor,
		  size_t sensorlen, uint64_t ts_us, bool broken)
{
	char k[SHARED_KEY_LEN + INET6_ADDRSTRLEN];
	struct mirror_node *m;
	uint32_t h;

	if (keylen >= sizeof(k) || !shared_key_valid(key, keylen))
		return true; /* not ours to keep */
	memcpy(k, key, keylen);
	k[keylen] = '\0';
	h = shared_hash(k);
	for (m = sh->buckets[h]; m; m = m->next)
		if (strcmp(m->key, k) == 0)
			break;
	if (!m) {
		if (sh->n_mirrored >= SHARED_MAX_SERVERS || !(m = calloc(1, sizeof(*m)))) {
			sh->st.forgotten++;
			return false;
		}
		memcpy(m->key, k, keylen + 1);
		m->next = sh->buckets[h];
		sh->buckets[h] = m;
		sh->n_mirrored++;
		redis_url_copy(m->sensor, sizeof(m->sensor), sensor,
			       sensorlen < sizeof(m->sensor) ? sensorlen : sizeof(m->sensor) - 1);
		m->ts_us = ts_us;
		m->broken = broken;
		return false;
	}
	if (ts_us < m->ts_us)
		return true; /* an older failure */
	redis_url_copy(m->sensor, sizeof(m->sensor), sensor,
		       sensorlen < sizeof(m->sensor) ? sensorlen : sizeof(m->sensor) - 1);
	m->ts_us = ts_us;
	m->broken = broken;
	return true;
}

/* The mirrored fact of key (lock held), or NULL. */
struct mirror_node *
shared_mirror_get(struct shared *sh, const char *k)
{
	struct mirror_node *m;

	for (m = sh->buckets[shared_hash(k)]; m; m = m->next)
		if (strcmp(m->key, k) == 0)
			return m;
	return NULL;
}

/* The mirrored certificate of server (lock held), or NULL. */
struct cert_node *
shared_cert_mirror_get(struct shared *sh, const char *server)
{
	struct cert_node *m;

	for (m = sh->cert_buckets[shared_hash(server)]; m; m = m->next)
		if (strcmp(m->key, server) == 0)
			return m;
	return NULL;
}

/* Keeps c as the server's certificate unless the mirror holds one seen as
 * late or later (lock held); whether it was kept. */
bool
shared_cert_mirror_put(struct shared *sh, const char *server, const struct shared_cert *c)
{
	struct cert_node *m = shared_cert_mirror_get(sh, server);
	uint32_t h;

	if (m) {
		if (c->last_us <= m->c.last_us)
			return false;
		m->c = *c;
		return true;
	}
	if (sh->n_certs >= SHARED_MAX_CERTS || !(m = calloc(1, sizeof(*m)))) {
		sh->st.forgotten++;
		return false;
	}
	snprintf(m->key, sizeof(m->key), "%s", server);
	m->c = *c;
	h = shared_hash(server);
	m->next = sh->cert_buckets[h];
	sh->cert_buckets[h] = m;
	sh->n_certs++;
	return true;
}

/* ---- a certificate's value ------------------------------------------------- */

size_t
shared_cert_encode(const struct shared_cert *c, char *out, size_t outsz)
{
	char hex[2 * sizeof(c->sha256) + 1], sensor[sizeof(c->sensor)], issuer[SHARED_CERT_ISSUER];
	size_t i;
	int n;

	hex_encode(c->sha256, sizeof(c->sha256), hex);
	for (i = 0; i < sizeof(sensor) - 1 && c->sensor[i]; i++)
		sensor[i] = c->sensor[i] > ' ' && c->sensor[i] < 0x7f ? c->sensor[i] : '_';
	sensor[i] = '\0';
	if (i == 0)
		snprintf(sensor, sizeof(sensor), "-");
	for (i = 0; i < sizeof(issuer) - 1 && c->issuer[i]; i++)
		issuer[i] = c->issuer[i] >= ' ' && c->issuer[i] < 0x7f ? c->issuer[i] : '?';
	issuer[i] = '\0';
	n = snprintf(out, outsz, "%s %s %" PRIu64 " %s%s%s", hex, c->self_signed ? "self" : "other",
		     c->last_us, sensor, issuer[0] ? " " : "", issuer);
	if (n < 0 || (size_t)n >= outsz) {
		if (outsz)
			out[0] = '\0';
		return 0;
	}
	return (size_t)n;
}

bool
shared_cert_decode(const char *text, size_t n, struct shared_cert *c)
{
	const char *p = text, *end = text + n, *w[4] = {0}, *issuer = end;
	size_t wl[4] = {0}, il = 0;
	char hex[2 * sizeof(c->sha256) + 1];

	memset(c, 0, sizeof(*c));
	if (!text || memchr(text, '\0', n))
		return false;
	/* Four words, one space apart, then the issuer (the rest). */
	for (int i = 0; i < 4; i++) {
		const char *sp = memchr(p, ' ', (size_t)(end - p)), *e = sp ? sp : end;

		if (e == p)
			return false; /* a word missing, or two spaces */
		w[i] = p;
		wl[i] = (size_t)(e - p);
		if (!sp && i < 3)
			return false;
		p = sp ? sp + 1 : end;
		if (sp && i == 3) {
			issuer = p;
			il = (size_t)(end - p);
		}
	}
	if (wl[0] != sizeof(hex) - 1)
		return false;
	memcpy(hex, w[0], wl[0]);
	hex[wl[0]] = '\0';
	if (!hex_decode(hex, c->sha256, sizeof(c->sha256)))
		return false;
	if (wl[1] == 4 && memcmp(w[1], "self", 4) == 0)
		c->self_signed = true;
	else if (!(wl[1] == 5 && memcmp(w[1], "other", 5) == 0))
		return false;
	for (size_t i = 0; i < wl[2]; i++) {
		if (w[2][i] < '0' || w[2][i] > '9' || c->last_us > (UINT64_MAX - 9) / 10)
			return false;
		c->last_us = c->last_us * 10 + (uint64_t)(w[2][i] - '0');
	}
	if (wl[3] >= sizeof(c->sensor))
		return false;
	for (size_t i = 0; i < wl[3]; i++)
		if (w[3][i] <= ' ' || w[3][i] >= 0x7f)
			return false;
	memcpy(c->sensor, w[3], wl[3]);
	for (size_t i = 0; i < il; i++)
		if (issuer[i] < ' ' || issuer[i] >= 0x7f)
			return false;
	if (il >= sizeof(c->issuer))
		il = sizeof(c->issuer) - 1; /* cut, as a state file's is */
	memcpy(c->issuer, issuer, il);
	c->issuer[il] = '\0';
	return true;
}
