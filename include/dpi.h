/*
 * dpi.h - nDPI as a second opinion.
 *
 * nDPI (Debian's libndpi 4.2) is consulted only for sessions the own sniffers
 * do not recognise, and only until it identifies the protocol or gives up:
 * its per-flow state is allocated on the first such packet and freed at once
 * when it is done, so it costs nothing on recognised or bypassed sessions.
 */
#ifndef TLSWATCH_DPI_H
#define TLSWATCH_DPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DPI_MAX_PACKETS 24 /* packets given to nDPI before it must decide */

struct dpi;
struct dpi_flow;

/* NULL (with a message in err) when nDPI cannot be initialised. */
struct dpi *dpi_new(char *err, size_t errsz);
void dpi_free(struct dpi *d);

/*
 * Gives one IP packet (l3 points at the IP header) of a flow to nDPI.
 * *fp is the flow's nDPI state (NULL at first; allocated here). Returns true
 * when nDPI is done with this flow: name (size namesz) then holds its
 * protocol name ("" when it did not identify anything), *cleartext tells
 * whether nDPI knows that protocol as unencrypted, and *fp is freed.
 */
bool dpi_process(struct dpi *d, struct dpi_flow **fp, const uint8_t *l3, size_t l3_len,
		 uint64_t ts_us, uint32_t *packets, char *name, size_t namesz, bool *cleartext);
/* Forces a decision (end of flow): same outputs as a finishing dpi_process. */
void dpi_giveup(struct dpi *d, struct dpi_flow **fp, char *name, size_t namesz, bool *cleartext);
/* Frees a flow's state without a decision. */
void dpi_flow_free(struct dpi_flow **fp);
/* Bytes one flow's state takes (the engine's memcap counts them). */
size_t dpi_flow_size(void);

#endif
