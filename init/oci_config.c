/* SPDX-License-Identifier: Apache-2.0 */
/* /.krun_config.json; the contract is in oci_config.h. */
#include "oci_config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "json.h"

enum oci_key { OCI_CMD, OCI_ENTRYPOINT, OCI_ENV, OCI_WORKDIR, OCI_NKEYS };

static const struct {
	const char *name;
	enum oci_key key;
	enum json_type type;
} names[] = {
	{ "args", OCI_CMD, JSON_ARRAY },      { "Cmd", OCI_CMD, JSON_ARRAY },
	{ "Entrypoint", OCI_ENTRYPOINT, JSON_ARRAY }, { "Env", OCI_ENV, JSON_ARRAY },
	{ "WorkingDir", OCI_WORKDIR, JSON_STRING }, { "Cwd", OCI_WORKDIR, JSON_STRING },
};

static const char *env_value(const char *const *envp, const char *name, size_t n)
{
	for (; envp && *envp; envp++)
		if (strncmp(*envp, name, n) == 0 && (*envp)[n] == '=')
			return *envp + n + 1;
	return NULL;
}

const char *oci_config_path(const struct config *cfg)
{
	const char *p = env_value(cfg->envp, "KRUN_CONFIG", 11);

	return p && *p ? p : OCI_CONFIG_PATH;
}

/* Decoded strings go one after another into an arena as large as the text
 * plus a NUL per token: decoding never grows a string. */
struct arena {
	char *buf;
	size_t used;
};

static const char *take_string(const char *s, const struct json_tok *t, struct arena *a)
{
	char *out = a->buf + a->used;
	long n = json_string(s, t, out);

	if (n < 0)
		return NULL;
	a->used += (size_t)n + 1;
	return out;
}

/* Appends the string elements of array token i to list (n entries so far, room
 * for them all). Returns the new count, or -1 for a non-string or a NUL. */
static long take_strings(const char *s, const struct json_tok *t, size_t i, const char **list,
			 size_t n, struct arena *a)
{
	for (size_t e = i + 1; e < t[i].next; e = t[e].next) {
		if (t[e].type != JSON_STRING || !(list[n++] = take_string(s, &t[e], a)))
			return -1;
	}
	return (long)n;
}

/* Puts "NAME=value" into envp (room for one more), replacing NAME's entry
 * only for HOME and TERM. */
static void env_merge(const char **envp, size_t *n, const char *entry)
{
	const char *eq = strchr(entry, '=');
	size_t len = eq ? (size_t)(eq - entry) : 0;
	int override = (len == 4 && !strncmp(entry, "HOME", 4)) ||
		       (len == 4 && !strncmp(entry, "TERM", 4));

	if (!len)
		return; /* upstream skips entries without '=' */
	for (size_t i = 0; i < *n; i++) {
		if (strncmp(envp[i], entry, len) || envp[i][len] != '=')
			continue;
		if (override)
			envp[i] = entry;
		return;
	}
	envp[(*n)++] = entry;
	envp[*n] = NULL;
}

static int apply_tokens(struct config *cfg, const char *s, const struct json_tok *t, size_t nt,
			size_t len, char *err, size_t err_len)
{
	size_t found[OCI_NKEYS] = { 0 }; /* value token index, 0 = none */
	size_t ncmd = 0, nentry = 0, nenv = 0, argc = 0, envc = cfg->envc;
	struct arena a = { .buf = malloc(len + nt + 1) };
	const char **argv, **envp, **list;
	long r;

	for (size_t i = 0; i + 1 < nt; i++) {
		if (!t[i].is_key)
			continue;
		for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
			size_t klen = t[i].end - t[i].start;
			if (found[names[k].key] || t[i + 1].type != names[k].type ||
			    strlen(names[k].name) != klen ||
			    strncasecmp(s + t[i].start, names[k].name, klen))
				continue;
			found[names[k].key] = i + 1;
		}
	}
	if (found[OCI_CMD])
		ncmd = t[found[OCI_CMD]].size;
	if (found[OCI_ENTRYPOINT])
		nentry = t[found[OCI_ENTRYPOINT]].size;
	if (found[OCI_ENV])
		nenv = t[found[OCI_ENV]].size;

	argv = calloc(nentry + ncmd + 2, sizeof(*argv));
	envp = calloc(cfg->envc + nenv + 1, sizeof(*envp));
	list = calloc(nenv + 1, sizeof(*list));
	if (!a.buf || !argv || !envp || !list) {
		r = config_fail(err, err_len, "out of memory");
		goto out;
	}
	r = -1;
	if (found[OCI_ENTRYPOINT] &&
	    (r = take_strings(s, t, found[OCI_ENTRYPOINT], argv, 0, &a)) < 0)
		goto bad;
	argc = r < 0 ? 0 : (size_t)r;
	if (found[OCI_CMD] && (r = take_strings(s, t, found[OCI_CMD], argv, argc, &a)) < 0)
		goto bad;
	argc = found[OCI_CMD] ? (size_t)r : argc;
	if (argc == 0)
		argv[argc++] = OCI_DEFAULT_EXEC;
	if (found[OCI_ENV] && take_strings(s, t, found[OCI_ENV], list, 0, &a) < 0)
		goto bad;
	if (cfg->envc)
		memcpy(envp, cfg->envp, cfg->envc * sizeof(*envp));
	for (size_t i = 0; i < nenv; i++)
		env_merge(envp, &envc, list[i]);
	if (found[OCI_WORKDIR] && !cfg->workdir_set) {
		const char *w = take_string(s, &t[found[OCI_WORKDIR]], &a);
		if (!w)
			goto bad;
		if (*w)
			cfg->workdir = w;
	}
	free(cfg->argv);
	free(cfg->envp);
	free(cfg->owned);
	cfg->argv = argv;
	cfg->argc = argc;
	cfg->exec = argv[0];
	cfg->envp = envp;
	cfg->envc = envc;
	cfg->owned = a.buf;
	free(list);
	return 0;
bad:
	r = config_fail(err, err_len, "args/Cmd, Entrypoint, Env or WorkingDir holds a non-string or a NUL");
out:
	free(a.buf);
	free(argv);
	free(envp);
	free(list);
	return (int)r;
}

int oci_config_apply(struct config *cfg, const char *json, size_t len, char *err,
		     size_t err_len)
{
	struct json_tok *t;
	long nt;
	int r;

	if (!json)
		return apply_tokens(cfg, "", NULL, 0, 0, err, err_len);
	if (len > OCI_CONFIG_MAX_LEN)
		return config_fail(err, err_len, "over %zu bytes", OCI_CONFIG_MAX_LEN);
	/* A token takes at least one byte of text (two for most): len + 1 is enough. */
	t = calloc(len + 1, sizeof(*t));
	if (!t)
		return config_fail(err, err_len, "out of memory");
	nt = json_parse(json, len, t, len + 1);
	if (nt < 0)
		r = config_fail(err, err_len, "not valid JSON");
	else
		r = apply_tokens(cfg, json, t, (size_t)nt, len, err, err_len);
	free(t);
	return r;
}
