/*
 * names.c - names and classes of TLS protocol numbers (see tls.h): version
 * names, the obsolete versions, cipher suite names and which suites are weak,
 * alert description names. Pure tables; the parsers only ask
 * tls_cipher_is_weak.
 *
 * References: IANA TLS Cipher Suites and TLS Alerts registries, RFC 5246 7.2
 * and RFC 8446 6 (alerts); obsolete versions: RFC 6176 (SSLv2), RFC 7568
 * (SSLv3), RFC 8996 (TLS 1.0, 1.1); RFC 7465 (RC4).
 */
#include "tls.h"

#include <pthread.h>
#include <stdio.h>

const char *
tls_version_name(uint16_t v, char buf[8])
{
	switch (v) {
	case 0x0002:
		return "SSLv2";
	case 0x0300:
		return "SSLv3";
	case 0x0301:
		return "TLSv1.0";
	case 0x0302:
		return "TLSv1.1";
	case 0x0303:
		return "TLSv1.2";
	case 0x0304:
		return "TLSv1.3";
	case 0xfeff:
		return "DTLSv1.0";
	case 0xfefd:
		return "DTLSv1.2";
	case 0xfefc:
		return "DTLSv1.3";
	}
	snprintf(buf, 8, "0x%04x", v);
	return buf;
}

bool
tls_version_is_obsolete(uint16_t v)
{
	/* DTLS 1.0 is TLS 1.1's datagram twin: deprecated with it (RFC 8996). */
	return v == 0x0002 || (v >= 0x0300 && v <= 0x0302) || v == 0xfeff;
}

/* IANA TLS Cipher Suites registry: the suites seen in practice, sorted by
 * code. weak: NULL encryption, EXPORT, RC4, anonymous key exchange, DES, 3DES. */
struct tls_suite {
	uint16_t code;
	bool weak;
	const char *name;
};

static const struct tls_suite tls_suites[] = {
	{0x0000, true, "TLS_NULL_WITH_NULL_NULL"},
	{0x0001, true, "TLS_RSA_WITH_NULL_MD5"},
	{0x0002, true, "TLS_RSA_WITH_NULL_SHA"},
	{0x0003, true, "TLS_RSA_EXPORT_WITH_RC4_40_MD5"},
	{0x0004, true, "TLS_RSA_WITH_RC4_128_MD5"},
	{0x0005, true, "TLS_RSA_WITH_RC4_128_SHA"},
	{0x0006, true, "TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5"},
	{0x0007, false, "TLS_RSA_WITH_IDEA_CBC_SHA"},
	{0x0008, true, "TLS_RSA_EXPORT_WITH_DES40_CBC_SHA"},
	{0x0009, true, "TLS_RSA_WITH_DES_CBC_SHA"},
	{0x000a, true, "TLS_RSA_WITH_3DES_EDE_CBC_SHA"},
	{0x0011, true, "TLS_DHE_DSS_EXPORT_WITH_DES40_CBC_SHA"},
	{0x0012, true, "TLS_DHE_DSS_WITH_DES_CBC_SHA"},
	{0x0013, true, "TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA"},
	{0x0014, true, "TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA"},
	{0x0015, true, "TLS_DHE_RSA_WITH_DES_CBC_SHA"},
	{0x0016, true, "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA"},
	{0x0017, true, "TLS_DH_anon_EXPORT_WITH_RC4_40_MD5"},
	{0x0018, true, "TLS_DH_anon_WITH_RC4_128_MD5"},
	{0x0019, true, "TLS_DH_anon_EXPORT_WITH_DES40_CBC_SHA"},
	{0x001a, true, "TLS_DH_anon_WITH_DES_CBC_SHA"},
	{0x001b, true, "TLS_DH_anon_WITH_3DES_EDE_CBC_SHA"},
	{0x002f, false, "TLS_RSA_WITH_AES_128_CBC_SHA"},
	{0x0032, false, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA"},
	{0x0033, false, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA"},
	{0x0034, true, "TLS_DH_anon_WITH_AES_128_CBC_SHA"},
	{0x0035, false, "TLS_RSA_WITH_AES_256_CBC_SHA"},
	{0x0038, false, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA"},
	{0x0039, false, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA"},
	{0x003a, true, "TLS_DH_anon_WITH_AES_256_CBC_SHA"},
	{0x003b, true, "TLS_RSA_WITH_NULL_SHA256"},
	{0x003c, false, "TLS_RSA_WITH_AES_128_CBC_SHA256"},
	{0x003d, false, "TLS_RSA_WITH_AES_256_CBC_SHA256"},
	{0x0040, false, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA256"},
	{0x0041, false, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA"},
	{0x0045, false, "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA"},
	{0x0067, false, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256"},
	{0x006a, false, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA256"},
	{0x006b, false, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256"},
	{0x006c, true, "TLS_DH_anon_WITH_AES_128_CBC_SHA256"},
	{0x006d, true, "TLS_DH_anon_WITH_AES_256_CBC_SHA256"},
	{0x0084, false, "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA"},
	{0x0088, false, "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA"},
	{0x008a, true, "TLS_PSK_WITH_RC4_128_SHA"},
	{0x008b, true, "TLS_PSK_WITH_3DES_EDE_CBC_SHA"},
	{0x008c, false, "TLS_PSK_WITH_AES_128_CBC_SHA"},
	{0x008d, false, "TLS_PSK_WITH_AES_256_CBC_SHA"},
	{0x0096, false, "TLS_RSA_WITH_SEED_CBC_SHA"},
	{0x009c, false, "TLS_RSA_WITH_AES_128_GCM_SHA256"},
	{0x009d, false, "TLS_RSA_WITH_AES_256_GCM_SHA384"},
	{0x009e, false, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"},
	{0x009f, false, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384"},
	{0x00a2, false, "TLS_DHE_DSS_WITH_AES_128_GCM_SHA256"},
	{0x00a3, false, "TLS_DHE_DSS_WITH_AES_256_GCM_SHA384"},
	{0x00a6, true, "TLS_DH_anon_WITH_AES_128_GCM_SHA256"},
	{0x00a7, true, "TLS_DH_anon_WITH_AES_256_GCM_SHA384"},
	{0x00a8, false, "TLS_PSK_WITH_AES_128_GCM_SHA256"},
	{0x00a9, false, "TLS_PSK_WITH_AES_256_GCM_SHA384"},
	{0x00ff, false, "TLS_EMPTY_RENEGOTIATION_INFO_SCSV"},
	{0x1301, false, "TLS_AES_128_GCM_SHA256"},
	{0x1302, false, "TLS_AES_256_GCM_SHA384"},
	{0x1303, false, "TLS_CHACHA20_POLY1305_SHA256"},
	{0x1304, false, "TLS_AES_128_CCM_SHA256"},
	{0x1305, false, "TLS_AES_128_CCM_8_SHA256"},
	{0x5600, false, "TLS_FALLBACK_SCSV"},
	{0xc002, true, "TLS_ECDH_ECDSA_WITH_RC4_128_SHA"},
	{0xc003, true, "TLS_ECDH_ECDSA_WITH_3DES_EDE_CBC_SHA"},
	{0xc004, false, "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA"},
	{0xc005, false, "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA"},
	{0xc006, true, "TLS_ECDHE_ECDSA_WITH_NULL_SHA"},
	{0xc007, true, "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA"},
	{0xc008, true, "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA"},
	{0xc009, false, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"},
	{0xc00a, false, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA"},
	{0xc00c, true, "TLS_ECDH_RSA_WITH_RC4_128_SHA"},
	{0xc00d, true, "TLS_ECDH_RSA_WITH_3DES_EDE_CBC_SHA"},
	{0xc00e, false, "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA"},
	{0xc00f, false, "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA"},
	{0xc010, true, "TLS_ECDHE_RSA_WITH_NULL_SHA"},
	{0xc011, true, "TLS_ECDHE_RSA_WITH_RC4_128_SHA"},
	{0xc012, true, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA"},
	{0xc013, false, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"},
	{0xc014, false, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"},
	{0xc015, true, "TLS_ECDH_anon_WITH_NULL_SHA"},
	{0xc016, true, "TLS_ECDH_anon_WITH_RC4_128_SHA"},
	{0xc017, true, "TLS_ECDH_anon_WITH_3DES_EDE_CBC_SHA"},
	{0xc018, true, "TLS_ECDH_anon_WITH_AES_128_CBC_SHA"},
	{0xc019, true, "TLS_ECDH_anon_WITH_AES_256_CBC_SHA"},
	{0xc023, false, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256"},
	{0xc024, false, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384"},
	{0xc025, false, "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA256"},
	{0xc026, false, "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA384"},
	{0xc027, false, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256"},
	{0xc028, false, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384"},
	{0xc029, false, "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA256"},
	{0xc02a, false, "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA384"},
	{0xc02b, false, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"},
	{0xc02c, false, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"},
	{0xc02d, false, "TLS_ECDH_ECDSA_WITH_AES_128_GCM_SHA256"},
	{0xc02e, false, "TLS_ECDH_ECDSA_WITH_AES_256_GCM_SHA384"},
	{0xc02f, false, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"},
	{0xc030, false, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"},
	{0xc031, false, "TLS_ECDH_RSA_WITH_AES_128_GCM_SHA256"},
	{0xc032, false, "TLS_ECDH_RSA_WITH_AES_256_GCM_SHA384"},
	{0xc035, false, "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA"},
	{0xc036, false, "TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA"},
	{0xc09c, false, "TLS_RSA_WITH_AES_128_CCM"},
	{0xc09d, false, "TLS_RSA_WITH_AES_256_CCM"},
	{0xc09e, false, "TLS_DHE_RSA_WITH_AES_128_CCM"},
	{0xc09f, false, "TLS_DHE_RSA_WITH_AES_256_CCM"},
	{0xc0ac, false, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM"},
	{0xc0ad, false, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM"},
	{0xc0ae, false, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8"},
	{0xc0af, false, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8"},
	{0xc0b4, true, "TLS_SHA256_SHA256"},
	{0xc0b5, true, "TLS_SHA384_SHA384"},
	{0xcca8, false, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"},
	{0xcca9, false, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"},
	{0xccaa, false, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256"},
	{0xccab, false, "TLS_PSK_WITH_CHACHA20_POLY1305_SHA256"},
	{0xccac, false, "TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256"},
	{0xccad, false, "TLS_DHE_PSK_WITH_CHACHA20_POLY1305_SHA256"},
	{0xd001, false, "TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256"},
};

/*
 * Weak suites without a name in the table above (rarer key exchanges with the
 * same weak ciphers), as inclusive ranges of the IANA registry, sorted.
 */
static const struct {
	uint16_t lo, hi;
} tls_weak_ranges[] = {
	{0x000b, 0x0010}, /* DH_DSS / DH_RSA with EXPORT, DES, 3DES */
	{0x001e, 0x0020}, /* KRB5 DES, 3DES, RC4 */
	{0x0022, 0x0024}, /* KRB5 DES, 3DES, RC4 (MD5) */
	{0x0026, 0x002e}, /* KRB5 EXPORT; PSK, DHE_PSK, RSA_PSK with NULL */
	{0x0046, 0x0046}, /* DH_anon CAMELLIA_128_CBC */
	{0x0060, 0x0066}, /* EXPORT1024 and RC4_56 (never registered, still seen) */
	{0x0089, 0x0089}, /* DH_anon CAMELLIA_256_CBC */
	{0x008e, 0x008f}, /* DHE_PSK RC4, 3DES */
	{0x0092, 0x0093}, /* RSA_PSK RC4, 3DES */
	{0x009b, 0x009b}, /* DH_anon SEED */
	{0x00b0, 0x00b1}, /* PSK NULL */
	{0x00b4, 0x00b5}, /* DHE_PSK NULL */
	{0x00b8, 0x00b9}, /* RSA_PSK NULL */
	{0x00bf, 0x00bf}, /* DH_anon CAMELLIA_128_CBC_SHA256 */
	{0x00c5, 0x00c5}, /* DH_anon CAMELLIA_256_CBC_SHA256 */
	{0xc001, 0xc001}, /* ECDH_ECDSA NULL */
	{0xc00b, 0xc00b}, /* ECDH_RSA NULL */
	{0xc01a, 0xc01c}, /* SRP 3DES */
	{0xc033, 0xc034}, /* ECDHE_PSK RC4, 3DES */
	{0xc039, 0xc03b}, /* ECDHE_PSK NULL */
	{0xc046, 0xc047}, /* DH_anon ARIA CBC */
	{0xc05a, 0xc05b}, /* DH_anon ARIA GCM */
	{0xc084, 0xc085}, /* DH_anon CAMELLIA GCM */
};

static const struct tls_suite *
tls_suite_find(uint16_t code)
{
	size_t lo = 0, hi = sizeof(tls_suites) / sizeof(tls_suites[0]);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (tls_suites[mid].code == code)
			return &tls_suites[mid];
		if (tls_suites[mid].code < code)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const char *
tls_cipher_name(uint16_t c, char buf[8])
{
	const struct tls_suite *s = tls_suite_find(c);

	if (s)
		return s->name;
	snprintf(buf, 8, "0x%04x", c);
	return buf;
}

bool
tls_cipher_is_weak_uncached(uint16_t c)
{
	const struct tls_suite *s = tls_suite_find(c);

	if (s)
		return s->weak;
	for (size_t i = 0; i < sizeof(tls_weak_ranges) / sizeof(tls_weak_ranges[0]); i++)
		if (c >= tls_weak_ranges[i].lo && c <= tls_weak_ranges[i].hi)
			return true;
	return false;
}

/* Every code's answer as one bit (8 KiB), filled once: a ClientHello offers
 * dozens of suites and every one of them was looked up. */
static uint64_t tls_weak_bits[65536 / 64];
static pthread_once_t tls_weak_once = PTHREAD_ONCE_INIT;

static void
tls_weak_set(uint16_t c, bool weak)
{
	uint64_t bit = (uint64_t)1 << (c % 64);

	tls_weak_bits[c / 64] = weak ? tls_weak_bits[c / 64] | bit : tls_weak_bits[c / 64] & ~bit;
}

/* The ranges, then the named suites over them (a name decides). */
static void
tls_weak_fill(void)
{
	for (size_t i = 0; i < sizeof(tls_weak_ranges) / sizeof(tls_weak_ranges[0]); i++)
		for (uint32_t c = tls_weak_ranges[i].lo; c <= tls_weak_ranges[i].hi; c++)
			tls_weak_set((uint16_t)c, true);
	for (size_t i = 0; i < sizeof(tls_suites) / sizeof(tls_suites[0]); i++)
		tls_weak_set(tls_suites[i].code, tls_suites[i].weak);
}

bool
tls_cipher_is_weak(uint16_t c)
{
	pthread_once(&tls_weak_once, tls_weak_fill);
	return (tls_weak_bits[c / 64] >> (c % 64)) & 1;
}

/* RFC 8446 6 and RFC 5246 7.2 (IANA TLS Alerts registry). */
const char *
tls_alert_name(uint8_t desc)
{
	switch (desc) {
	case 0:
		return "close_notify";
	case 10:
		return "unexpected_message";
	case 20:
		return "bad_record_mac";
	case 21:
		return "decryption_failed";
	case 22:
		return "record_overflow";
	case 30:
		return "decompression_failure";
	case 40:
		return "handshake_failure";
	case 41:
		return "no_certificate";
	case 42:
		return "bad_certificate";
	case 43:
		return "unsupported_certificate";
	case 44:
		return "certificate_revoked";
	case 45:
		return "certificate_expired";
	case 46:
		return "certificate_unknown";
	case 47:
		return "illegal_parameter";
	case 48:
		return "unknown_ca";
	case 49:
		return "access_denied";
	case 50:
		return "decode_error";
	case 51:
		return "decrypt_error";
	case 60:
		return "export_restriction";
	case 70:
		return "protocol_version";
	case 71:
		return "insufficient_security";
	case 80:
		return "internal_error";
	case 86:
		return "inappropriate_fallback";
	case 90:
		return "user_canceled";
	case 100:
		return "no_renegotiation";
	case 109:
		return "missing_extension";
	case 110:
		return "unsupported_extension";
	case 111:
		return "certificate_unobtainable";
	case 112:
		return "unrecognized_name";
	case 113:
		return "bad_certificate_status_response";
	case 114:
		return "bad_certificate_hash_value";
	case 115:
		return "unknown_psk_identity";
	case 116:
		return "certificate_required";
	case 120:
		return "no_application_protocol";
	}
	return NULL;
}
