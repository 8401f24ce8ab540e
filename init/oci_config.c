/* SPDX-License-Identifier: Apache-2.0 */
/* /.krun_config.json; the contract is in oci_config.h. */
#include "oci_config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "json.h"

enum oci_key { OCI_CMD, OCI_ENTRYPOINT, OCI_ENV, OCI_WORKDIR, OCI_NKEYS };

struct key_name {
	const char *name;
	enum oci_key key;
	enum json_type type;
};

/* An image config's names (Docker's and the flat args/env/cwd), anywhere. */
static const struct key_name image_names[] = {
	{ "args", OCI_CMD, JSON_ARRAY },      { "Cmd", OCI_CMD, JSON_ARRAY },
	{ "Entrypoint", OCI_ENTRYPOINT, JSON_ARRAY }, { "Env", OCI_ENV, JSON_ARRAY },
	{ "WorkingDir", OCI_WORKDIR, JSON_STRING }, { "Cwd", OCI_WORKDIR, JSON_STRING },
};

/* A runtime spec's process object (runtime-spec config.md, "process"). */
static const struct key_name process_names[] = {
	{ "args", OCI_CMD, JSON_ARRAY },
	{ "env", OCI_ENV, JSON_ARRAY },
	{ "cwd", OCI_WORKDIR, JSON_STRING },
};

#define NNAMES(a) (sizeof(a) / sizeof((a)[0]))

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

/* Whether key token t is name: exactly, or ignoring case. The key's raw text
 * is compared: a name spelled with escapes does not match. */
static bool key_is(const char *s, const struct json_tok *t, const char *name, bool any_case)
{
	size_t klen = t->end - t->start;

	return strlen(name) == klen && (any_case ? !strncasecmp(s + t->start, name, klen)
						  : !strncmp(s + t->start, name, klen));
}

/* Records the value of key token i in found[] when the key is one of names
 * with a value of its type, and the first of its kind. */
static void match_key(const char *s, const struct json_tok *t, size_t i,
		      const struct key_name *names, size_t n, bool any_case,
		      size_t found[OCI_NKEYS])
{
	for (size_t k = 0; k < n; k++)
		if (!found[names[k].key] && t[i + 1].type == names[k].type &&
		    key_is(s, &t[i], names[k].name, any_case))
			found[names[k].key] = i + 1;
}

/*
 * Fills found[] as upstream's init reads the file: from the top-level
 * "process" object of a runtime spec when there is one (its own members, by
 * their exact names; nothing elsewhere counts, such as a hook's "args"), else
 * from the first key of each kind anywhere (an image config).
 */
static void find_keys(const char *s, const struct json_tok *t, size_t nt,
		      size_t found[OCI_NKEYS])
{
	size_t p = 0;

	/* Members of an object: key k, value k + 1, next key at the value's next. */
	if (nt && t[0].type == JSON_OBJECT) {
		for (size_t k = 1; k + 1 < t[0].next && !p; k = t[k + 1].next)
			if (key_is(s, &t[k], "process", false) && t[k + 1].type == JSON_OBJECT)
				p = k + 1;
	}
	if (p) {
		for (size_t k = p + 1; k + 1 < t[p].next; k = t[k + 1].next)
			match_key(s, t, k, process_names, NNAMES(process_names), false, found);
		return;
	}
	for (size_t i = 0; i + 1 < nt; i++)
		if (t[i].is_key)
			match_key(s, t, i, image_names, NNAMES(image_names), true, found);
}

static int apply_tokens(struct config *cfg, const char *s, const struct json_tok *t, size_t nt,
			size_t len, char *err, size_t err_len)
{
	size_t found[OCI_NKEYS] = { 0 }; /* value token index, 0 = none */
	size_t ncmd = 0, nentry = 0, nenv = 0, argc = 0, envc = cfg->envc;
	struct arena a = { .buf = malloc(len + nt + 1) };
	const char **argv, **envp, **list;
	long r;

	find_keys(s, t, nt, found);
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
	if (cfg->exec) {
		free(argv); /* the VMM's exec wins (upstream: KRUN_INIT) */
	} else {
		free(cfg->argv);
		cfg->argv = argv;
		cfg->argc = argc;
		cfg->exec = argv[0];
	}
	free(cfg->envp);
	free(cfg->owned);
	cfg->envp = envp;
	cfg->envc = envc;
	cfg->owned = a.buf;
	free(list);
	return 0;
bad:
	r = config_fail(err, err_len,
			"args/Cmd, Entrypoint, env/Env or cwd/WorkingDir holds a non-string or a NUL");
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

const char *oci_hostname(const struct config *cfg)
{
	const char *h;

	if (cfg->hostname)
		return cfg->hostname;
	h = env_value(cfg->envp, "HOSTNAME", 8);
	return h && *h ? h : OCI_DEFAULT_HOSTNAME;
}
