/*
 * flowid.c - Community ID v1 (SHA-1 from libgcrypt) and tlswatch's flow id;
 * see flowid.h.
 */
#include "flowid.h"

#include <pthread.h>
#include <string.h>

#include <gcrypt.h>

/* Once per process: libgcrypt wants its version checked before first use;
 * hashing needs no secure memory. */
static void
gcrypt_init(void)
{
	gcry_check_version(NULL);
	if (!gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P)) {
		gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
		gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	}
}

/* RFC 4648 base64 of n bytes into out (4 * ceil(n / 3) + 1 bytes). */
static void
base64(char *out, const uint8_t *p, size_t n)
{
	static const char abc[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;

		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		*out++ = abc[v >> 18 & 63];
		*out++ = abc[v >> 12 & 63];
		*out++ = i + 1 < n ? abc[v >> 6 & 63] : '=';
		*out++ = i + 2 < n ? abc[v & 63] : '=';
	}
	*out = '\0';
}

/* Is endpoint a:ap before b:bp (addresses as bytes, then ports)? */
static bool
endpoint_before(const uint8_t *a, uint16_t ap, const uint8_t *b, uint16_t bp, size_t alen)
{
	int c = memcmp(a, b, alen);

	return c < 0 || (c == 0 && ap < bp);
}

/*
 * The hashed bytes (network order, 32-bit aligned): seed (2), the first
 * endpoint's address, the second's, the transport (1), a zero pad (1), the
 * first endpoint's port (2), the second's (2). nDPI 4.2 has the same
 * function but orders two equal addresses wrongly (every loopback capture),
 * so this one is computed here.
 */
bool
community_id(char out[COMMUNITY_ID_LEN], uint8_t family, uint8_t l4, const uint8_t *a, uint16_t ap,
	     const uint8_t *b, uint16_t bp)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	size_t alen = family == 4 ? 4 : 16, n = 0;
	uint8_t buf[2 + 16 + 16 + 2 + 4], digest[20];

	out[0] = '\0';
	if ((family != 4 && family != 6) || (l4 != 6 && l4 != 17 && l4 != 132))
		return false;
	if (!endpoint_before(a, ap, b, bp, alen)) {
		const uint8_t *t = a;
		uint16_t tp = ap;

		a = b;
		ap = bp;
		b = t;
		bp = tp;
	}
	buf[n++] = 0; /* seed 0 */
	buf[n++] = 0;
	memcpy(buf + n, a, alen);
	n += alen;
	memcpy(buf + n, b, alen);
	n += alen;
	buf[n++] = l4;
	buf[n++] = 0;
	buf[n++] = (uint8_t)(ap >> 8);
	buf[n++] = (uint8_t)ap;
	buf[n++] = (uint8_t)(bp >> 8);
	buf[n++] = (uint8_t)bp;
	pthread_once(&once, gcrypt_init);
	gcry_md_hash_buffer(GCRY_MD_SHA1, digest, buf, n);
	memcpy(out, "1:", 2);
	base64(out + 2, digest, sizeof(digest));
	return true;
}

/* FNV-1a, 64 bits, over one field. */
static uint64_t
fnv1a(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

uint64_t
flow_id(uint8_t family, uint8_t l4, const uint8_t *client_ip, uint16_t client_port,
	const uint8_t *server_ip, uint16_t server_port, uint64_t ts_first_us)
{
	size_t alen = family == 6 ? 16 : 4;
	uint8_t ports[4] = {(uint8_t)(client_port >> 8), (uint8_t)client_port,
			    (uint8_t)(server_port >> 8), (uint8_t)server_port};
	uint8_t ts[8];
	uint64_t h = 0xcbf29ce484222325ull;

	for (int i = 0; i < 8; i++)
		ts[i] = (uint8_t)(ts_first_us >> (56 - 8 * i));
	h = fnv1a(h, &family, 1);
	h = fnv1a(h, &l4, 1);
	h = fnv1a(h, client_ip, alen);
	h = fnv1a(h, server_ip, alen);
	h = fnv1a(h, ports, sizeof(ports));
	h = fnv1a(h, ts, sizeof(ts));
	/* Fold the high bits in, keep 53 bits, never 0. */
	h = (h ^ (h >> 53)) & ((1ull << 53) - 1);
	return h ? h : 1;
}
