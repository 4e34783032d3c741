/*
 * services.h - what a port is expected to carry.
 *
 * The table of TLS-capable services from DESIGN.md: for each service its
 * cleartext ports (where an upgrade is the norm) and its implicit-TLS ports.
 * Ports are hints, never the truth: content decides what a session is; the
 * port decides only what was expected (and so what a plaintext session on a
 * TLS-only port means).
 */
#ifndef TLSWATCH_SERVICES_H
#define TLSWATCH_SERVICES_H

#include <stdbool.h>
#include <stdint.h>

struct service_ports {
	const char *name;
	uint16_t clear[4]; /* 0-terminated */
	uint16_t tls[4];   /* implicit TLS ports, 0-terminated */
	bool udp_tls;	   /* the TLS port also carries DTLS over UDP */
	bool has_upgrade;  /* the protocol has an in-band upgrade (STARTTLS ...) */
};

/* The service whose cleartext or TLS port this is (tcp when l4 == 6), or NULL.
 * *tls_port tells which of the two lists matched. */
const struct service_ports *services_by_port(uint16_t port, uint8_t l4, bool *tls_port);
/* The table entry of a service name, or NULL. */
const struct service_ports *services_by_name(const char *name);
/* Our service name for an nDPI protocol name ("FTP_CONTROL" -> "ftp",
 * "IMAPS" -> "imap"); NULL when there is no such service in the table. */
const char *services_by_ndpi(const char *ndpi_name);
/* Service name for an ALPN protocol id ("imap", "pop3", "smtp", "h2" -> "http"), or NULL. */
const char *services_by_alpn(const char *alpn);

#endif
