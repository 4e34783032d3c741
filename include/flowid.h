/*
 * flowid.h - identifiers that let an event be joined with other tools'
 * records of the same connection.
 *
 *  - Community ID v1 (the community-id-spec of Corelight, also computed by
 *    Zeek, Suricata, Wireshark and nDPI): "1:" and the base64 of a SHA-1 over
 *    seed 0, both addresses, the transport and both ports, ordered so that
 *    either direction of a flow gives the same value (SHA-1 from libgcrypt).
 *  - flow_id: tlswatch's own number for one session, a hash of the
 *    transport, client and server address and port and the time of the
 *    session's first packet (microseconds): the same for the same session in
 *    every output, in every run over the same capture, with or without
 *    --threads; kept under 2^53 so that JSON readers that hold numbers as
 *    doubles keep it exact.
 */
#ifndef TLSWATCH_FLOWID_H
#define TLSWATCH_FLOWID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define COMMUNITY_ID_LEN 32 /* "1:" + 28 base64 characters + NUL, rounded up */

/* The Community ID of a TCP (6) or UDP (17) flow between a:ap and b:bp
 * (family 4 or 6; addresses as on the wire) into out; false, with out
 * empty, for another family or transport. Thread-safe. */
bool community_id(char out[COMMUNITY_ID_LEN], uint8_t family, uint8_t l4, const uint8_t *a,
		  uint16_t ap, const uint8_t *b, uint16_t bp);

/* The flow id of the session whose first packet came at ts_first_us. */
uint64_t flow_id(uint8_t family, uint8_t l4, const uint8_t *client_ip, uint16_t client_port,
		 const uint8_t *server_ip, uint16_t server_port, uint64_t ts_first_us);

#endif
