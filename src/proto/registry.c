/*
 * registry.c - the protocol registry: the list of descriptors
 * (proto_list.h) and every lookup by name, port, nDPI name, ALPN id and
 * upgrade word derived from it.
 */
#include "proto.h"

#include <string.h>

#define PROTO(name) extern const struct proto_desc proto_##name;
#include "proto_list.h"
#undef PROTO

const struct proto_desc *const proto_all[] = {
#define PROTO(name) &proto_##name,
#include "proto_list.h"
#undef PROTO
	NULL,
};

const struct proto_desc *
proto_by_name(const char *name)
{
	for (size_t i = 0; proto_all[i]; i++)
		if (strcmp(proto_all[i]->name, name) == 0)
			return proto_all[i];
	return NULL;
}

static bool
port_in(const uint16_t *list, uint16_t port)
{
	for (size_t i = 0; i < PROTO_PORTS_MAX && list[i]; i++)
		if (list[i] == port)
			return true;
	return false;
}

bool
proto_has_port(const struct proto_desc *d, uint16_t port)
{
	return port != 0 && port_in(d->clear_ports, port);
}

static uint8_t
transport_bit(uint8_t l4)
{
	return l4 == 17 ? PROTO_UDP : l4 == 6 ? PROTO_TCP : l4 == 132 ? PROTO_SCTP : 0;
}

const struct proto_desc *
proto_by_port(uint16_t port, uint8_t l4, bool *tls_port)
{
	uint8_t t = transport_bit(l4);

	*tls_port = false;
	if (port == 0)
		return NULL;
	for (size_t i = 0; proto_all[i]; i++) {
		const struct proto_desc *d = proto_all[i];

		if ((d->tls_transports & t) && port_in(d->tls_ports, port)) {
			*tls_port = true;
			return d;
		}
		if ((d->transports & t) && port_in(d->clear_ports, port))
			return d;
	}
	return NULL;
}

/* Does name, cut at the first `stop` byte, equal one of the NULL-ended list? */
static bool
name_in(const char *const *list, const char *name, char stop)
{
	size_t n = strcspn(name, (char[]){stop, '\0'});

	for (size_t i = 0; i < PROTO_NAMES_MAX && list[i]; i++)
		if (strlen(list[i]) == n && strncmp(name, list[i], n) == 0)
			return true;
	return false;
}

const char *
proto_name_by_ndpi(const char *ndpi_name)
{
	/* nDPI names TLS itself, with the application after a dot
	 * ("TLS.Google"): that is no service of ours but still TLS. */
	if (strcspn(ndpi_name, ".") == 3 && strncmp(ndpi_name, "TLS", 3) == 0)
		return "tls";
	for (size_t i = 0; proto_all[i]; i++)
		if (name_in(proto_all[i]->ndpi, ndpi_name, '.'))
			return proto_all[i]->name;
	return NULL;
}

const char *
proto_name_by_alpn(const char *alpn)
{
	for (size_t i = 0; proto_all[i]; i++)
		if (name_in(proto_all[i]->alpn, alpn, ','))
			return proto_all[i]->name;
	return NULL;
}

const char *
proto_offer_word(const char *service)
{
	const struct proto_desc *d = proto_by_name(service);

	return d && d->upgrade.offer ? d->upgrade.offer : "STARTTLS";
}
