/* SPDX-License-Identifier: Apache-2.0 */
/* TSI's policy: classes, allow-list rules, decisions; contract in policy.h. */
#include "tsi/policy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

/* A destination as the policy sees it: v4-mapped IPv6 as IPv4. */
struct dest {
	uint8_t family; /* 4 or 6 */
	uint8_t addr[16];
	uint16_t port; /* host order */
};

static bool dest_of(const struct sockaddr *sa, struct dest *d)
{
	memset(d, 0, sizeof(*d));
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)sa;

		d->family = 4;
		memcpy(d->addr, &sin->sin_addr, 4);
		d->port = ntohs(sin->sin_port);
		return true;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)sa;

		d->port = ntohs(sin6->sin6_port);
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			d->family = 4;
			memcpy(d->addr, sin6->sin6_addr.s6_addr + 12, 4);
		} else {
			d->family = 6;
			memcpy(d->addr, sin6->sin6_addr.s6_addr, 16);
		}
		return true;
	}
	return false;
}

static unsigned int class4(const uint8_t *a)
{
	uint32_t v = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];

	if (a[0] == 0 || a[0] == 127)
		return TSI_CLASS_HOST; /* Linux connects 0.0.0.0 to loopback */
	if ((v & 0xffff0000u) == 0xa9fe0000u)
		return TSI_CLASS_LINK_LOCAL; /* 169.254.0.0/16, RFC 3927 */
	if (a[0] == 10 || (v & 0xfff00000u) == 0xac100000u || (v & 0xffff0000u) == 0xc0a80000u ||
	    (v & 0xffc00000u) == 0x64400000u)
		return TSI_CLASS_PRIVATE; /* RFC 1918; 100.64.0.0/10, RFC 6598 */
	return 0;
}

static unsigned int class6(const uint8_t *a)
{
	static const uint8_t zero[15];

	if (!memcmp(a, zero, 15) && a[15] <= 1)
		return TSI_CLASS_HOST; /* :: (connected to loopback) and ::1 */
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
		return TSI_CLASS_LINK_LOCAL; /* fe80::/10 */
	if ((a[0] & 0xfe) == 0xfc)
		return TSI_CLASS_PRIVATE; /* fc00::/7, RFC 4193 */
	return 0;
}

static unsigned int dest_class(const struct dest *d)
{
	return d->family == 4 ? class4(d->addr) : class6(d->addr);
}

unsigned int tsi_addr_class(const struct sockaddr *sa)
{
	struct dest d;

	return dest_of(sa, &d) ? dest_class(&d) : 0;
}

bool tsi_addr_loopback(const struct sockaddr *sa)
{
	static const uint8_t one[16] = { [15] = 1 };
	struct dest d;

	if (!dest_of(sa, &d))
		return false;
	return d.family == 4 ? d.addr[0] == 127 : !memcmp(d.addr, one, 16);
}

/* A decimal number of 1 to digits digits, no sign, no leading zero (but "0"),
 * at most max: its value, or -1. */
static long parse_dec(const char *s, unsigned int digits, long max)
{
	long v = 0;
	unsigned int n = 0;

	if (s[0] == '0' && s[1])
		return -1;
	for (; s[n] >= '0' && s[n] <= '9'; n++) {
		if (n == digits)
			return -1;
		v = v * 10 + (s[n] - '0');
	}
	return n == 0 || s[n] || v > max ? -1 : v;
}

/* Whether the bits of a past prefix are all zero. */
static bool host_bits_clear(const uint8_t *a, unsigned int len, unsigned int prefix)
{
	for (unsigned int bit = prefix; bit < len * 8; bit++)
		if (a[bit / 8] & (0x80u >> (bit % 8)))
			return false;
	return true;
}

/* "ADDR" or "ADDR/LEN" (len bytes at s, no port) into r. */
static int parse_cidr(const char *s, size_t len, bool v6_only, struct tsi_rule *r,
		      const char **why)
{
	char text[INET6_ADDRSTRLEN + 4];
	char *slash;
	long prefix = -1;
	unsigned int bytes;

	if (len == 0 || len >= sizeof(text)) {
		*why = len ? "address too long" : "no address";
		return -EINVAL;
	}
	memcpy(text, s, len);
	text[len] = '\0';
	slash = strchr(text, '/');
	if (slash)
		*slash = '\0';
	r->family = strchr(text, ':') ? 6 : 4;
	bytes = r->family == 4 ? 4 : 16;
	if (v6_only && r->family != 6) {
		*why = "brackets hold an IPv6 address";
		return -EINVAL;
	}
	/* inet_pton is strict: dotted quads only, no zone ids, no blanks. */
	if (inet_pton(r->family == 4 ? AF_INET : AF_INET6, text, r->addr) != 1) {
		*why = r->family == 4 ? "not an IPv4 address" : "not an IPv6 address";
		return -EINVAL;
	}
	if (slash && (prefix = parse_dec(slash + 1, 3, (long)bytes * 8)) < 0) {
		*why = r->family == 4 ? "prefix length is not 0-32" : "prefix length is not 0-128";
		return -EINVAL;
	}
	r->prefix = (uint8_t)(slash ? prefix : (long)bytes * 8);
	if (!host_bits_clear(r->addr, bytes, r->prefix)) {
		*why = "address has bits set past the prefix length";
		return -EINVAL;
	}
	/* Mapped destinations are matched as IPv4 (policy.h): such an entry
	 * would never match anything. */
	if (r->family == 6 && r->prefix >= 96 && IN6_IS_ADDR_V4MAPPED((struct in6_addr *)r->addr)) {
		*why = "an IPv4-mapped entry never matches: write the IPv4 address";
		return -EINVAL;
	}
	return 0;
}

int tsi_rule_parse(const char *s, struct tsi_rule *out, const char **why)
{
	struct tsi_rule r = { 0 };
	const char *end, *port = NULL;
	bool bracket = false;
	long p;
	int ret;

	if (!s || !*s) {
		*why = "empty entry";
		return -EINVAL;
	}
	if (s[0] == '[') {
		/* "[IPV6[/LEN]]:PORT": brackets only to set a port apart. */
		end = strchr(s, ']');
		if (!end || end[1] != ':') {
			*why = "want [IPV6/LEN]:PORT";
			return -EINVAL;
		}
		bracket = true;
		port = end + 2;
		s++;
	} else {
		const char *colon = strchr(s, ':');

		end = s + strlen(s);
		if (colon && !strchr(colon + 1, ':')) {
			end = colon; /* IPv4 "CIDR:PORT"; IPv6 has two colons or more */
			port = colon + 1;
		}
	}
	ret = parse_cidr(s, (size_t)(end - s), bracket, &r, why);
	if (ret < 0)
		return ret;
	if (port) {
		p = parse_dec(port, 5, 65535);
		if (p <= 0) {
			*why = "port is not 1-65535";
			return -EINVAL;
		}
		r.port = (uint16_t)p;
	}
	*out = r;
	return 0;
}

static bool rule_matches(const struct tsi_rule *r, const struct dest *d)
{
	unsigned int full = r->prefix / 8, rest = r->prefix % 8;

	if (r->family != d->family || (r->port && r->port != d->port))
		return false;
	if (memcmp(r->addr, d->addr, full))
		return false;
	return !rest || ((r->addr[full] ^ d->addr[full]) & (0xff00u >> rest)) == 0;
}

static bool rules_match(const struct tsi_policy *p, const struct dest *d)
{
	for (unsigned int i = 0; i < p->nrules && i < TSI_POLICY_MAX_RULES; i++)
		if (rule_matches(&p->rules[i], d))
			return true;
	return false;
}

/* Whether the host owns d's address; a lookup that fails says yes. */
static bool host_owns(const struct dest *d)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };

	/* A mapped address is asked for as the IPv4 one the kernel connects. */
	if (d->family == 4) {
		memcpy(&sin.sin_addr, d->addr, 4);
		return tsi_route_local((struct sockaddr *)&sin) != 0;
	}
	memcpy(&sin6.sin6_addr, d->addr, 16);
	return tsi_route_local((struct sockaddr *)&sin6) != 0;
}

int tsi_policy_decide(const struct tsi_policy *p, const struct sockaddr *sa, bool host_own)
{
	struct dest d;

	if (!dest_of(sa, &d))
		return -EPERM;
	if (rules_match(p, &d))
		return 0;
	if (p->flags & TSI_ALLOW_LIST_ONLY)
		return -EPERM;
	return (dest_class(&d) | (host_own ? TSI_CLASS_HOST : 0)) & p->flags ? -EPERM : 0;
}

int tsi_policy_check(const struct tsi_policy *p, const struct sockaddr *sa)
{
	struct dest d;
	unsigned int cls;

	if (!dest_of(sa, &d))
		return -EPERM;
	cls = dest_class(&d);
	/* The lookup only where it decides: the common cases (no flags, a rule
	 * matched, a class denied already) cost no system call. */
	if ((p->flags & TSI_DENY_HOST) && !(p->flags & TSI_ALLOW_LIST_ONLY) &&
	    !(cls & p->flags) && !rules_match(p, &d) && host_owns(&d))
		return -EPERM;
	return tsi_policy_decide(p, sa, false);
}

void tsi_policy_bind_addr(const struct tsi_policy *p, struct sockaddr_storage *ss)
{
	if (!(p->flags & TSI_LISTEN_LOOPBACK) || tsi_addr_loopback((struct sockaddr *)ss))
		return;
	if (ss->ss_family == AF_INET) {
		((struct sockaddr_in *)ss)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	} else if (ss->ss_family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_addr = in6addr_loopback;
		sin6->sin6_flowinfo = 0;
		sin6->sin6_scope_id = 0;
	}
}
