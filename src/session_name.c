/*
 * session_name.c - the service a finished session is named after when no
 * parser named it by content: the ALPN it selected or offered, nDPI's name,
 * the server's port, or plain "tls".
 */
#include "session.h"

#include <string.h>

/* Does the offered ALPN list (comma-separated) name service anywhere in
 * it? */
static bool
session_alpn_offers(const char *list, const char *service)
{
	for (const char *p = list; p; p = strchr(p, ',')) {
		const char *name;

		if (*p == ',')
			p++;
		name = proto_name_by_alpn(p);
		if (name && strcmp(name, service) == 0)
			return true;
	}
	return false;
}

void
session_name_service(struct session *s)
{
	const struct proto_desc *sp;
	const char *by_alpn = NULL;
	bool tls_port;

	if (s->proto)
		return; /* named by content */
	sp = proto_by_port(s->server_port, s->l4, &tls_port);
	if (s->tf.alpn_selected[0])
		by_alpn = proto_name_by_alpn(s->tf.alpn_selected);
	else if (s->tf.alpn[0] && sp && session_alpn_offers(s->tf.alpn, sp->name))
		by_alpn = sp->name; /* offered among others: coturn's client
				     * offers "http/1.1,stun.turn" to 5349 */
	else if (s->tf.alpn[0])
		by_alpn = proto_name_by_alpn(s->tf.alpn);
	if (by_alpn)
		s->service = by_alpn;
	else if (s->ndpi[0] && proto_name_by_ndpi(s->ndpi))
		s->service = proto_name_by_ndpi(s->ndpi);
	else if (sp)
		s->service = sp->name;
	else if (s->tf.client_hello || s->tf.server_hello)
		s->service = "tls";
}
