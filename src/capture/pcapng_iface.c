/*
 * pcapng_iface.c - the sections and interfaces of a pcapng file (Section
 * Header Block 4.1, Interface Description Block 4.2 of
 * draft-ietf-opsawg-pcapng; see pcapng.c): each interface's link type, snap
 * length and timestamp units, and the BPF filter compiled once per link type.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcapng_reader.h"

/* The file's LINKTYPE_ as this host's DLT_ (what decode and libpcap use). */
static int
pcapng_dlt(uint16_t linktype)
{
	switch (linktype) {
	case LINKTYPE_RAW:
		return DLT_RAW;
	case LINKTYPE_ATM_RFC1483:
		return DLT_ATM_RFC1483;
	default:
		return linktype;
	}
}

/* Compiles the filter for link type dlt unless it already is; -1 with err
 * naming the link type when it does not compile for it. */
static int
pcapng_compile(struct pcapng *r, int dlt, uint32_t snaplen, size_t *index, char *err, size_t errsz)
{
	struct pcapng_filter *more;
	pcap_t *dead;

	for (size_t i = 0; i < r->n_filters; i++) {
		if (r->filters[i].dlt == dlt) {
			*index = i;
			return 0;
		}
	}
	more = realloc(r->filters, (r->n_filters + 1) * sizeof(*more));
	if (!more) {
		snprintf(err, errsz, "out of memory");
		return -1;
	}
	r->filters = more;
	if (snaplen == 0 || snaplen > PCAPNG_SNAPLEN_DEFAULT)
		snaplen = PCAPNG_SNAPLEN_DEFAULT;
	dead = pcap_open_dead(dlt, (int)snaplen);
	if (!dead) {
		snprintf(err, errsz, "out of memory");
		return -1;
	}
	if (pcap_compile(dead, &r->filters[r->n_filters].prog, r->filter_expr, 1,
			 PCAP_NETMASK_UNKNOWN) < 0) {
		snprintf(err, errsz, "bad filter '%s' for link type %d (%s) in %s: %s",
			 r->filter_expr, dlt, capture_link_name(dlt), r->name, pcap_geterr(dead));
		pcap_close(dead);
		return -1;
	}
	pcap_close(dead);
	r->filters[r->n_filters].dlt = dlt;
	*index = r->n_filters++;
	return 0;
}

int
pcapng_section(struct pcapng *r, struct cursor *body, uint64_t at, char *err, size_t errsz)
{
	uint16_t major, minor;
	char what[96];

	if (!cursor_skip(body, 4) || !pcapng_get_u16(r, body, &major) ||
	    !pcapng_get_u16(r, body, &minor))
		return pcapng_fail(r, at, err, errsz, "short Section Header Block");
	if (major != 1) {
		snprintf(what, sizeof(what), "unsupported pcapng version %u.%u", major, minor);
		return pcapng_fail(r, at, err, errsz, what);
	}
	/* Interface ids are per section. */
	r->n_ifaces = 0;
	return 0;
}

/* The if_tsresol byte: 10^-v seconds, or 2^-(v & 0x7f) with the top bit. */
static bool
pcapng_set_tsresol(struct pcapng_iface *i, uint8_t v)
{
	if (v & 0x80) {
		if ((v & 0x7f) > 63)
			return false;
		i->binary = true;
		i->shift = v & 0x7f;
		i->units = (uint64_t)1 << i->shift;
		return true;
	}
	if (v > 19)
		return false;
	i->binary = false;
	i->units = 1;
	for (unsigned k = 0; k < v; k++)
		i->units *= 10;
	return true;
}

int
pcapng_add_iface(struct pcapng *r, struct cursor *body, uint64_t at, char *err, size_t errsz)
{
	struct pcapng_iface i = {0};
	uint16_t linktype, code, len;
	uint32_t snaplen;
	struct cursor val;

	if (!pcapng_get_u16(r, body, &linktype) || !cursor_skip(body, 2) ||
	    !pcapng_get_u32(r, body, &snaplen))
		return pcapng_fail(r, at, err, errsz, "short Interface Description Block");
	i.dlt = pcapng_dlt(linktype);
	i.snaplen = snaplen;
	pcapng_set_tsresol(&i, 6);
	while (cursor_remaining(body) > 0) {
		if (!pcapng_get_u16(r, body, &code) || !pcapng_get_u16(r, body, &len) ||
		    !cursor_get_bytes(body, &val, len) || !cursor_skip(body, (4 - len % 4) % 4))
			return pcapng_fail(r, at, err, errsz,
					   "an interface option runs past its block");
		if (code == PCAPNG_OPT_END)
			break;
		if (code == PCAPNG_IF_TSRESOL && (len != 1 || !pcapng_set_tsresol(&i, val.p[0])))
			return pcapng_fail(r, at, err, errsz, "bad if_tsresol option");
		if (code == PCAPNG_IF_TSOFFSET &&
		    (len != 8 || !pcapng_get_u64(r, &val, &i.offset_s)))
			return pcapng_fail(r, at, err, errsz, "bad if_tsoffset option");
	}
	if (r->n_ifaces >= PCAPNG_IFACES_MAX)
		return pcapng_fail(r, at, err, errsz, "too many interfaces in one section");
	if (r->n_ifaces == r->ifaces_size) {
		size_t n = r->ifaces_size ? r->ifaces_size * 2 : 4;
		struct pcapng_iface *more = realloc(r->ifaces, n * sizeof(*more));

		if (!more)
			return pcapng_error(r, err, errsz, "%s: out of memory", r->name);
		r->ifaces = more;
		r->ifaces_size = n;
	}
	if (r->filter_expr && pcapng_compile(r, i.dlt, i.snaplen, &i.filter, err, errsz) < 0)
		return pcapng_error(r, err, errsz, "%s", err);
	if (r->first_dlt < 0)
		r->first_dlt = i.dlt;
	r->ifaces[r->n_ifaces++] = i;
	return 0;
}

int
pcapng_datalink(const struct pcapng *r)
{
	return r->first_dlt;
}

int
pcapng_set_filter(struct pcapng *r, const char *expr, char *err, size_t errsz)
{
	/* Compiled for each link type met, the ones known now (the first
	 * interface's at least) at once. */
	for (size_t i = 0; i < r->n_filters; i++)
		pcap_freecode(&r->filters[i].prog);
	r->n_filters = 0;
	free(r->filter_expr);
	r->filter_expr = strdup(expr);
	if (!r->filter_expr) {
		snprintf(err, errsz, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < r->n_ifaces; i++) {
		if (pcapng_compile(r, r->ifaces[i].dlt, r->ifaces[i].snaplen, &r->ifaces[i].filter,
				   err, errsz) < 0) {
			free(r->filter_expr);
			r->filter_expr = NULL;
			return -1;
		}
	}
	return 0;
}
