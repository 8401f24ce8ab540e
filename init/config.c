/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Two passes over the records: the first checks the framing and counts the
 * repeated keys, so the second can fill arrays allocated once at their exact
 * size. No record is trusted to be terminated: every string is found with
 * memchr bounded by the end of the data.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

enum key {
	K_UNKNOWN, K_EXEC, K_ARG, K_ENV, K_WORKDIR, K_RLIMIT, K_HOSTNAME,
	K_STDIN, K_STDOUT, K_STDERR, K_ROOT, K_ROOT_FSTYPE, K_ROOT_OPTIONS, K_NET_DHCP, K_COUNT
};

static const char *const key_names[K_COUNT] = {
	[K_EXEC] = "exec", [K_ARG] = "arg", [K_ENV] = "env", [K_WORKDIR] = "workdir",
	[K_RLIMIT] = "rlimit", [K_HOSTNAME] = "hostname", [K_STDIN] = "stdin",
	[K_STDOUT] = "stdout", [K_STDERR] = "stderr", [K_ROOT] = "root",
	[K_ROOT_FSTYPE] = "root_fstype", [K_ROOT_OPTIONS] = "root_options",
	[K_NET_DHCP] = "net_dhcp",
};

#define REPEATABLE \
	((1u << K_UNKNOWN) | (1u << K_ARG) | (1u << K_ENV) | (1u << K_RLIMIT) | (1u << K_NET_DHCP))
#define HOSTNAME_MAX 64 /* the kernel's __NEW_UTS_LEN */
#define IFNAME_MAX 15   /* IFNAMSIZ less its NUL */

struct record {
	enum key key;
	const char *name, *value;
};

int config_fail(char *err, size_t err_len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, err_len, fmt, ap);
	va_end(ap);
	return -1;
}

/* 1: a record at *pos, 0: clean end, -1: truncated. */
static int next_record(const char *data, size_t len, size_t *pos, struct record *rec)
{
	const char *name = data + *pos, *name_end, *value, *value_end;
	unsigned int k;

	if (*pos == len)
		return 0;
	name_end = memchr(name, '\0', len - *pos);
	if (!name_end || (size_t)(name_end - data) + 1 >= len)
		return -1;
	value = name_end + 1;
	value_end = memchr(value, '\0', len - (size_t)(value - data));
	if (!value_end)
		return -1;
	*pos = (size_t)(value_end - data) + 1;
	rec->name = name;
	rec->value = value;
	rec->key = K_UNKNOWN;
	for (k = K_UNKNOWN + 1; k < K_COUNT; k++)
		if (strcmp(name, key_names[k]) == 0)
			rec->key = (enum key)k;
	return 1;
}

/* Decimal digits only, no sign, no overflow; *s advances past them. */
static int parse_u64(const char **s, uint64_t *out)
{
	uint64_t v = 0;
	const char *p = *s;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*s = p;
	*out = v;
	return 0;
}

/* "ID=CUR:MAX" */
static int parse_rlimit(const char *s, struct config_rlimit *rl)
{
	uint64_t id;

	if (parse_u64(&s, &id) < 0 || id >= RLIM_NLIMITS || *s++ != '=' ||
	    parse_u64(&s, &rl->cur) < 0 || *s++ != ':' || parse_u64(&s, &rl->max) < 0 ||
	    *s || rl->cur > rl->max)
		return -1;
	rl->id = (int)id;
	return 0;
}

static int parse_stdio(const char *v, enum stdio_kind *kind)
{
	if (strcmp(v, "console") == 0)
		*kind = STDIO_CONSOLE;
	else if (strcmp(v, "port") == 0)
		*kind = STDIO_PORT;
	else
		return -1;
	return 0;
}

static int apply(struct config *cfg, const struct record *rec, char *err, size_t err_len)
{
	const char *v = rec->value;

	switch (rec->key) {
	case K_EXEC:
		if (!*v)
			return config_fail(err, err_len, "empty exec path");
		cfg->exec = cfg->argv[0] = v;
		break;
	case K_ARG:
		cfg->argv[cfg->argc++] = v;
		break;
	case K_ENV:
		cfg->envp[cfg->envc++] = v;
		break;
	case K_WORKDIR:
		cfg->workdir_set = 1;
		if (!*v)
			return config_fail(err, err_len, "empty workdir");
		cfg->workdir = v;
		break;
	case K_RLIMIT:
		if (parse_rlimit(v, &cfg->rlimits[cfg->nrlimits]) < 0)
			return config_fail(err, err_len, "bad rlimit \"%.64s\" (want ID=CUR:MAX)", v);
		cfg->nrlimits++;
		break;
	case K_HOSTNAME:
		if (!*v || strlen(v) > HOSTNAME_MAX)
			return config_fail(err, err_len, "hostname empty or over %d bytes", HOSTNAME_MAX);
		cfg->hostname = v;
		break;
	case K_STDIN:
	case K_STDOUT:
	case K_STDERR:
		if (parse_stdio(v, &cfg->stdio[rec->key - K_STDIN]) < 0)
			return config_fail(err, err_len, "bad %s \"%.64s\" (want console or port)",
				    rec->name, v);
		break;
	case K_ROOT:
		if (strncmp(v, "virtiofs:", 9) == 0 && v[9])
			cfg->virtiofs_tag = v + 9;
		else if (strncmp(v, "disk:/dev/", 10) == 0 && v[10])
			cfg->root_disk = v + 5;
		else if (strcmp(v, "initramfs") != 0)
			return config_fail(err, err_len, "bad root \"%.64s\"", v);
		break;
	case K_ROOT_FSTYPE:
		if (!*v)
			return config_fail(err, err_len, "empty root_fstype");
		cfg->root_fstype = v;
		break;
	case K_ROOT_OPTIONS:
		cfg->root_options = v;
		break;
	case K_NET_DHCP:
		if (!*v || strlen(v) > IFNAME_MAX || strchr(v, '/'))
			return config_fail(err, err_len, "bad net_dhcp interface \"%.64s\"", v);
		cfg->net_dhcp[cfg->nnet_dhcp++] = v;
		break;
	case K_UNKNOWN:
	case K_COUNT:
		break;
	}
	return 0;
}

/* A root other than the initramfs: virtio-fs or a disk. */
static int root_is_shared_or_disk(const char *data, size_t len)
{
	struct record rec;
	size_t pos = 0;

	while (next_record(data, len, &pos, &rec) > 0)
		if (rec.key == K_ROOT && (strncmp(rec.value, "virtiofs:", 9) == 0 ||
					  strncmp(rec.value, "disk:", 5) == 0))
			return 1;
	return 0;
}

int config_parse(struct config *cfg, const char *data, size_t len, char *err, size_t err_len)
{
	size_t pos = 0, nargs = 0, nenv = 0, nrl = 0, nnet = 0;
	unsigned int seen = 0;
	struct record rec;
	int r;

	memset(cfg, 0, sizeof(*cfg));
	if (len > CONFIG_MAX_LEN)
		return config_fail(err, err_len, "config over %zu bytes", CONFIG_MAX_LEN);
	while ((r = next_record(data, len, &pos, &rec)) > 0) {
		if ((seen & (1u << rec.key)) && !(REPEATABLE & (1u << rec.key)))
			return config_fail(err, err_len, "key \"%s\" given twice", rec.name);
		seen |= 1u << rec.key;
		nargs += rec.key == K_ARG;
		nenv += rec.key == K_ENV;
		nrl += rec.key == K_RLIMIT;
		nnet += rec.key == K_NET_DHCP;
	}
	if (r < 0)
		return config_fail(err, err_len, "truncated record at byte %zu of %zu", pos, len);
	/* Without exec the workload comes from the root's /.krun_config.json
	 * (oci_config.c), so there must be a root other than the initramfs. */
	if (!(seen & (1u << K_EXEC)) && !root_is_shared_or_disk(data, len))
		return config_fail(err, err_len, "no exec record");

	/* Counts are bounded by len / 4 (a record is at least 4 bytes): no overflow. */
	cfg->argv = calloc(nargs + 2, sizeof(*cfg->argv));
	cfg->envp = calloc(nenv + 1, sizeof(*cfg->envp));
	cfg->rlimits = calloc(nrl + 1, sizeof(*cfg->rlimits));
	cfg->net_dhcp = calloc(nnet + 1, sizeof(*cfg->net_dhcp));
	if (!cfg->argv || !cfg->envp || !cfg->rlimits || !cfg->net_dhcp) {
		config_free(cfg);
		return config_fail(err, err_len, "out of memory for %zu args, %zu env", nargs, nenv);
	}
	cfg->argc = 1; /* argv[0] is exec, set when its record comes */
	cfg->workdir = "/";
	cfg->root_fstype = "auto";
	cfg->root_options = "";
	for (pos = 0; next_record(data, len, &pos, &rec) > 0;) {
		if (apply(cfg, &rec, err, err_len) < 0) {
			config_free(cfg);
			return -1;
		}
	}
	return 0;
}

void config_free(struct config *cfg)
{
	free(cfg->argv);
	free(cfg->envp);
	free(cfg->rlimits);
	free(cfg->net_dhcp);
	free(cfg->owned);
	memset(cfg, 0, sizeof(*cfg));
}
