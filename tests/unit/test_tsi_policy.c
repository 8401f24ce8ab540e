/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The TSI policy (src/tsi/policy.h) as pure functions: the classes of
 * addresses (the unspecified and IPv4-mapped forms of loopback count as the
 * host, issue 16), the strict parser of allow-list entries, the decision, the
 * host's own addresses through the routing lookup, the listener address with
 * TSI_LISTEN_LOOPBACK; the log rate limiter; and the public calls that take
 * them (krun_set_tsi_policy, krun_set_tsi_limit).
 */
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include "libkrun.h"
#include "logcap.h"
#include "tsi/policy.h"
#include "tsi/tsi.h"
#include "util/ratelimit.h"

/* text: an IPv4 or IPv6 address; port in host order. */
static struct sockaddr_storage sa_of(const char *text, uint16_t port)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

	if (inet_pton(AF_INET, text, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
	} else if (inet_pton(AF_INET6, text, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
	} else {
		harness_fail(__FILE__, __LINE__, "bad test address %s", text);
	}
	return ss;
}

static unsigned int class_of(const char *text)
{
	struct sockaddr_storage ss = sa_of(text, 80);

	return tsi_addr_class((struct sockaddr *)&ss);
}

TEST(tsi_policy_unspecified_and_mapped_forms_of_loopback_are_the_host)
{
	static const char *const host[] = {
		"0.0.0.0", "0.1.2.3", "127.0.0.1", "127.255.0.9", "::", "::1",
		"::ffff:0.0.0.0", "::ffff:0:0", "::ffff:127.0.0.1", "::ffff:127.9.9.9",
	};

	for (size_t i = 0; i < sizeof(host) / sizeof(host[0]); i++) {
		if (class_of(host[i]) != TSI_CLASS_HOST)
			harness_fail(__FILE__, __LINE__, "%s: class %u", host[i], class_of(host[i]));
	}
	/* Neighbours that are not. */
	CHECK_EQ(class_of("1.0.0.0"), 0);
	CHECK_EQ(class_of("126.255.255.255"), 0);
	CHECK_EQ(class_of("128.0.0.0"), 0);
	CHECK_EQ(class_of("::2"), 0);
	CHECK_EQ(class_of("::127.0.0.1"), 0); /* IPv4-compatible, not mapped */
	CHECK_EQ(class_of("::fffe:127.0.0.1"), 0);
}

TEST(tsi_policy_link_local_and_private_ranges)
{
	CHECK_EQ(class_of("169.254.169.254"), TSI_CLASS_LINK_LOCAL);
	CHECK_EQ(class_of("169.254.0.0"), TSI_CLASS_LINK_LOCAL);
	CHECK_EQ(class_of("::ffff:169.254.169.254"), TSI_CLASS_LINK_LOCAL);
	CHECK_EQ(class_of("fe80::1"), TSI_CLASS_LINK_LOCAL);
	CHECK_EQ(class_of("febf:ffff::1"), TSI_CLASS_LINK_LOCAL);
	CHECK_EQ(class_of("169.253.255.255"), 0);
	CHECK_EQ(class_of("169.255.0.0"), 0);
	CHECK_EQ(class_of("fec0::1"), 0);

	static const char *const priv[] = {
		"10.0.0.0", "10.255.255.255", "172.16.0.1", "172.31.255.255", "192.168.0.1",
		"192.168.255.255", "100.64.0.1", "100.127.255.255", "fc00::", "fd77::1",
		"fdff:ffff::1", "::ffff:10.1.2.3",
	};
	for (size_t i = 0; i < sizeof(priv) / sizeof(priv[0]); i++)
		if (class_of(priv[i]) != TSI_CLASS_PRIVATE)
			harness_fail(__FILE__, __LINE__, "%s: class %u", priv[i], class_of(priv[i]));
	static const char *const pub[] = {
		"9.255.255.255", "11.0.0.0", "172.15.255.255", "172.32.0.0", "192.167.255.255",
		"192.169.0.0", "100.63.255.255", "100.128.0.0", "8.8.8.8", "1.1.1.1",
		"2001:4860:4860::8888", "fbff::1", "fe00::1", "ff02::1", "224.0.0.1",
	};
	for (size_t i = 0; i < sizeof(pub) / sizeof(pub[0]); i++)
		if (class_of(pub[i]) != 0)
			harness_fail(__FILE__, __LINE__, "%s: class %u", pub[i], class_of(pub[i]));
}

/* The decision for text:port under p, the host owning nothing. */
static int decide(const struct tsi_policy *p, const char *text, uint16_t port)
{
	struct sockaddr_storage ss = sa_of(text, port);

	return tsi_policy_decide(p, (struct sockaddr *)&ss, false);
}

/* A policy of flags and the entries given (each must parse). */
static struct tsi_policy policy_of(uint32_t flags, const char *const *rules, size_t n)
{
	struct tsi_policy p = { .flags = flags };
	const char *why = NULL;

	for (size_t i = 0; i < n; i++) {
		if (tsi_rule_parse(rules[i], &p.rules[p.nrules], &why) < 0)
			harness_fail(__FILE__, __LINE__, "%s: %s", rules[i], why);
		p.nrules++;
	}
	return p;
}

TEST(tsi_policy_zero_policy_allows_everything_as_upstream)
{
	const struct tsi_policy open = { 0 };

	CHECK_EQ(decide(&open, "0.0.0.0", 22), 0);
	CHECK_EQ(decide(&open, "::", 22), 0);
	CHECK_EQ(decide(&open, "169.254.169.254", 80), 0);
	CHECK_EQ(decide(&open, "10.1.2.3", 80), 0);
	CHECK_EQ(decide(&open, "8.8.8.8", 53), 0);
}

TEST(tsi_policy_each_flag_denies_its_class_only)
{
	const struct tsi_policy host = policy_of(TSI_DENY_HOST, NULL, 0);
	const struct tsi_policy link = policy_of(TSI_DENY_LINK_LOCAL, NULL, 0);
	const struct tsi_policy priv = policy_of(TSI_DENY_PRIVATE, NULL, 0);
	struct sockaddr_storage ss = sa_of("10.77.0.2", 80);

	CHECK_EQ(decide(&host, "0.0.0.0", 22), -EPERM);
	CHECK_EQ(decide(&host, "::", 22), -EPERM);
	CHECK_EQ(decide(&host, "::ffff:0:0", 22), -EPERM);
	CHECK_EQ(decide(&host, "::ffff:127.0.0.1", 22), -EPERM);
	CHECK_EQ(decide(&host, "127.0.0.53", 53), -EPERM);
	CHECK_EQ(decide(&host, "::1", 22), -EPERM);
	CHECK_EQ(decide(&host, "169.254.169.254", 80), 0);
	CHECK_EQ(decide(&host, "10.77.0.1", 80), 0);
	/* The host's own address, as tsi_policy_check learns it. */
	CHECK_EQ(tsi_policy_decide(&host, (struct sockaddr *)&ss, true), -EPERM);
	CHECK_EQ(tsi_policy_decide(&link, (struct sockaddr *)&ss, true), 0);

	CHECK_EQ(decide(&link, "169.254.169.254", 80), -EPERM);
	CHECK_EQ(decide(&link, "::ffff:169.254.169.254", 80), -EPERM);
	CHECK_EQ(decide(&link, "fe80::1", 80), -EPERM);
	CHECK_EQ(decide(&link, "0.0.0.0", 80), 0);
	CHECK_EQ(decide(&link, "10.0.0.1", 80), 0);

	CHECK_EQ(decide(&priv, "10.0.0.1", 80), -EPERM);
	CHECK_EQ(decide(&priv, "172.16.5.5", 80), -EPERM);
	CHECK_EQ(decide(&priv, "192.168.1.1", 80), -EPERM);
	CHECK_EQ(decide(&priv, "100.64.0.1", 80), -EPERM);
	CHECK_EQ(decide(&priv, "fc00::1", 80), -EPERM);
	CHECK_EQ(decide(&priv, "::ffff:192.168.1.1", 80), -EPERM);
	CHECK_EQ(decide(&priv, "127.0.0.1", 80), 0);
	CHECK_EQ(decide(&priv, "169.254.169.254", 80), 0);
	CHECK_EQ(decide(&priv, "93.184.216.34", 443), 0);
	CHECK_EQ(decide(&priv, "2606:4700::1111", 443), 0);
}

TEST(tsi_policy_allow_list_with_ports_wins_over_the_flags)
{
	static const char *const rules[] = {
		"10.0.0.53:53", "192.168.1.0/24", "[fd00::/8]:443", "127.0.0.53:53", "2001:db8::/32",
	};
	const struct tsi_policy only =
		policy_of(TSI_ALLOW_LIST_ONLY, rules, sizeof(rules) / sizeof(rules[0]));
	const struct tsi_policy deny = policy_of(TSI_DENY_HOST | TSI_DENY_PRIVATE, rules,
						 sizeof(rules) / sizeof(rules[0]));

	CHECK_EQ(decide(&only, "10.0.0.53", 53), 0);
	CHECK_EQ(decide(&only, "::ffff:10.0.0.53", 53), 0); /* mapped: as IPv4 */
	CHECK_EQ(decide(&only, "10.0.0.53", 54), -EPERM);
	CHECK_EQ(decide(&only, "10.0.0.54", 53), -EPERM);
	CHECK_EQ(decide(&only, "192.168.1.0", 1), 0);
	CHECK_EQ(decide(&only, "192.168.1.255", 65535), 0);
	CHECK_EQ(decide(&only, "192.168.2.0", 80), -EPERM);
	CHECK_EQ(decide(&only, "fd12::1", 443), 0);
	CHECK_EQ(decide(&only, "fd12::1", 80), -EPERM);
	CHECK_EQ(decide(&only, "fe00::1", 443), -EPERM);
	CHECK_EQ(decide(&only, "2001:db8:ffff::1", 7), 0);
	CHECK_EQ(decide(&only, "2001:db9::1", 7), -EPERM);
	CHECK_EQ(decide(&only, "8.8.8.8", 53), -EPERM);
	CHECK_EQ(decide(&only, "0.0.0.0", 53), -EPERM);

	CHECK_EQ(decide(&deny, "127.0.0.53", 53), 0); /* an exception to DENY_HOST */
	CHECK_EQ(decide(&deny, "127.0.0.53", 80), -EPERM);
	CHECK_EQ(decide(&deny, "0.0.0.0", 53), -EPERM); /* 0.0.0.0 is not 127.0.0.53 */
	CHECK_EQ(decide(&deny, "192.168.1.7", 22), 0);
	CHECK_EQ(decide(&deny, "192.168.2.7", 22), -EPERM);
	CHECK_EQ(decide(&deny, "8.8.8.8", 53), 0);

	/* Prefix lengths that do not end on a byte, and the extremes. */
	static const char *const odd[] = { "172.16.0.0/12", "0.0.0.0/0:443", "fe80::/10" };
	const struct tsi_policy o = policy_of(TSI_ALLOW_LIST_ONLY, odd, 3);
	CHECK_EQ(decide(&o, "172.31.255.255", 1), 0);
	CHECK_EQ(decide(&o, "172.32.0.0", 1), -EPERM);
	CHECK_EQ(decide(&o, "172.15.255.255", 1), -EPERM);
	CHECK_EQ(decide(&o, "1.2.3.4", 443), 0);
	CHECK_EQ(decide(&o, "1.2.3.4", 444), -EPERM);
	CHECK_EQ(decide(&o, "::ffff:1.2.3.4", 443), 0);
	CHECK_EQ(decide(&o, "2001::1", 443), -EPERM); /* 0.0.0.0/0 is IPv4 only */
	CHECK_EQ(decide(&o, "febf::1", 9), 0);
	CHECK_EQ(decide(&o, "fec0::1", 9), -EPERM);
}

TEST(tsi_policy_parser_takes_each_form)
{
	struct tsi_rule r;
	const char *why;

	CHECK_EQ(tsi_rule_parse("10.0.0.0/8", &r, &why), 0);
	CHECK_EQ(r.family, 4);
	CHECK_EQ(r.prefix, 8);
	CHECK_EQ(r.port, 0);
	CHECK_EQ(r.addr[0], 10);
	CHECK_EQ(tsi_rule_parse("10.0.0.1", &r, &why), 0);
	CHECK_EQ(r.prefix, 32);
	CHECK_EQ(tsi_rule_parse("10.0.0.1:53", &r, &why), 0);
	CHECK_EQ(r.port, 53);
	CHECK_EQ(r.prefix, 32);
	CHECK_EQ(tsi_rule_parse("10.0.0.0/8:65535", &r, &why), 0);
	CHECK_EQ(r.port, 65535);
	CHECK_EQ(tsi_rule_parse("::1", &r, &why), 0);
	CHECK_EQ(r.family, 6);
	CHECK_EQ(r.prefix, 128);
	CHECK_EQ(r.port, 0);
	CHECK_EQ(tsi_rule_parse("fd00::/8", &r, &why), 0);
	CHECK_EQ(r.prefix, 8);
	CHECK_EQ(tsi_rule_parse("[fd00::/8]:443", &r, &why), 0);
	CHECK_EQ(r.port, 443);
	CHECK_EQ(tsi_rule_parse("[::1]:8080", &r, &why), 0);
	CHECK_EQ(r.port, 8080);
	CHECK_EQ(r.prefix, 128);
	CHECK_EQ(tsi_rule_parse("::/0", &r, &why), 0);
	CHECK_EQ(r.prefix, 0);
	CHECK_EQ(tsi_rule_parse("0.0.0.0/0", &r, &why), 0);
	CHECK_EQ(tsi_rule_parse("::/80", &r, &why), 0); /* holds the mapped range: allowed */
}

TEST(tsi_policy_parser_refuses_anything_loose)
{
	static const char *const bad[] = {
		"", "10.0.0.1 ", " 10.0.0.1", "10.0.0", "10.0.0.256", "010.0.0.1", "10.0.0.1/",
		"10.0.0.1/33", "10.0.0.1/08", "10.0.0.0/-8", "10.0.0.1/8", /* host bits */
		"10.0.0.1:", "10.0.0.1:0", "10.0.0.1:65536", "10.0.0.1:053", "10.0.0.1:+53",
		"10.0.0.1:53:", "10.0.0.1:5x", "[10.0.0.1]:53", "[::1]", "[::1]:", "[::1]:0",
		"[::1:53", "::1]:53", "fd00::/129", "fd00::1/8", "fe80::1%eth0", "::ffff:10.0.0.1",
		"::ffff:10.0.0.0/104", "host.example:53", "10.0.0.1/8/8", "*",
		"1234567890123456789012345678901234567890123456789012345678901234567890",
	};
	struct tsi_rule r;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *why = NULL;

		if (tsi_rule_parse(bad[i], &r, &why) != -EINVAL || !why || !*why)
			harness_fail(__FILE__, __LINE__, "\"%s\" was taken", bad[i]);
	}
}

/* An address of an interface of this host that is neither loopback nor
 * link-local, of family, in *ss; false if there is none. */
static bool own_address(int family, struct sockaddr_storage *ss)
{
	struct ifaddrs *ifs, *i;
	bool found = false;

	if (getifaddrs(&ifs) < 0)
		return false;
	for (i = ifs; i && !found; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != family || (i->ifa_flags & IFF_LOOPBACK))
			continue;
		memset(ss, 0, sizeof(*ss));
		memcpy(ss, i->ifa_addr, family == AF_INET ? sizeof(struct sockaddr_in)
							   : sizeof(struct sockaddr_in6));
		found = tsi_addr_class((struct sockaddr *)ss) != TSI_CLASS_LINK_LOCAL;
	}
	freeifaddrs(ifs);
	return found;
}

TEST(tsi_policy_host_own_addresses_count_as_the_host)
{
	const struct tsi_policy host = { .flags = TSI_DENY_HOST };
	const struct tsi_policy priv = { .flags = TSI_DENY_PRIVATE };
	struct sockaddr_storage own, other = sa_of("192.0.2.1", 80), zero = sa_of("0.0.0.0", 9);
	struct sockaddr_in6 mapped = { .sin6_family = AF_INET6, .sin6_port = htons(80) };

	/* The routing says "local" for loopback and 0.0.0.0 too. */
	CHECK_EQ(tsi_route_local((struct sockaddr *)&zero), 1);
	CHECK_EQ(tsi_route_local((struct sockaddr *)&other), 0); /* TEST-NET-1 */
	if (!own_address(AF_INET, &own))
		SKIP("no IPv4 address but loopback here");
	((struct sockaddr_in *)&own)->sin_port = htons(80);
	CHECK_EQ(tsi_route_local((struct sockaddr *)&own), 1);
	CHECK_EQ(tsi_policy_check(&host, (struct sockaddr *)&own), -EPERM);
	CHECK_EQ(tsi_policy_decide(&host, (struct sockaddr *)&own, false),
		 tsi_addr_class((struct sockaddr *)&own) & TSI_DENY_HOST ? -EPERM : 0);
	/* Its v4-mapped form is looked up as IPv4. */
	memset(mapped.sin6_addr.s6_addr + 10, 0xff, 2);
	memcpy(mapped.sin6_addr.s6_addr + 12, &((struct sockaddr_in *)&own)->sin_addr, 4);
	CHECK_EQ(tsi_policy_check(&host, (struct sockaddr *)&mapped), -EPERM);
	/* Without DENY_HOST no lookup changes anything. */
	CHECK_EQ(tsi_policy_check(&priv, (struct sockaddr *)&other), 0);
	CHECK_EQ(tsi_policy_check(&host, (struct sockaddr *)&other), 0);
}

TEST(tsi_policy_listen_loopback_rebinds_every_other_address)
{
	const struct tsi_policy lo = { .flags = TSI_LISTEN_LOOPBACK }, open = { 0 };
	struct sockaddr_storage ss;
	char text[INET6_ADDRSTRLEN];

	ss = sa_of("0.0.0.0", 8080);
	tsi_policy_bind_addr(&open, &ss);
	CHECK_EQ(((struct sockaddr_in *)&ss)->sin_addr.s_addr, 0);
	tsi_policy_bind_addr(&lo, &ss);
	CHECK_EQ(ntohl(((struct sockaddr_in *)&ss)->sin_addr.s_addr), INADDR_LOOPBACK);
	CHECK_EQ(ntohs(((struct sockaddr_in *)&ss)->sin_port), 8080);
	ss = sa_of("127.0.0.5", 1);
	tsi_policy_bind_addr(&lo, &ss); /* loopback already: kept */
	inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, text, sizeof(text));
	CHECK_STR_EQ(text, "127.0.0.5");
	ss = sa_of("::", 8080);
	tsi_policy_bind_addr(&lo, &ss);
	CHECK(IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6 *)&ss)->sin6_addr));
	CHECK_EQ(ntohs(((struct sockaddr_in6 *)&ss)->sin6_port), 8080);
	ss = sa_of("::ffff:0.0.0.0", 7);
	tsi_policy_bind_addr(&lo, &ss);
	CHECK(IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6 *)&ss)->sin6_addr));
	ss = sa_of("10.1.2.3", 7);
	tsi_policy_bind_addr(&lo, &ss);
	CHECK_EQ(ntohl(((struct sockaddr_in *)&ss)->sin_addr.s_addr), INADDR_LOOPBACK);
}

TEST(tsi_ratelimit_passes_a_burst_per_window_and_counts_the_rest)
{
	struct ratelimit rl = RATELIMIT_INIT(1000, 3);
	uint64_t held = 99;
	unsigned int passed = 0;

	for (int i = 0; i < 3; i++) {
		CHECK(ratelimit_pass_at(&rl, 5000, &held));
		CHECK_EQ(held, 0);
	}
	for (int i = 0; i < 100; i++)
		passed += ratelimit_pass_at(&rl, 5000 + (uint64_t)i, &held);
	CHECK_EQ(passed, 0);
	CHECK(!ratelimit_pass_at(&rl, 5999, &held));
	CHECK(ratelimit_pass_at(&rl, 6000, &held)); /* a new window */
	CHECK_EQ(held, 101);
	CHECK(ratelimit_pass_at(&rl, 6001, &held));
	CHECK_EQ(held, 0);
	CHECK(ratelimit_pass_at(&rl, 100, &held)); /* a clock gone back: a new window */
	CHECK(ratelimit_pass(&rl, &held));
}

TEST(tsi_policy_api_copies_parses_and_refuses)
{
	const char *allow[] = { "10.0.0.53:53", "[fd00::/8]:443", NULL };
	const char *bad[] = { "10.0.0.53:53", "10.0.0.1/8", NULL };
	char texts[KRUN_TSI_POLICY_MAX_ALLOW + 1][32];
	const char *many[KRUN_TSI_POLICY_MAX_ALLOW + 2];
	struct logcap cap;
	uint32_t ctx;

	krun_set_log_level(KRUN_LOG_LEVEL_OFF);
	CHECK_EQ(krun_set_tsi_policy(999, 0, NULL), -ENOENT);
	CHECK_EQ(krun_set_tsi_limit(999, KRUN_TSI_LIMIT_LISTENERS, 1), -ENOENT);
	krun_set_log_level(KRUN_LOG_LEVEL_WARN);
	ctx = new_ctx();
	CHECK_EQ(krun_set_tsi_policy(ctx, KRUN_TSI_POLICY_DENY_HOST | KRUN_TSI_POLICY_DENY_LINK_LOCAL |
					      KRUN_TSI_POLICY_DENY_PRIVATE |
					      KRUN_TSI_POLICY_ALLOW_LIST_ONLY |
					      KRUN_TSI_POLICY_LISTEN_LOOPBACK,
				     allow), 0);
	CHECK_EQ(krun_set_tsi_policy(ctx, 0, NULL), 0);
	cap_start(&cap);
	CHECK_EQ(krun_set_tsi_policy(ctx, 1u << 5, NULL), -EINVAL);
	CHECK_EQ(krun_set_tsi_policy(ctx, KRUN_TSI_POLICY_ALLOW_LIST_ONLY, bad), -EINVAL);
	const char *log = cap_end(&cap);
	CHECK(strstr(log, "unknown flags 0x20"));
	CHECK(strstr(log, "allow[1] \"10.0.0.1/8\": address has bits set past the prefix length"));
	for (int i = 0; i <= KRUN_TSI_POLICY_MAX_ALLOW; i++) {
		snprintf(texts[i], sizeof(texts[i]), "10.0.%d.0/24", i);
		many[i] = texts[i];
	}
	many[KRUN_TSI_POLICY_MAX_ALLOW] = NULL;
	CHECK_EQ(krun_set_tsi_policy(ctx, KRUN_TSI_POLICY_ALLOW_LIST_ONLY, many), 0);
	many[KRUN_TSI_POLICY_MAX_ALLOW] = texts[KRUN_TSI_POLICY_MAX_ALLOW];
	many[KRUN_TSI_POLICY_MAX_ALLOW + 1] = NULL;
	krun_set_log_level(KRUN_LOG_LEVEL_OFF);
	CHECK_EQ(krun_set_tsi_policy(ctx, KRUN_TSI_POLICY_ALLOW_LIST_ONLY, many), -EINVAL);

	CHECK_EQ(krun_set_tsi_limit(ctx, KRUN_TSI_LIMIT_CONNECTIONS, 0), 0);
	CHECK_EQ(krun_set_tsi_limit(ctx, KRUN_TSI_LIMIT_INBOUND_PER_LISTENER, KRUN_TSI_LIMIT_MAX), 0);
	CHECK_EQ(krun_set_tsi_limit(ctx, KRUN_TSI_LIMIT_INBOUND, KRUN_TSI_LIMIT_MAX + 1), -EINVAL);
	CHECK_EQ(krun_set_tsi_limit(ctx, KRUN_TSI_LIMIT_INBOUND_PER_LISTENER + 1, 1), -EINVAL);
	krun_set_log_level(KRUN_LOG_LEVEL_WARN);
	CHECK_EQ(krun_free_ctx(ctx), 0);
}

TEST(tsi_limits_default_unless_set)
{
	struct tsi_limits l = { 0 };

	CHECK_EQ(tsi_limit_get(&l, TSI_LIMIT_CONNECTIONS), 256);
	CHECK_EQ(tsi_limit_get(&l, TSI_LIMIT_LISTENERS), 32);
	CHECK_EQ(tsi_limit_get(&l, TSI_LIMIT_UDP_SOCKETS), 64);
	CHECK_EQ(tsi_limit_get(&l, TSI_LIMIT_INBOUND), 128);
	CHECK_EQ(tsi_limit_get(&l, TSI_LIMIT_INBOUND_PER_LISTENER), 64);
	l.set = 1u << TSI_LIMIT_UDP_SOCKETS;
	CHECK_EQ(tsi_limit_get(&l, TSI_LIMIT_UDP_SOCKETS), 0);
}
