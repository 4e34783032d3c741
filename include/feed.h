/*
 * feed.h - the cluster feed: one line per judged session or alert, which a
 * sensor with `--state redis://` appends to the Redis streams
 * PREFIX:sessions and PREFIX:alerts (shared.h) and `tlswatch --cluster`
 * reads back into the dashboard (src/cli/cluster_tui.c).
 *
 * A record is one line of words separated by single spaces: its type
 * (`session` or `alert`), then KEY=VALUE pairs. Values are escaped: every
 * byte outside 0x21..0x7e and the bytes `%`, `=` and `,` are written %XX
 * (upper-case hex), so a value never holds a space, an `=`, a comma or a
 * control byte, whatever the traffic put in it. A few values are lists of
 * escaped parts joined by commas (a login, the policy, a TLS alert):
 *
 *   session sensor=tap-a id=5 first=1764657000000000 last=... family=4
 *     client=192.0.2.7 cport=40000 server=192.0.2.10 sport=25 l4=tcp
 *     service=smtp verdict=downgraded reason=capability-stripped alerts=1a
 *     end=fin ... login=PLAIN,alice,failure,1 policy=dns,enforce,1,0,1,example.org
 *   alert sensor=tap-a kind=starttls-stripped severity=high session=5 ts=...
 *     family=4 client=... cport=... server=... sport=25 l4=tcp service=smtp ev=...
 *
 * Only what the dashboard shows is carried, never a login's secret (a
 * login says only whether one crossed the wire).
 *
 * Decoding is a parser of untrusted input (anyone who can write to the
 * Redis stream writes records): it never trusts a length or a number. A
 * record is refused whole when a required key is missing (sensor, id and
 * the endpoints of a session; sensor, kind and the endpoints of an alert),
 * when a value does not fit its field, is not a number where one is due,
 * or names no known verdict, reason, kind, severity ...; a key it does not
 * know is skipped (a later release may add some).
 */
#ifndef TLSWATCH_FEED_H
#define TLSWATCH_FEED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "session.h"

#define FEED_LINE_MAX 8192  /* the longest record, NUL included */
#define FEED_SENSOR_MAX 64  /* a sensor's name, NUL included */
#define FEED_SERVICE_MAX 32 /* a service's name, NUL included */

/* A session as the feed carries it: the session (only the fields the
 * dashboard shows; its service pointer is NULL: the name is in service),
 * and the sensor that judged it. */
struct feed_session {
	char sensor[FEED_SENSOR_MAX];
	char service[FEED_SERVICE_MAX];
	struct session s;
};

struct feed_alert {
	char sensor[FEED_SENSOR_MAX];
	char service[FEED_SERVICE_MAX];
	struct alert a; /* service NULL, pcap "" */
};

/* Writes the record of a judged session (or alert) by sensor into buf
 * (FEED_LINE_MAX bytes suffice); its length, 0 when it did not fit. */
size_t feed_encode_session(char *buf, size_t bufsz, const char *sensor, const struct session *s);
size_t feed_encode_alert(char *buf, size_t bufsz, const char *sensor, const struct alert *a);
/* Reads one record (n bytes, not NUL-terminated) into out; false when it
 * is not a valid record of that type. */
bool feed_decode_session(const char *line, size_t n, struct feed_session *out);
bool feed_decode_alert(const char *line, size_t n, struct feed_alert *out);

/* Whether byte c stands in a value as itself (any other is written %XX):
 * the writer's rule (feed.c), which the reader (feed_read.c) holds the
 * records it reads to. */
bool feed_plain(uint8_t c);

#endif
