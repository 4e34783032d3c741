/*
 * links.c - data connections tied to the session that announced them
 * (links.h). Small tables scanned linearly: a judge looks up one session at
 * a time and a busy FTP server has few announcements outstanding; each
 * table is a ring whose oldest entry makes room (counted). Most sessions
 * are no data connection: counts of the live entries (per port for the
 * announcements) let them skip the scans, which then would find nothing
 * and change nothing.
 */
#include "links.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define LINKS_PORT_SLOTS 256	 /* live announcements counted by port % this */
#define LINKS_TALLY_BUCKETS 1024 /* chains of live tallies by control id */

struct link_expect {
	bool live;
	uint8_t family;
	uint8_t addr[16], seen[16];
	uint16_t port;
	bool tls_possible;
	uint64_t control, ts_us;
	const struct proto_desc *data;
};

struct link_pair {
	bool live;
	uint8_t family;
	uint8_t client[16], server[16];
	uint64_t control, ts_us;
	const struct proto_desc *data;
};

struct link_tally {
	bool live;
	uint64_t control;
	uint32_t data, cleartext;
};

struct links {
	struct link_expect x[LINKS_EXPECT_MAX];
	struct link_pair p[LINKS_PAIRS_MAX];
	struct link_tally t[LINKS_CONTROLS_MAX];
	size_t x_next, p_next, t_next;		/* the slot the next entry takes */
	uint16_t x_live_port[LINKS_PORT_SLOTS]; /* live announcements by port slot */
	uint64_t x_oldest_ts;			/* no live announcement is older (a lower bound) */
	size_t p_live;
	/* Bit (control id % 64) of every control with a live pair, cleared when
	 * none is left: most judged sessions have no pair to look for. */
	uint64_t p_controls;
	/* The live tallies chained by control id: bucket heads and each
	 * entry's successor, as index + 1 (0 ends a chain). Data connections
	 * judged after their control session leave tallies nobody collects, so
	 * the ring stays full: every judged session looks its id up here. */
	uint16_t t_head[LINKS_TALLY_BUCKETS];
	uint16_t t_succ[LINKS_CONTROLS_MAX];
	struct link_stats st;
};

struct links *
links_new(void)
{
	struct links *l = calloc(1, sizeof(struct links));

	if (l)
		l->x_oldest_ts = UINT64_MAX;
	return l;
}

static void
links_expect_dead(struct links *l, struct link_expect *x)
{
	x->live = false;
	l->x_live_port[x->port % LINKS_PORT_SLOTS]--;
}

void
links_free(struct links *l)
{
	free(l);
}

static size_t
addr_len(uint8_t family)
{
	return family == 6 ? 16 : 4;
}

void
links_note(struct links *l, const struct link_note *n)
{
	if (!l)
		return;
	if (n->pair) {
		struct link_pair *p = &l->p[l->p_next];

		l->p_next = (l->p_next + 1) % LINKS_PAIRS_MAX;
		if (p->live)
			l->st.dropped++;
		else
			l->p_live++;
		l->p_controls |= (uint64_t)1 << (n->control % 64);
		*p = (struct link_pair){true, n->family, {0}, {0}, n->control, n->ts_us, n->data};
		memcpy(p->client, n->client, 16);
		memcpy(p->server, n->server, 16);
		return;
	}
	struct link_expect *x = &l->x[l->x_next];

	l->x_next = (l->x_next + 1) % LINKS_EXPECT_MAX;
	if (x->live) {
		l->st.dropped++;
		links_expect_dead(l, x);
	}
	l->x_live_port[n->port % LINKS_PORT_SLOTS]++;
	if (n->ts_us < l->x_oldest_ts)
		l->x_oldest_ts = n->ts_us;
	*x = (struct link_expect){true,	      n->family, {0},	 {0}, n->port, n->tls_possible,
				  n->control, n->ts_us,	 n->data};
	memcpy(x->addr, n->addr, 16);
	memcpy(x->seen, n->seen, 16);
	l->st.announced++;
}

/* The announcement the session's accepting endpoint answers, or NULL. */
static struct link_expect *
links_find_expect(struct links *l, const struct session *s)
{
	size_t alen = addr_len(s->family);
	uint64_t oldest = UINT64_MAX;

	/* No live announcement on either port and none stale for this session:
	 * the scan would neither match nor expire anything. */
	if (!l->x_live_port[s->server_port % LINKS_PORT_SLOTS] &&
	    !l->x_live_port[s->client_port % LINKS_PORT_SLOTS] &&
	    (l->x_oldest_ts == UINT64_MAX || s->ts_first_us <= l->x_oldest_ts + LINKS_EXPECT_US))
		return NULL;
	for (size_t i = 0; i < LINKS_EXPECT_MAX; i++) {
		struct link_expect *x = &l->x[i];

		if (!x->live)
			continue;
		if (s->ts_first_us > x->ts_us + LINKS_EXPECT_US) {
			links_expect_dead(l, x); /* stale */
			continue;
		}
		if (x->ts_us < oldest)
			oldest = x->ts_us;
		if (x->family != s->family || s->ts_first_us + 1000000 < x->ts_us)
			continue;
		/* The accepting side is the TCP server, unless the session was
		 * picked up midstream the other way round. */
		for (int side = 0; side < 2; side++) {
			const uint8_t *ip = side == 0 ? s->server_ip : s->client_ip;
			uint16_t port = side == 0 ? s->server_port : s->client_port;

			if (port == x->port &&
			    (!memcmp(ip, x->addr, alen) || !memcmp(ip, x->seen, alen)))
				return x;
		}
	}
	l->x_oldest_ts = oldest; /* the scan saw every live one */
	return NULL;
}

/* An encrypted control session between the session's two hosts, open when
 * the session began; the most recent one. */
static struct link_pair *
links_find_pair(struct links *l, const struct session *s)
{
	size_t alen = addr_len(s->family);
	struct link_pair *best = NULL;

	if (!l->p_live)
		return NULL;
	for (size_t i = 0; i < LINKS_PAIRS_MAX; i++) {
		struct link_pair *p = &l->p[i];
		bool same, crossed;

		if (!p->live || p->family != s->family || p->ts_us > s->ts_first_us + 1000000)
			continue;
		same = !memcmp(p->client, s->client_ip, alen) &&
		       !memcmp(p->server, s->server_ip, alen);
		crossed = !memcmp(p->client, s->server_ip, alen) &&
			  !memcmp(p->server, s->client_ip, alen);
		if ((same || crossed) && (!best || p->ts_us > best->ts_us))
			best = p;
	}
	return best;
}

/* Could this session be a data connection guessed from its hosts alone?
 * Only when no parser recognised it and its port is no other service's. */
static bool
links_may_infer(const struct session *s)
{
	bool tls_port;
	const struct proto_desc *owner = proto_by_port(s->server_port, s->l4, &tls_port);

	if (s->proto || (owner && !owner->data_channel))
		return false;
	/* Passive data goes to the server's ephemeral port, active data to the
	 * client's: a low port is a service of its own, and so is whatever
	 * nDPI named (SSH between the same hosts is no file transfer). */
	if (s->server_port < 1024 && !owner)
		return false;
	return !s->ndpi[0] || (proto_name_by_ndpi(s->ndpi) && owner == NULL &&
			       strcmp(proto_name_by_ndpi(s->ndpi), "ftp-data") == 0);
}

bool
links_claim(struct links *l, struct session *s)
{
	const struct proto_desc *data;
	struct link_expect *x;
	struct link_pair *p = NULL;
	bool tls_possible;

	if (!l || s->l4 != 6)
		return false;
	/* An announced endpoint is specific enough to claim any session; the
	 * bytes of a file may look like any protocol. */
	x = links_find_expect(l, s);
	if (!x && links_may_infer(s))
		p = links_find_pair(l, s);
	if (!x && !p)
		return false;
	if (x) {
		links_expect_dead(l, x); /* one connection per announcement */
		s->control_id = x->control;
		s->link = LINK_ANNOUNCED;
		data = x->data;
		tls_possible = x->tls_possible;
		l->st.linked++;
	} else {
		s->control_id = p->control;
		s->link = LINK_INFERRED;
		data = p->data;
		tls_possible = true;
		l->st.inferred++;
	}
	memset(&s->pf, 0, sizeof(s->pf));
	s->link_tls = tls_possible;
	s->proto = data;
	s->service = data->name;
	return true;
}

static uint16_t *
links_tally_bucket(struct links *l, uint64_t control)
{
	return &l->t_head[(control ^ (control >> 10)) % LINKS_TALLY_BUCKETS];
}

/* Marks tally i dead and takes it off its chain. */
static void
links_tally_dead(struct links *l, size_t i)
{
	uint16_t *pp = links_tally_bucket(l, l->t[i].control);

	while (*pp && *pp != i + 1)
		pp = &l->t_succ[*pp - 1];
	if (*pp)
		*pp = l->t_succ[i];
	l->t[i].live = false;
}

static struct link_tally *
links_tally(struct links *l, uint64_t control, bool create)
{
	uint16_t *b = links_tally_bucket(l, control);
	struct link_tally *t;
	size_t i;

	for (uint16_t k = *b; k; k = l->t_succ[k - 1])
		if (l->t[k - 1].control == control)
			return &l->t[k - 1];
	if (!create)
		return NULL;
	i = l->t_next;
	t = &l->t[i];
	l->t_next = (l->t_next + 1) % LINKS_CONTROLS_MAX;
	if (t->live) {
		l->st.dropped++;
		links_tally_dead(l, i);
	}
	*t = (struct link_tally){true, control, 0, 0};
	l->t_succ[i] = *b;
	*b = (uint16_t)(i + 1);
	return t;
}

void
links_data_judged(struct links *l, const struct session *s)
{
	struct link_tally *t;

	if (!l || !s->link || !(t = links_tally(l, s->control_id, true)))
		return;
	t->data++;
	if (s->verdict == VERDICT_CLEARTEXT)
		t->cleartext++;
}

void
links_control_judged(struct links *l, struct session *s)
{
	struct link_tally *t;

	if (!l)
		return;
	if ((t = links_tally(l, s->id, false)) != NULL) {
		s->data_sessions = t->data;
		s->data_cleartext = t->cleartext;
		links_tally_dead(l, (size_t)(t - l->t));
	}
	if (!(l->p_controls & ((uint64_t)1 << (s->id % 64))))
		return;
	for (size_t i = 0; l->p_live && i < LINKS_PAIRS_MAX; i++)
		if (l->p[i].live && l->p[i].control == s->id) {
			l->p[i].live = false;
			l->p_live--;
		}
	if (!l->p_live)
		l->p_controls = 0;
}

void
links_stats(const struct links *l, struct link_stats *out)
{
	if (l)
		*out = l->st;
	else
		memset(out, 0, sizeof(*out));
}
