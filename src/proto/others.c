/*
 * others.c - the TLS-capable services tlswatch knows by name, port, nDPI
 * name and ALPN id only (DESIGN.md's table; IANA service names and port
 * assignments, RFC 8314 for mail, RFC 6614 for
 * RADIUS over TLS, RFC 6083/6733 for Diameter, RFC 6353 for SNMP, RFC 5425
 * for syslog, RFC 7350 for STUN/TURN, RFC 3261 for SIP). A session of one of
 * them is named by its port or by nDPI and judged without a parser. When a
 * service gets its parser, its descriptor moves to its own file.
 */
#include "proto.h"

#define TCP PROTO_TCP
#define BOTH (PROTO_TCP | PROTO_UDP)

const struct proto_desc proto_radius = {
	.name = "radius",
	.transports = BOTH,
	.clear_ports = {1812, 1813, 3799},
	.tls_ports = {2083},
	.tls_transports = BOTH,
	.ndpi = {"RADIUS"},
	.alpn = {"radius/1.0"},
};

const struct proto_desc proto_diameter = {
	.name = "diameter",
	.transports = TCP,
	.clear_ports = {3868},
	.tls_ports = {5868},
	.tls_transports = TCP,
	.ndpi = {"Diameter"},
};

const struct proto_desc proto_snmp = {
	.name = "snmp",
	.transports = BOTH,
	.clear_ports = {161, 162},
	.tls_ports = {10161, 10162},
	.tls_transports = BOTH,
	.ndpi = {"SNMP"},
};

const struct proto_desc proto_syslog = {
	.name = "syslog",
	.transports = BOTH,
	.clear_ports = {514, 601},
	.tls_ports = {6514},
	.tls_transports = BOTH,
	.ndpi = {"Syslog"},
};

const struct proto_desc proto_stun = {
	.name = "stun",
	.transports = BOTH,
	.clear_ports = {3478},
	.tls_ports = {5349},
	.tls_transports = BOTH,
	.ndpi = {"STUN"},
};

const struct proto_desc proto_sip = {
	.name = "sip",
	.transports = BOTH,
	.clear_ports = {5060},
	.tls_ports = {5061},
	.tls_transports = TCP,
	.ndpi = {"SIP"},
	.alpn = {"sip/2"},
};

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
