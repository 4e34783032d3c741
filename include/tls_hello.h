/*
 * tls_hello.h - the TLS hello messages, read whatever carries them.
 *
 * Parses ONE complete handshake message body (the bytes after the handshake
 * header: msg_type and length are the caller's) into struct tls_facts, and
 * returns what the message means for the conversation. It holds no state and
 * knows nothing of records: TLS records (src/tls/record.c), DTLS records
 * (whose handshake header adds message_seq and fragment fields, RFC 6347
 * 4.2.2) and QUIC CRYPTO frames (RFC 9001 4) all carry the same messages, so
 * each of their framings reassembles a message and hands its body here.
 *
 * References: RFC 5246 7.4.1 and RFC 8446 4.1 (ClientHello, ServerHello,
 * HelloRetryRequest), RFC 6347 4.2.1 and RFC 9147 5.3 (the DTLS cookie),
 * RFC 5246 appendix E.2 (SSLv2-compatible ClientHello), RFC 6066 (SNI),
 * RFC 7301 (ALPN), RFC 8701 (GREASE).
 *
 * The caller owns the body; nothing is kept or freed. Every parser reads
 * through bounds-checked cursors and is safe on any bytes: a fault sets
 * TLS_ANOM_BAD_HANDSHAKE in f->anomalies and never reads outside the body.
 */
#ifndef TLSWATCH_TLS_HELLO_H
#define TLSWATCH_TLS_HELLO_H

#include <stddef.h>
#include <stdint.h>

#include "tls.h"

/* Handshake message types a framing looks for (RFC 8446 4). */
enum {
	TLS_HS_CLIENT_HELLO = 1,
	TLS_HS_SERVER_HELLO = 2,
	TLS_HS_CERTIFICATE = 11,
};

/* What a hello means for the caller; the facts are already in struct tls_facts. */
enum tls_hello_result {
	/* Recorded; the handshake goes on in the clear. A caller that has seen
	 * a HelloRetryRequest knows the session is TLS 1.3 (RFC 8446 4.1.4)
	 * and treats the ServerHello that follows as TLS_HELLO_ENCRYPTED even
	 * when it does not say so; tls_feed does. */
	TLS_HELLO_OK,
	/* A HelloRetryRequest: TLS 1.3, not the final ServerHello. A second
	 * ClientHello and the real ServerHello follow in the clear. f->version
	 * and f->cipher hold what it asked for; f->server_hello stays false. */
	TLS_HELLO_RETRY,
	/* A TLS 1.3 (or DTLS 1.3) ServerHello: both directions are encrypted
	 * from the next record on (RFC 8446 2). */
	TLS_HELLO_ENCRYPTED,
	/* The body ends before the fixed fields do (or does not hold a hello
	 * at all). TLS_ANOM_BAD_HANDSHAKE is set; a ServerHello records
	 * nothing, a ClientHello keeps what was read before the fault. */
	TLS_HELLO_MALFORMED,
};

/* The wire format a hello body comes in. */
enum tls_hello_variant {
	/* TLS (RFC 5246, RFC 8446), also the messages of QUIC CRYPTO frames. */
	TLS_HELLO_TLS,
	/* DTLS 1.0-1.3: the ClientHello has cookie<0..2^8-1> after the
	 * session id (RFC 6347 4.2.1, RFC 9147 5.3); versions count down
	 * (0xfeff 1.0, 0xfefd 1.2, 0xfefc 1.3), so the "highest" offered one
	 * is the lowest number and DTLS 1.3 is 0xfefc. */
	TLS_HELLO_DTLS,
};

/*
 * A ClientHello body (RFC 8446 4.1.2): sets client_hello, client_version,
 * client_max_version (supported_versions), n_ciphers_offered,
 * weak_cipher_offered, sni and alpn. Returns TLS_HELLO_OK or
 * TLS_HELLO_MALFORMED.
 */
enum tls_hello_result tls_hello_parse_client(struct tls_facts *f, const uint8_t *body, size_t len,
					     enum tls_hello_variant variant);

/*
 * A ServerHello body (RFC 8446 4.1.3), HelloRetryRequest included (told by
 * its random). Sets version (supported_versions wins over legacy_version)
 * and cipher; for a real ServerHello also server_hello and alpn_selected.
 * Returns TLS_HELLO_OK (TLS <= 1.2), TLS_HELLO_RETRY, TLS_HELLO_ENCRYPTED
 * (TLS 1.3) or TLS_HELLO_MALFORMED.
 */
enum tls_hello_result tls_hello_parse_server(struct tls_facts *f, const uint8_t *body, size_t len,
					     enum tls_hello_variant variant);

/*
 * An SSLv2-format CLIENT-HELLO (RFC 5246 E.2): rec is the record body from
 * msg_type on (type, version, the three lengths, cipher specs, session id,
 * challenge). Sets the ClientHello facts and sslv2_hello. Returns
 * TLS_HELLO_OK or TLS_HELLO_MALFORMED.
 */
enum tls_hello_result tls_hello_parse_sslv2(struct tls_facts *f, const uint8_t *rec, size_t len);

#endif
