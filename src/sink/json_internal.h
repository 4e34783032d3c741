/*
 * json_internal.h - what the JSON sink's files share (json.c the records of
 * sessions and alerts and the identity every record carries,
 * json_session.c a session's facts, json_summary.c the closing records):
 * the per-sink state, the appenders that write a record into its struct
 * jbuf, and the pieces of a record that more than one of them writes.
 * Only src/sink/json*.c include it.
 */
#ifndef TLSWATCH_SINK_JSON_INTERNAL_H
#define TLSWATCH_SINK_JSON_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "jbuf.h"
#include "sink.h"

/* The per-sink state (k->priv). */
struct json_sink {
	bool close_out;
	uint64_t last_ts_us; /* the latest packet time of a record written */
	struct jbuf rec;     /* the record being built, kept between records */
};

/*
 * A record is built in a struct jbuf and written with one fwrite (jbuf.h):
 * a stdio call per field was a tenth of the run time in a session-dense
 * profile, and printf's format parsing a fifth in the first one.
 */

/* A string whose length is not known when compiling, as it is. */
static inline void
json_raw(struct jbuf *b, const char *s)
{
	jbuf_put(b, s, strlen(s));
}

/* A string, or null when s is NULL or empty. */
static inline void
json_str_or_null(struct jbuf *b, const char *s)
{
	if (s && *s)
		jbuf_put_jstr(b, s);
	else
		JB_LIT(b, "null");
}

static inline void
json_bool(struct jbuf *b, bool v)
{
	if (v)
		JB_LIT(b, "true");
	else
		JB_LIT(b, "false");
}

/* Appends an address as a JSON string ("192.0.2.1", "2001:db8::1"). */
void json_ip(struct jbuf *b, uint8_t family, const uint8_t *ip);

/*
 * A key with its leading comma and colon (",\"packets\":", a string
 * literal, appended with its compile-time length) and its value.
 */
#define json_kv_u64(b, key, v)                                                                     \
	do {                                                                                       \
		JB_LIT(b, key);                                                                    \
		jbuf_put_u64(b, v);                                                                \
	} while (0)
#define json_kv_time(b, key, us)                                                                   \
	do {                                                                                       \
		JB_LIT(b, key);                                                                    \
		json_time(b, us);                                                                  \
	} while (0)
#define json_kv_bool(b, key, v)                                                                    \
	do {                                                                                       \
		JB_LIT(b, key);                                                                    \
		json_bool(b, v);                                                                   \
	} while (0)
#define json_kv_str(b, key, v)                                                                     \
	do {                                                                                       \
		JB_LIT(b, key);                                                                    \
		jbuf_put_jstr(b, v);                                                               \
	} while (0)
#define json_kv_str_or_null(b, key, v)                                                             \
	do {                                                                                       \
		JB_LIT(b, key);                                                                    \
		json_str_or_null(b, v);                                                            \
	} while (0)

/* ,"<side>_ip":"...","<side>_port":N; side is "client" or "server". */
#define json_endpoint(b, side, family, ip, port)                                                   \
	do {                                                                                       \
		JB_LIT(b, ",\"" side "_ip\":");                                                    \
		json_ip(b, family, ip);                                                            \
		json_kv_u64(b, ",\"" side "_port\":", port);                                       \
	} while (0)

/* The EVE record's endpoints: src is the client, dest the server. A record
 * without a connection has no src; a port record has no addresses. */
struct json_eve_tuple {
	uint8_t family; /* 4 or 6; 0: no addresses */
	uint8_t l4;	/* 6 or 17 */
	const uint8_t *src_ip, *dest_ip;
	int src_port, dest_port; /* -1: none */
};

/* True when the records are Suricata's EVE (--json-style eve). */
bool json_style_eve(void);

/* The EVE common section, the object left open (json.c). */
void json_eve_header(struct jbuf *b, uint64_t ts_us, uint64_t flow, const char *event_type,
		     const struct json_eve_tuple *t, const char *service);
/* ,"tlswatch":{"version":.. - tlswatch's own fields follow (json.c). */
void json_eve_own_open(struct jbuf *b);
/* The end of a closing record: ts and the identity, or the EVE object's end
 * (json.c). */
void json_record_close(struct jbuf *b, uint64_t ts);
/* Writes the record built in the sink's buffer with one fwrite (json.c). */
void json_emit(struct sink *k);

/* A session's facts, from ,"service": on, the same in both styles
 * (json_session.c). */
void json_session_facts(struct jbuf *b, const struct sink *k, const struct session *s);

/* The sink's finish: the port, server, client, user and stats records
 * (json_summary.c). */
void json_finish(struct sink *k, struct summary *sum, const struct stats *st);

#endif
