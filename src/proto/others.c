/*
 * others.c - the TLS-capable services tlswatch knows by name, port, nDPI
 * name and ALPN id only (DESIGN.md's table; IANA service names and port
 * assignments, RFC 8314 for mail). A session of one of
 * them is named by its port or by nDPI and judged without a parser. When a
 * service gets its parser, its descriptor moves to its own file.
 */
#include "proto.h"

#define TCP PROTO_TCP

/* Datagrams to 6635 and 4754 are tunnels the decoder opens (decode.h): the
 * inner traffic is what becomes sessions. These two name the DTLS variants
 * (6636, 4755), which cannot be opened, and judge them as DTLS. */
const struct proto_desc proto_mpls_in_udp = {
	.name = "mpls-in-udp",
	.transports = PROTO_UDP,
	.clear_ports = {6635},
	.tls_ports = {6636},
	.tls_transports = PROTO_UDP,
};

const struct proto_desc proto_gre_in_udp = {
	.name = "gre-in-udp",
	.transports = PROTO_UDP,
	.clear_ports = {4754},
	.tls_ports = {4755},
	.tls_transports = PROTO_UDP,
};
