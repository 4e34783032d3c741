/*
 * vocab.c - the vocabulary of DESIGN.md as the outputs spell it: verdicts,
 * reasons, alert kinds, severities, how a session ended, transports, and
 * addresses (see session.h).
 */
#include "session.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

static const char *const verdict_names[VERDICT_COUNT] = {
	[VERDICT_UNKNOWN] = "unknown",	     [VERDICT_IMPLICIT_TLS] = "implicit-tls",
	[VERDICT_STARTTLS] = "starttls",     [VERDICT_CLEARTEXT] = "cleartext",
	[VERDICT_DOWNGRADED] = "downgraded", [VERDICT_TLS_FAILED] = "tls-failed",
};

static const char *const reason_names[REASON_COUNT] = {
	[REASON_NONE] = NULL,
	[REASON_NOT_OFFERED] = "not-offered",
	[REASON_NOT_REQUESTED] = "not-requested",
	[REASON_NO_TLS_PROTOCOL] = "no-tls-protocol",
	[REASON_OFFER_UNSEEN] = "offer-unseen",
	[REASON_CAPABILITY_STRIPPED] = "capability-stripped",
	[REASON_CAPABILITY_MASKED] = "capability-masked",
	[REASON_UPGRADE_REFUSED] = "upgrade-refused",
	[REASON_NO_TLS_AFTER_ACCEPT] = "no-tls-after-accept",
	[REASON_TLS_FALLBACK] = "tls-fallback",
	[REASON_PLAINTEXT_ON_TLS_PORT] = "plaintext-on-tls-port",
	[REASON_ALERT] = "alert",
	[REASON_CLOSED] = "closed",
	[REASON_NO_ANSWER] = "no-answer",
	[REASON_MIDSTREAM] = "midstream",
	[REASON_NO_PAYLOAD] = "no-payload",
	[REASON_UNRECOGNIZED] = "unrecognized",
	[REASON_GAP] = "gap",
};

static const char *const alert_kind_names[ALERT_KIND_COUNT] = {
	[ALERT_CAPABILITY_STRIPPED] = "capability-stripped",
	[ALERT_CAPABILITY_MASKED] = "capability-masked",
	[ALERT_UPGRADE_REFUSED] = "upgrade-refused",
	[ALERT_NO_TLS_AFTER_ACCEPT] = "no-tls-after-accept",
	[ALERT_TLS_FALLBACK] = "tls-fallback",
	[ALERT_PLAINTEXT_ON_TLS_PORT] = "plaintext-on-tls-port",
	[ALERT_CLEARTEXT_LOGIN] = "cleartext-login",
	[ALERT_CMD_INJECTION] = "starttls-command-injection",
	[ALERT_RESP_INJECTION] = "starttls-response-injection",
	[ALERT_PREAUTH_BYPASS] = "preauth-bypass",
	[ALERT_TLS_OBSOLETE_VERSION] = "tls-obsolete-version",
	[ALERT_TLS_WEAK_CIPHER] = "tls-weak-cipher",
	[ALERT_AUTH_OFFERED_CLEARTEXT] = "auth-offered-in-cleartext",
	[ALERT_LOGIN_BRUTEFORCE] = "login-bruteforce",
	[ALERT_DATA_CLEARTEXT] = "data-cleartext",
	[ALERT_MTA_STS_VIOLATION] = "mta-sts-violation",
	[ALERT_DANE_VIOLATION] = "dane-violation",
	[ALERT_DANE_MISMATCH] = "dane-mismatch",
	[ALERT_CERT_NAME_MISMATCH] = "cert-name-mismatch",
	[ALERT_CERT_EXPIRED] = "cert-expired",
	[ALERT_CERT_SELF_SIGNED] = "self-signed",
	[ALERT_CERT_CHANGED] = "cert-changed",
	[ALERT_MTA_STS_MX_MISMATCH] = "mta-sts-mx-mismatch",
};

const char *
verdict_name(enum verdict v)
{
	return (unsigned)v < VERDICT_COUNT ? verdict_names[v] : "unknown";
}

const char *
reason_name(enum reason r)
{
	return (unsigned)r < REASON_COUNT ? reason_names[r] : NULL;
}

const char *
alert_kind_name(enum alert_kind k)
{
	return (unsigned)k < ALERT_KIND_COUNT ? alert_kind_names[k] : "?";
}

int
alert_kind_parse(const char *name)
{
	for (int k = 0; k < ALERT_KIND_COUNT; k++)
		if (strcmp(alert_kind_names[k], name) == 0)
			return k;
	return -1;
}

const char *
severity_name(enum severity s)
{
	switch (s) {
	case SEVERITY_LOW:
		return "low";
	case SEVERITY_MEDIUM:
		return "medium";
	case SEVERITY_HIGH:
		return "high";
	case SEVERITY_CRITICAL:
		return "critical";
	}
	return "?";
}

const char *
policy_source_name(enum policy_source s)
{
	switch (s) {
	case POLICY_SOURCE_NONE:
		break;
	case POLICY_SOURCE_DNS:
		return "dns";
	case POLICY_SOURCE_STATE:
		return "state";
	case POLICY_SOURCE_FILE:
		return "file";
	case POLICY_SOURCE_SNI:
		return "sni";
	case POLICY_SOURCE_SHARED:
		return "shared";
	}
	return NULL;
}

const char *
sts_mode_name(enum sts_mode m)
{
	switch (m) {
	case STS_ABSENT:
		break;
	case STS_UNKNOWN:
		return "unknown";
	case STS_NONE:
		return "none";
	case STS_TESTING:
		return "testing";
	case STS_ENFORCE:
		return "enforce";
	}
	return NULL;
}

const char *
transport_name(uint8_t l4)
{
	return l4 == 17 ? "udp" : l4 == 132 ? "sctp" : "tcp";
}

uint8_t
transport_by_name(const char *name, size_t len)
{
	if (len == 3 && memcmp(name, "tcp", 3) == 0)
		return 6;
	if (len == 3 && memcmp(name, "udp", 3) == 0)
		return 17;
	if (len == 4 && memcmp(name, "sctp", 4) == 0)
		return 132;
	return 0;
}

const char *
session_end_name(enum session_end e)
{
	switch (e) {
	case END_OPEN:
		return "open";
	case END_FIN:
		return "fin";
	case END_RST:
		return "rst";
	case END_IDLE:
		return "idle";
	case END_EVICTED:
		return "evicted";
	case END_CAPTURE:
		return "capture-end";
	}
	return "?";
}

void
session_addr_str(uint8_t family, const uint8_t *addr, char *out, size_t outsz)
{
	if (family != 6 && outsz >= 16) {
		/* IPv4 by hand: every record prints two addresses. */
		char *o = out;

		for (int i = 0; i < 4; i++) {
			unsigned v = addr[i];

			if (v >= 100)
				*o++ = (char)('0' + v / 100);
			if (v >= 10)
				*o++ = (char)('0' + v / 10 % 10);
			*o++ = (char)('0' + v % 10);
			*o++ = i < 3 ? '.' : '\0';
		}
		return;
	}
	if (!inet_ntop(family == 6 ? AF_INET6 : AF_INET, addr, out, (socklen_t)outsz))
		snprintf(out, outsz, "?");
}
