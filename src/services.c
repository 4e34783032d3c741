/*
 * services.c - the port table of TLS-capable services (IANA service names and
 * port assignments; RFC 8314 for mail, RFC 7858 for DNS over TLS, RFC 6614
 * for RADIUS over TLS, RFC 6083/6733 for Diameter, RFC 6353 for SNMP,
 * RFC 5425 for syslog, RFC 7350 for STUN/TURN, RFC 3261 for SIP).
 */
#include "services.h"

#include <string.h>

static const struct service_ports services_table[] = {
	{"smtp", {25, 587, 24, 0}, {465, 0}, false, true},
	{"pop3", {110, 0}, {995, 0}, false, true},
	{"imap", {143, 0}, {993, 0}, false, true},
	{"ftp", {21, 20, 0}, {990, 989, 0}, false, true},
	{"ldap", {389, 0}, {636, 0}, false, true},
	{"nntp", {119, 0}, {563, 0}, false, true},
	{"xmpp", {5222, 5269, 0}, {5223, 0}, false, true},
	{"sieve", {4190, 0}, {0}, false, true},
	{"irc", {6667, 0}, {6697, 0}, false, true},
	{"postgres", {5432, 0}, {0}, false, true},
	{"mysql", {3306, 0}, {0}, false, true},
	{"http", {80, 8080, 0}, {443, 8443, 0}, true, false},
	{"telnet", {23, 0}, {992, 0}, false, true},
	{"dns", {53, 0}, {853, 0}, true, false},
	{"radius", {1812, 1813, 3799, 0}, {2083, 0}, true, false},
	{"diameter", {3868, 0}, {5868, 0}, false, false},
	{"snmp", {161, 162, 0}, {10161, 10162, 0}, true, false},
	{"syslog", {514, 601, 0}, {6514, 0}, true, false},
	{"stun", {3478, 0}, {5349, 0}, true, false},
	{"sip", {5060, 0}, {5061, 0}, false, false},
	{"mpls-in-udp", {6635, 0}, {6636, 0}, true, false},
	{"gre-in-udp", {4754, 0}, {4755, 0}, true, false},
};

static bool
services_port_in(const uint16_t *list, uint16_t port)
{
	for (int i = 0; i < 4 && list[i]; i++)
		if (list[i] == port)
			return true;
	return false;
}

const struct service_ports *
services_by_port(uint16_t port, uint8_t l4, bool *tls_port)
{
	for (size_t i = 0; i < sizeof(services_table) / sizeof(services_table[0]); i++) {
		const struct service_ports *s = &services_table[i];

		if (port == 0)
			break;
		if (services_port_in(s->tls, port) && (l4 == 6 || s->udp_tls)) {
			*tls_port = true;
			return s;
		}
		if (services_port_in(s->clear, port)) {
			*tls_port = false;
			return s;
		}
	}
	*tls_port = false;
	return NULL;
}

const struct service_ports *
services_by_name(const char *name)
{
	for (size_t i = 0; i < sizeof(services_table) / sizeof(services_table[0]); i++)
		if (strcmp(services_table[i].name, name) == 0)
			return &services_table[i];
	return NULL;
}

const char *
services_by_ndpi(const char *ndpi_name)
{
	static const struct {
		const char *ndpi, *service;
	} map[] = {
		{"SMTP", "smtp"},	{"SMTPS", "smtp"},
		{"POP3", "pop3"},	{"POPS", "pop3"},
		{"IMAP", "imap"},	{"IMAPS", "imap"},
		{"FTP_CONTROL", "ftp"}, {"FTPS", "ftp"},
		{"FTP_DATA", "ftp"},	{"LDAP", "ldap"},
		{"Usenet", "nntp"},	{"Jabber", "xmpp"},
		{"IRC", "irc"},		{"PostgreSQL", "postgres"},
		{"MySQL", "mysql"},	{"HTTP", "http"},
		{"Telnet", "telnet"},	{"DNS", "dns"},
		{"RADIUS", "radius"},	{"Diameter", "diameter"},
		{"SNMP", "snmp"},	{"Syslog", "syslog"},
		{"STUN", "stun"},	{"SIP", "sip"},
		{"TLS", "tls"},		{"DoH_DoT", "dns"},
	};
	size_t n = strcspn(ndpi_name, ".");

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strlen(map[i].ndpi) == n && strncmp(ndpi_name, map[i].ndpi, n) == 0)
			return map[i].service;
	return NULL;
}

const char *
services_by_alpn(const char *alpn)
{
	static const struct {
		const char *id, *service;
	} map[] = {
		{"imap", "imap"},	 {"pop3", "pop3"},	     {"smtp", "smtp"},
		{"ftp", "ftp"},		 {"ldap", "ldap"},	     {"nntp", "nntp"},
		{"xmpp-client", "xmpp"}, {"xmpp-server", "xmpp"},    {"managesieve", "sieve"},
		{"irc", "irc"},		 {"postgresql", "postgres"}, {"dot", "dns"},
		{"http/1.1", "http"},	 {"http/1.0", "http"},	     {"h2", "http"},
		{"h3", "http"},		 {"radius/1.0", "radius"},   {"sip/2", "sip"},
	};
	size_t n = strcspn(alpn, ",");

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strlen(map[i].id) == n && strncmp(alpn, map[i].id, n) == 0)
			return map[i].service;
	return NULL;
}
