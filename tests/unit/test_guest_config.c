/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The VMM's config writer (src/vmm/initramfs.c) against the guest's parser
 * (init/config.c, compiled into this test). Inputs are copied into buffers of
 * their exact size, so ASan catches any read past the end.
 */
#include "harness.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "init/config.h"
#include "vmm/initramfs.h"

struct parsed {
	struct config cfg;
	char *copy;
	char err[256];
	int r;
};

static void parse(struct parsed *p, const void *data, size_t len)
{
	p->copy = malloc(len ? len : 1);
	CHECK(p->copy != NULL);
	if (len)
		memcpy(p->copy, data, len);
	p->err[0] = '\0';
	p->r = config_parse(&p->cfg, p->copy, len, p->err, sizeof(p->err));
	CHECK(p->r == 0 || p->err[0]); /* a failure always says why */
}

static void parsed_free(struct parsed *p)
{
	if (p->r == 0)
		config_free(&p->cfg);
	free(p->copy);
}

/* Parses and expects failure; returns nothing to free. */
static void check_rejected(const void *data, size_t len)
{
	struct parsed p;

	parse(&p, data, len);
	CHECK_EQ(p.r, -1);
	parsed_free(&p);
}

#define REJECTS(lit) check_rejected(lit, sizeof(lit) - 1)

static void add(struct buf *b, const char *k, const char *v)
{
	CHECK_EQ(guest_config_add(b, k, v), 0);
}

TEST(config_round_trip_keeps_every_field)
{
	static const char *const args[] = { "", "two words", "new\nline", "a=b", "\xe2\x82\xac" };
	struct buf b = { 0 };
	struct parsed p;
	size_t i;

	add(&b, "exec", "/usr/bin/env");
	for (i = 0; i < 5; i++)
		add(&b, "arg", args[i]);
	add(&b, "env", "PATH=/bin");
	add(&b, "env", "EMPTY=");
	add(&b, "workdir", "/tmp/x y");
	add(&b, "rlimit", "7=1024:4096");
	add(&b, "rlimit", "4=0:18446744073709551615");
	add(&b, "hostname", "vm1");
	add(&b, "stdin", "port");
	add(&b, "stdout", "console");
	add(&b, "stderr", "port");
	add(&b, "root", "virtiofs:myfs");
	parse(&p, b.data, b.len);
	CHECK_EQ(p.r, 0);
	CHECK_STR_EQ(p.cfg.exec, "/usr/bin/env");
	CHECK_EQ(p.cfg.argc, 6);
	CHECK_STR_EQ(p.cfg.argv[0], "/usr/bin/env");
	for (i = 0; i < 5; i++)
		CHECK_STR_EQ(p.cfg.argv[i + 1], args[i]);
	CHECK(p.cfg.argv[6] == NULL);
	CHECK_EQ(p.cfg.envc, 2);
	CHECK_STR_EQ(p.cfg.envp[0], "PATH=/bin");
	CHECK_STR_EQ(p.cfg.envp[1], "EMPTY=");
	CHECK(p.cfg.envp[2] == NULL);
	CHECK_STR_EQ(p.cfg.workdir, "/tmp/x y");
	CHECK_EQ(p.cfg.nrlimits, 2);
	CHECK_EQ(p.cfg.rlimits[0].id, RLIMIT_NOFILE);
	CHECK_EQ(p.cfg.rlimits[0].cur, 1024);
	CHECK_EQ(p.cfg.rlimits[0].max, 4096);
	CHECK_EQ(p.cfg.rlimits[1].id, RLIMIT_CORE);
	CHECK(p.cfg.rlimits[1].max == UINT64_MAX && (rlim_t)p.cfg.rlimits[1].max == RLIM_INFINITY);
	CHECK_STR_EQ(p.cfg.hostname, "vm1");
	CHECK_EQ(p.cfg.stdio[0], STDIO_PORT);
	CHECK_EQ(p.cfg.stdio[1], STDIO_CONSOLE);
	CHECK_EQ(p.cfg.stdio[2], STDIO_PORT);
	CHECK_STR_EQ(p.cfg.virtiofs_tag, "myfs");
	parsed_free(&p);
	buf_release(&b);
}

TEST(config_with_only_exec_gets_the_documented_defaults)
{
	struct parsed p;

	parse(&p, "exec\0sh\0", 8);
	CHECK_EQ(p.r, 0);
	CHECK_EQ(p.cfg.argc, 1);
	CHECK_STR_EQ(p.cfg.argv[0], "sh");
	CHECK(p.cfg.argv[1] == NULL);
	CHECK_EQ(p.cfg.envc, 0);
	CHECK(p.cfg.envp[0] == NULL);
	CHECK_STR_EQ(p.cfg.workdir, "/");
	CHECK(p.cfg.hostname == NULL && p.cfg.virtiofs_tag == NULL);
	CHECK_EQ(p.cfg.stdio[0] | p.cfg.stdio[1] | p.cfg.stdio[2], STDIO_CONSOLE);
	CHECK_EQ(p.cfg.nrlimits, 0);
	parsed_free(&p);

	parse(&p, "root\0initramfs\0exec\0sh\0", 23);
	CHECK_EQ(p.r, 0);
	CHECK(p.cfg.virtiofs_tag == NULL);
	CHECK_EQ(p.cfg.workdir_set, 0);
	parsed_free(&p);
}

TEST(config_without_exec_is_accepted_only_with_a_virtiofs_root)
{
	static const char ok[] = "root\0virtiofs:/dev/root\0workdir\0/w\0";
	struct parsed p;

	parse(&p, ok, sizeof(ok) - 1);
	CHECK_EQ(p.r, 0);
	CHECK(p.cfg.exec == NULL);
	CHECK_STR_EQ(p.cfg.virtiofs_tag, "/dev/root");
	CHECK_STR_EQ(p.cfg.workdir, "/w");
	CHECK_EQ(p.cfg.workdir_set, 1);
	parsed_free(&p);
	REJECTS("root\0initramfs\0");
	REJECTS("arg\0a\0");
}

TEST(config_rejects_empty_and_truncated_input)
{
	check_rejected("", 0);
	REJECTS("exec");             /* key without its NUL */
	REJECTS("exec\0");           /* no value */
	REJECTS("exec\0/bin/sh");    /* value without its NUL */
	REJECTS("exec\0sh\0arg");    /* a truncated last record */
	REJECTS("exec\0sh\0arg\0");
	REJECTS("env\0A=1\0");       /* complete, but no exec */
}

TEST(config_every_prefix_parses_or_fails_cleanly)
{
	struct buf b = { 0 };
	struct parsed p;
	size_t len, ok = 0;

	add(&b, "exec", "/bin/sh");
	add(&b, "arg", "-c");
	add(&b, "unknown", "v");
	add(&b, "env", "A=1");
	for (len = 0; len <= b.len; len++) {
		parse(&p, b.data, len);
		ok += p.r == 0;
		parsed_free(&p);
	}
	CHECK_EQ(ok, 4); /* exactly the record boundaries after exec */
	buf_release(&b);
}

TEST(config_ignores_unknown_keys)
{
	struct parsed p;
	static const char in[] = "future\0x\0exec\0sh\0\0\0future\0y\0arg\0a\0";

	parse(&p, in, sizeof(in) - 1);
	CHECK_EQ(p.r, 0);
	CHECK_EQ(p.cfg.argc, 2);
	CHECK_STR_EQ(p.cfg.argv[1], "a");
	parsed_free(&p);
}

TEST(config_rejects_a_once_key_given_twice)
{
	REJECTS("exec\0a\0exec\0b\0");
	REJECTS("exec\0a\0stdout\0port\0stdout\0port\0");
	REJECTS("exec\0a\0root\0initramfs\0root\0initramfs\0");
	REJECTS("exec\0a\0workdir\0/\0workdir\0/\0");
	REJECTS("exec\0a\0hostname\0h\0hostname\0h\0");
}

TEST(config_rejects_bad_values)
{
	REJECTS("exec\0\0");
	REJECTS("exec\0a\0workdir\0\0");
	REJECTS("exec\0a\0stdin\0file\0");
	REJECTS("exec\0a\0stderr\0\0");
	REJECTS("exec\0a\0root\0virtiofs:\0");
	REJECTS("exec\0a\0root\0nfs\0");
	REJECTS("exec\0a\0hostname\0\0");
	REJECTS("exec\0a\0hostname\0"
		"12345678901234567890123456789012345678901234567890123456789012345\0");
	REJECTS("exec\0a\0rlimit\0" "16=1:2\0");
	REJECTS("exec\0a\0rlimit\0" "7=2:1\0");
	REJECTS("exec\0a\0rlimit\0" "7=1\0");
	REJECTS("exec\0a\0rlimit\0" "7=1:2 \0");
	REJECTS("exec\0a\0rlimit\0" "-7=1:2\0");
	REJECTS("exec\0a\0rlimit\0" "7=-1:2\0");
	REJECTS("exec\0a\0rlimit\0" "x=1:2\0");
	REJECTS("exec\0a\0rlimit\0" "7=1:18446744073709551616\0");
	REJECTS("exec\0a\0rlimit\0" "\0");
}

TEST(config_takes_10000_args_in_order)
{
	struct buf b = { 0 };
	struct parsed p;
	char v[16];
	int i;

	add(&b, "exec", "/bin/echo");
	for (i = 0; i < 10000; i++) {
		snprintf(v, sizeof(v), "%d", i);
		add(&b, "arg", v);
		add(&b, "env", "K=v");
	}
	parse(&p, b.data, b.len);
	CHECK_EQ(p.r, 0);
	CHECK_EQ(p.cfg.argc, 10001);
	CHECK_EQ(p.cfg.envc, 10000);
	CHECK(p.cfg.argv[10001] == NULL && p.cfg.envp[10000] == NULL);
	for (i = 0; i < 10000; i++) {
		snprintf(v, sizeof(v), "%d", i);
		CHECK_STR_EQ(p.cfg.argv[i + 1], v);
	}
	parsed_free(&p);
	buf_release(&b);
}

TEST(config_takes_a_huge_value_and_refuses_an_oversized_file)
{
	size_t n = 8u << 20;
	char *big = malloc(n + 1);
	struct buf b = { 0 };
	struct parsed p;
	char err[64];
	struct config cfg;

	CHECK(big != NULL);
	memset(big, 'x', n);
	big[n] = '\0';
	add(&b, "exec", "/bin/true");
	add(&b, "arg", big);
	parse(&p, b.data, b.len);
	CHECK_EQ(p.r, 0);
	CHECK_EQ(strlen(p.cfg.argv[1]), n);
	parsed_free(&p);
	/* The length is checked before any byte is read. */
	CHECK_EQ(config_parse(&cfg, big, CONFIG_MAX_LEN + 1, err, sizeof(err)), -1);
	free(big);
	buf_release(&b);
}

TEST(config_random_bytes_never_crash_the_parser)
{
	unsigned char data[96];
	uint32_t x = 12345;
	struct parsed p;
	int i, ok = 0;
	size_t j;

	for (i = 0; i < 20000; i++) {
		size_t len = (size_t)(i % 96);

		for (j = 0; j < len; j++) {
			x = x * 1103515245u + 12345u;
			/* mostly NULs and key letters, to reach deep into the parser */
			data[j] = "\0\0\0execargnvw=:0123456789/"[(x >> 16) % 26];
		}
		if (len >= 8 && i % 2)
			memcpy(data, "exec\0sh\0", 8);
		parse(&p, data, len);
		ok += p.r == 0;
		parsed_free(&p);
	}
	CHECK(ok > 0);
}

TEST(config_disk_root_names_device_fstype_and_options_and_needs_no_exec)
{
	static const char full[] = "root\0disk:/dev/vda\0root_fstype\0ext4\0"
				   "root_options\0ro,noatime\0";
	static const char bare[] = "root\0disk:/dev/vdb\0";
	struct parsed p;

	parse(&p, full, sizeof(full) - 1);
	CHECK_EQ(p.r, 0);
	CHECK(p.cfg.exec == NULL && p.cfg.virtiofs_tag == NULL);
	CHECK_STR_EQ(p.cfg.root_disk, "/dev/vda");
	CHECK_STR_EQ(p.cfg.root_fstype, "ext4");
	CHECK_STR_EQ(p.cfg.root_options, "ro,noatime");
	parsed_free(&p);
	parse(&p, bare, sizeof(bare) - 1);
	CHECK_EQ(p.r, 0);
	CHECK_STR_EQ(p.cfg.root_disk, "/dev/vdb");
	CHECK_STR_EQ(p.cfg.root_fstype, "auto");
	CHECK_STR_EQ(p.cfg.root_options, "");
	parsed_free(&p);
	REJECTS("exec\0sh\0root\0disk:vda\0");
	REJECTS("exec\0sh\0root\0disk:/dev/\0");
	REJECTS("exec\0sh\0root\0disk:/dev/vda\0root_fstype\0\0");
	REJECTS("root\0disk:/dev/vda\0root_fstype\0ext4\0root_fstype\0xfs\0");
}

TEST(config_net_dhcp_lists_interfaces_in_order_and_refuses_bad_names)
{
	struct parsed p;
	static const char in[] = "exec\0sh\0net_dhcp\0eth0\0net_dhcp\0eth1\0";

	parse(&p, in, sizeof(in) - 1);
	CHECK_EQ(p.r, 0);
	CHECK_EQ(p.cfg.nnet_dhcp, 2);
	CHECK_STR_EQ(p.cfg.net_dhcp[0], "eth0");
	CHECK_STR_EQ(p.cfg.net_dhcp[1], "eth1");
	CHECK(p.cfg.net_dhcp[2] == NULL);
	parsed_free(&p);
	parse(&p, "exec\0sh\0", 8);
	CHECK_EQ(p.r, 0);
	CHECK_EQ(p.cfg.nnet_dhcp, 0);
	parsed_free(&p);
	REJECTS("exec\0a\0net_dhcp\0\0");
	REJECTS("exec\0a\0net_dhcp\0../eth0\0");
	REJECTS("exec\0a\0net_dhcp\0a-name-of-16-chr\0");
}
