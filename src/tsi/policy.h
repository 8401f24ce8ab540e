/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TSI's policy (krun_set_tsi_policy; docs/tsi.md, "Policy"): which
 * destinations a guest's connect() and each of its UDP datagrams may reach on
 * the host's network, and where guest listeners are exposed. Everything here
 * is a pure function of its arguments except tsi_policy_check, which also
 * asks the kernel whether the host owns an address.
 *
 * An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is taken for the IPv4 address
 * it carries, everywhere: the host's kernel connects it as that address.
 *
 * Classes of a destination:
 *   TSI_CLASS_HOST        the host itself: loopback (127.0.0.0/8, ::1), the
 *                         unspecified addresses (0.0.0.0/8, ::), which the
 *                         kernel connects to loopback, and (tsi_policy_check
 *                         only) every address the host's routing delivers
 *                         locally: its interfaces' addresses in the VMM's
 *                         network namespace, which reach a host service
 *                         bound to 0.0.0.0 just as loopback does;
 *   TSI_CLASS_LINK_LOCAL  169.254.0.0/16 (cloud metadata: 169.254.169.254),
 *                         fe80::/10;
 *   TSI_CLASS_PRIVATE     10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16,
 *                         100.64.0.0/10 (CGNAT), fc00::/7.
 *
 * The decision for a destination: allowed if a rule matches it (its address
 * in the rule's prefix, and its port the rule's when the rule names one);
 * else denied with TSI_ALLOW_LIST_ONLY or when the flags deny one of its
 * classes; else allowed. The zero policy allows everything, as upstream.
 */
#ifndef LIBKRUN_TSI_POLICY_H
#define LIBKRUN_TSI_POLICY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

/* Flags, the values of the public KRUN_TSI_POLICY_* (src/api/tsi_policy.c). */
#define TSI_DENY_HOST 1u
#define TSI_DENY_LINK_LOCAL 2u
#define TSI_DENY_PRIVATE 4u
#define TSI_ALLOW_LIST_ONLY 8u
#define TSI_LISTEN_LOOPBACK 16u /* host listeners on 127.0.0.1 / ::1 only */
#define TSI_POLICY_FLAGS 31u

/* Classes: the same bits as the flags that deny them. */
#define TSI_CLASS_HOST TSI_DENY_HOST
#define TSI_CLASS_LINK_LOCAL TSI_DENY_LINK_LOCAL
#define TSI_CLASS_PRIVATE TSI_DENY_PRIVATE

#define TSI_POLICY_MAX_RULES 64

/* One allow-list entry: "CIDR", "CIDR:PORT" (IPv4), "[CIDR]:PORT" (IPv6). */
struct tsi_rule {
	uint8_t family;   /* 4 or 6 */
	uint8_t prefix;   /* leading bits that must match */
	uint16_t port;    /* host order; 0: every port */
	uint8_t addr[16]; /* network order; IPv4 in the first 4 bytes */
};

/* Held by value (contexts and services copy it whole): no pointers. */
struct tsi_policy {
	uint32_t flags; /* TSI_DENY_*, TSI_ALLOW_LIST_ONLY, TSI_LISTEN_LOOPBACK */
	unsigned int nrules;
	struct tsi_rule rules[TSI_POLICY_MAX_RULES];
};

/* The classes of sa's address (TSI_CLASS_*, maybe none); 0 for a family
 * that is not IP. The host's own addresses are not looked up here. */
unsigned int tsi_addr_class(const struct sockaddr *sa);
/* Whether sa is a loopback address (127.0.0.0/8, ::1, v4-mapped 127/8). */
bool tsi_addr_loopback(const struct sockaddr *sa);

/* Parses one allow-list entry into *out, strictly: 0, or -EINVAL with *why
 * saying what is wrong (a static string, for the caller's log line). */
int tsi_rule_parse(const char *s, struct tsi_rule *out, const char **why);

/* The decision for a guest's connect or datagram to sa (address and port),
 * host_own saying whether the host owns the address: 0 or -EPERM. Pure. */
int tsi_policy_decide(const struct tsi_policy *p, const struct sockaddr *sa, bool host_own);

/* tsi_policy_decide, with the host's routing asked (a netlink route lookup
 * in the VMM's network namespace) whether it owns the address when that
 * matters: only with TSI_DENY_HOST, for an address not decided by its
 * class. A lookup that fails counts as owned (denied). 0 or -EPERM. */
int tsi_policy_check(const struct tsi_policy *p, const struct sockaddr *sa);

/* route.c: whether the host's routing delivers sa's address locally (the
 * kernel's answer to `ip route get`: a "local" route): 1, 0, or -errno. */
int tsi_route_local(const struct sockaddr *sa);

/* With TSI_LISTEN_LOOPBACK, replaces a host listener's address that is not
 * loopback (0.0.0.0, ::, any other) by 127.0.0.1 or ::1, keeping the port. */
void tsi_policy_bind_addr(const struct tsi_policy *p, struct sockaddr_storage *ss);

#endif
