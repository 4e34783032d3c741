/*
 * policy_file.c - the operator's --policy list (DOMAIN MODE [MX-PATTERN
 * ...] or DOMAIN sts-file PATH, include/policy.h), the RFC 8461 policy
 * files it names (3.2: "key: value" lines) and MX pattern matching (4.1).
 * The list is held whole, at most POLICY_FILE_DOMAINS domains.
 */
#include "policy_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- The operator's file ----------------------------------------------------------- */

bool
policy_mx_match(const char *pattern, const char *host)
{
	char pat[POLICY_NAME_MAX], h[POLICY_NAME_MAX];
	const char *dot;

	if (!pol_name(pat, pattern) || !pol_name(h, host))
		return false;
	if (strncmp(pat, "*.", 2) != 0)
		return strcmp(pat, h) == 0;
	/* "*.example.net": one label, then exactly the rest (RFC 8461 4.1). */
	dot = strchr(h, '.');
	return dot && dot != h && strcmp(dot + 1, pat + 2) == 0;
}

/* A name as the file may give it: letters, digits, '-', '.', '_'; with
 * star, a leading "*." too. */
static bool
pol_valid_name(const char *s, bool star)
{
	size_t n = strlen(s);

	if (star && strncmp(s, "*.", 2) == 0)
		s += 2, n -= 2;
	if (n == 0 || n >= POLICY_NAME_MAX || s[0] == '.' || strstr(s, ".."))
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '.' || c == '_'))
			return false;
	}
	return true;
}

static bool
pol_mode_parse(const char *s, size_t n, enum sts_mode *m)
{
	if (n == 7 && strncmp(s, "enforce", 7) == 0)
		*m = STS_ENFORCE;
	else if (n == 7 && strncmp(s, "testing", 7) == 0)
		*m = STS_TESTING;
	else if (n == 4 && strncmp(s, "none", 4) == 0)
		*m = STS_NONE;
	else
		return false;
	return true;
}

/* Trims spaces and tabs at both ends of t[*a..*b). */
static void
pol_trim(const char *t, size_t *a, size_t *b)
{
	while (*a < *b && (t[*a] == ' ' || t[*a] == '\t'))
		(*a)++;
	while (*b > *a && (t[*b - 1] == ' ' || t[*b - 1] == '\t' || t[*b - 1] == '\r'))
		(*b)--;
}

int
policy_parse_sts(const char *t, size_t n, struct policy_sts *out, char *err, size_t errsz)
{
	bool version = false, mode = false, age = false;
	size_t pos = 0;
	unsigned line = 0;

	memset(out, 0, sizeof(*out));
	while (pos < n) {
		const char *nl = memchr(t + pos, '\n', n - pos);
		size_t end = nl ? (size_t)(nl - t) : n, a = pos, b = end, colon, ka, kb, va, vb;

		line++;
		pos = nl ? end + 1 : n;
		pol_trim(t, &a, &b);
		if (a == b)
			continue;
		for (colon = a; colon < b && t[colon] != ':'; colon++)
			;
		if (colon == b) {
			snprintf(err, errsz, "line %u: not \"key: value\"", line);
			return -1;
		}
		ka = a, kb = colon, va = colon + 1, vb = b;
		pol_trim(t, &ka, &kb);
		pol_trim(t, &va, &vb);
		if (kb - ka == 7 && strncmp(t + ka, "version", 7) == 0) {
			if (vb - va != 5 || strncmp(t + va, "STSv1", 5) != 0) {
				snprintf(err, errsz, "line %u: version is not STSv1", line);
				return -1;
			}
			version = true;
		} else if (kb - ka == 4 && strncmp(t + ka, "mode", 4) == 0) {
			if (!pol_mode_parse(t + va, vb - va, &out->mode)) {
				snprintf(err, errsz,
					 "line %u: mode is not enforce, testing or none", line);
				return -1;
			}
			mode = true;
		} else if (kb - ka == 2 && strncmp(t + ka, "mx", 2) == 0) {
			char pat[POLICY_NAME_MAX];

			if (vb - va >= sizeof(pat)) {
				snprintf(err, errsz, "line %u: mx pattern too long", line);
				return -1;
			}
			memcpy(pat, t + va, vb - va);
			pat[vb - va] = '\0';
			if (!pol_valid_name(pat, true)) {
				snprintf(err, errsz, "line %u: bad mx pattern", line);
				return -1;
			}
			if (out->n_mx < POLICY_MX_PATTERNS)
				memcpy(out->mx[out->n_mx++], pat, sizeof(pat));
		} else if (kb - ka == 7 && strncmp(t + ka, "max_age", 7) == 0) {
			uint64_t v = 0;

			if (va == vb || vb - va > 10) {
				snprintf(err, errsz, "line %u: max_age is not a number", line);
				return -1;
			}
			for (size_t i = va; i < vb; i++) {
				if (t[i] < '0' || t[i] > '9') {
					snprintf(err, errsz, "line %u: max_age is not a number",
						 line);
					return -1;
				}
				v = v * 10 + (uint64_t)(t[i] - '0');
			}
			if (v > 31557600) {
				snprintf(err, errsz,
					 "line %u: max_age over 31557600 (RFC 8461 3.2)", line);
				return -1;
			}
			out->max_age = (uint32_t)v;
			age = true;
		}
		/* Other keys: extensions, ignored (RFC 8461 3.2). */
	}
	if (!version || !mode || !age) {
		snprintf(err, errsz, "missing %s",
			 !version ? "version: STSv1"
			 : !mode  ? "mode"
				  : "max_age");
		return -1;
	}
	if (out->mode != STS_NONE && out->n_mx == 0) {
		snprintf(err, errsz, "no mx pattern (needed unless mode is none)");
		return -1;
	}
	return 0;
}

/* Reads a whole file of at most max bytes into a buffer the caller frees. */
static char *
pol_slurp(const char *path, size_t max, size_t *n, char *err, size_t errsz)
{
	FILE *f = fopen(path, "rb");
	char *buf;

	if (!f) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		return NULL;
	}
	buf = malloc(max + 1);
	if (!buf) {
		fclose(f);
		snprintf(err, errsz, "%s: out of memory", path);
		return NULL;
	}
	*n = fread(buf, 1, max + 1, f);
	if (ferror(f) || *n > max) {
		snprintf(err, errsz, "%s: %s", path, ferror(f) ? "read error" : "too large");
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	buf[*n] = '\0';
	return buf;
}

/* Adds (or replaces) a domain of the file. */
static int
pol_file_add(struct policy *p, const char *domain, const struct policy_sts *sts)
{
	struct pol_file *f;

	for (size_t i = 0; i < p->n_file; i++)
		if (strcmp(p->file[i].domain, domain) == 0) {
			p->file[i].sts = *sts;
			return 0;
		}
	if (p->n_file == POLICY_FILE_DOMAINS)
		return -1;
	if (p->n_file % 64 == 0) {
		struct pol_file *grown = realloc(p->file, (p->n_file + 64) * sizeof(*grown));

		if (!grown)
			return -1;
		p->file = grown;
	}
	f = &p->file[p->n_file++];
	memset(f, 0, sizeof(*f));
	pol_name(f->domain, domain);
	f->sts = *sts;
	p->st.file_domains = p->n_file;
	return 0;
}

#define POL_WORDS (2 + POLICY_MX_PATTERNS + 1)

/* One line of the list, split into words (at most POL_WORDS). */
static int
pol_file_line(struct policy *p, const char *dir, char **w, size_t nw, char *err, size_t errsz)
{
	struct policy_sts sts;
	enum sts_mode mode;

	memset(&sts, 0, sizeof(sts));
	if (nw < 2) {
		snprintf(err, errsz,
			 "expected \"DOMAIN MODE [MX-PATTERN ...]\" or "
			 "\"DOMAIN sts-file PATH\"");
		return -1;
	}
	if (!pol_valid_name(w[0], false)) {
		snprintf(err, errsz, "\"%.60s\" is not a domain name", w[0]);
		return -1;
	}
	if (strcmp(w[1], "sts-file") == 0) {
		char path[4096], sub[256];
		size_t n;
		char *body;

		if (nw != 3) {
			snprintf(err, errsz, "sts-file takes one PATH");
			return -1;
		}
		if (w[2][0] == '/' || !dir)
			snprintf(path, sizeof(path), "%s", w[2]);
		else
			snprintf(path, sizeof(path), "%s/%s", dir, w[2]);
		body = pol_slurp(path, POLICY_STS_BODY_MAX, &n, err, errsz);
		if (!body)
			return -1;
		if (policy_parse_sts(body, n, &sts, sub, sizeof(sub)) < 0) {
			snprintf(err, errsz, "%.200s: %s", path, sub);
			free(body);
			return -1;
		}
		free(body);
	} else {
		if (!pol_mode_parse(w[1], strlen(w[1]), &mode)) {
			snprintf(err, errsz, "mode \"%.20s\" is not enforce, testing or none",
				 w[1]);
			return -1;
		}
		sts.mode = mode;
		for (size_t i = 2; i < nw; i++) {
			if (i - 2 >= POLICY_MX_PATTERNS) {
				snprintf(err, errsz, "more than %d MX patterns",
					 POLICY_MX_PATTERNS);
				return -1;
			}
			if (!pol_valid_name(w[i], true)) {
				snprintf(err, errsz, "\"%.60s\" is not an MX pattern", w[i]);
				return -1;
			}
			pol_name(sts.mx[sts.n_mx++], w[i]);
		}
	}
	if (pol_file_add(p, w[0], &sts) < 0) {
		snprintf(err, errsz, "more than %d domains", POLICY_FILE_DOMAINS);
		return -1;
	}
	return 0;
}

int
policy_load_text(struct policy *p, const char *name, const char *dir, const char *t, size_t n,
		 char *err, size_t errsz)
{
	size_t pos = 0;
	unsigned line = 0;

	while (pos < n) {
		const char *nl = memchr(t + pos, '\n', n - pos);
		size_t end = nl ? (size_t)(nl - t) : n, len = end - pos;
		char buf[1024], sub[512], *w[POL_WORDS], *save = NULL, *tok;
		size_t nw = 0;

		line++;
		if (len >= sizeof(buf)) {
			snprintf(err, errsz, "%s:%u: line too long", name, line);
			return -1;
		}
		memcpy(buf, t + pos, len);
		buf[len] = '\0';
		pos = nl ? end + 1 : n;
		if (memchr(buf, '\0', len)) {
			snprintf(err, errsz, "%s:%u: a NUL byte", name, line);
			return -1;
		}
		if ((tok = strchr(buf, '#')) != NULL)
			*tok = '\0';
		for (tok = strtok_r(buf, " \t\r", &save); tok;
		     tok = strtok_r(NULL, " \t\r", &save)) {
			if (nw == POL_WORDS) {
				snprintf(err, errsz, "%s:%u: more than %d MX patterns", name, line,
					 POLICY_MX_PATTERNS);
				return -1;
			}
			w[nw++] = tok;
		}
		if (nw == 0)
			continue;
		if (pol_file_line(p, dir, w, nw, sub, sizeof(sub)) < 0) {
			snprintf(err, errsz, "%s:%u: %s", name, line, sub);
			return -1;
		}
	}
	return 0;
}

int
policy_load_file(struct policy *p, const char *path, char *err, size_t errsz)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	size_t n;
	char *text = pol_slurp(path, 16u << 20, &n, err, errsz);
	int r;

	if (!text)
		return -1;
	if (slash)
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	r = policy_load_text(p, path, slash ? (slash == path ? "/" : dir) : NULL, text, n, err,
			     errsz);
	free(text);
	return r;
}
