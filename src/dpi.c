/*
 * dpi.c - nDPI 4.2 glue (see dpi.h). The only file that includes nDPI.
 */
#include "dpi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ndpi/ndpi_api.h>

struct dpi {
	struct ndpi_detection_module_struct *mod;
};

struct dpi_flow {
	struct ndpi_flow_struct flow;
};

struct dpi *
dpi_new(char *err, size_t errsz)
{
	struct dpi *d = calloc(1, sizeof(*d));
	NDPI_PROTOCOL_BITMASK all;

	if (!d) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	d->mod = ndpi_init_detection_module(ndpi_no_prefs);
	if (!d->mod) {
		snprintf(err, errsz, "nDPI initialisation failed");
		free(d);
		return NULL;
	}
	NDPI_BITMASK_SET_ALL(all);
	ndpi_set_protocol_detection_bitmask2(d->mod, &all);
	ndpi_finalize_initialization(d->mod);
	return d;
}

void
dpi_free(struct dpi *d)
{
	if (!d)
		return;
	ndpi_exit_detection_module(d->mod);
	free(d);
}

void
dpi_flow_free(struct dpi_flow **fp)
{
	if (*fp) {
		ndpi_free_flow_data(&(*fp)->flow);
		free(*fp);
		*fp = NULL;
	}
}

static void
dpi_describe(struct dpi *d, ndpi_protocol proto, char *name, size_t namesz, bool *cleartext)
{
	name[0] = '\0';
	*cleartext = false;
	if (proto.app_protocol == NDPI_PROTOCOL_UNKNOWN &&
	    proto.master_protocol == NDPI_PROTOCOL_UNKNOWN)
		return;
	ndpi_protocol2name(d->mod, proto, name, (u_int)namesz);
	*cleartext = !ndpi_is_encrypted_proto(d->mod, proto);
}

size_t
dpi_flow_size(void)
{
	return sizeof(struct dpi_flow);
}

bool
dpi_process(struct dpi *d, struct dpi_flow **fp, const uint8_t *l3, size_t l3_len, uint64_t ts_us,
	    uint32_t *packets, char *name, size_t namesz, bool *cleartext)
{
	ndpi_protocol proto;

	if (!*fp) {
		*fp = calloc(1, sizeof(**fp));
		if (!*fp) {
			name[0] = '\0';
			*cleartext = false;
			return true;
		}
	}
	if (l3_len > 0xffff)
		l3_len = 0xffff;
	proto = ndpi_detection_process_packet(d->mod, &(*fp)->flow, l3, (unsigned short)l3_len,
					      ts_us / 1000);
	(*packets)++;
	if (proto.app_protocol != NDPI_PROTOCOL_UNKNOWN ||
	    proto.master_protocol != NDPI_PROTOCOL_UNKNOWN) {
		dpi_describe(d, proto, name, namesz, cleartext);
		dpi_flow_free(fp);
		return true;
	}
	if (*packets >= DPI_MAX_PACKETS) {
		dpi_giveup(d, fp, name, namesz, cleartext);
		return true;
	}
	return false;
}

void
dpi_giveup(struct dpi *d, struct dpi_flow **fp, char *name, size_t namesz, bool *cleartext)
{
	ndpi_protocol proto;
	u_int8_t guessed = 0;

	name[0] = '\0';
	*cleartext = false;
	if (!*fp)
		return;
	proto = ndpi_detection_giveup(d->mod, &(*fp)->flow, 1, &guessed);
	/* A guess from the port alone is no identification. */
	if (!guessed)
		dpi_describe(d, proto, name, namesz, cleartext);
	dpi_flow_free(fp);
}
