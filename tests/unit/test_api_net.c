/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The network interface calls: the context first, then path xor fd, the MAC,
 * known features and flags, at most VMM_MAX_NETS interfaces; an interface
 * makes krun_set_port_map -ENOTSUP (upstream's rule), and the older calls
 * count as interfaces.
 */
#include "harness.h"
#include "logcap.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "libkrun.h"

static uint8_t mac[6] = { 0x52, 0x54, 0, 0, 0, 1 };

TEST(api_net_calls_check_the_context_first)
{
	struct logcap c;

	cap_start(&c);
	CHECK_EQ(krun_add_net_unixstream(4242, "/run/p.sock", -1, mac, 0, 0), -ENOENT);
	CHECK_EQ(krun_add_net_unixstream(4242, NULL, -1, NULL, 0, 0), -ENOENT);
	CHECK_EQ(krun_add_net_unixgram(4242, "/run/g.sock", -1, mac, 0, NET_FLAG_VFKIT), -ENOENT);
	CHECK_EQ(krun_add_net_tap(4242, (char *)"tap0", mac, 0, 0), -ENOENT);
	CHECK_EQ(krun_set_passt_fd(4242, 0), -ENOENT);
	CHECK_EQ(krun_set_gvproxy_path(4242, (char *)"/run/g.sock"), -ENOENT);
	CHECK_EQ(krun_set_net_mac(4242, mac), -ENOENT);
	CHECK(strstr(cap_end(&c), "unknown context id 4242"));
}

TEST(api_net_wants_a_path_or_an_open_fd_and_known_bits)
{
	uint32_t ctx = new_ctx();
	char longpath[200];
	struct logcap c;
	int fd = dup(0);

	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = '\0';
	cap_start(&c);
	CHECK_EQ(krun_add_net_unixstream(ctx, "/run/p.sock", fd, mac, 0, 0), -EINVAL);
	CHECK_EQ(krun_add_net_unixstream(ctx, NULL, -1, mac, 0, 0), -EINVAL);
	CHECK_EQ(krun_add_net_unixstream(ctx, "", -1, mac, 0, 0), -EINVAL);
	CHECK_EQ(krun_add_net_unixstream(ctx, longpath, -1, mac, 0, 0), -EINVAL);
	CHECK_EQ(krun_add_net_unixstream(ctx, "/run/p.sock", -1, NULL, 0, 0), -EINVAL);
	CHECK_EQ(krun_add_net_unixstream(ctx, NULL, 999, mac, 0, 0), -EBADF);
	CHECK_EQ(krun_add_net_unixstream(ctx, "/run/p.sock", -1, mac, 1u << 2, 0), -EINVAL);
	CHECK_EQ(krun_add_net_unixstream(ctx, "/run/p.sock", -1, mac, 0, 1u << 5), -EINVAL);
	CHECK_EQ(krun_add_net_unixstream(ctx, "/run/p.sock", -1, mac, 0, NET_FLAG_VFKIT), -EINVAL);
	CHECK_EQ(krun_add_net_tap(ctx, (char *)"a-name-longer-than-ifnamsiz", mac, 0, 0), -EINVAL);
	CHECK_EQ(krun_set_passt_fd(ctx, -1), -EINVAL);
	CHECK_EQ(krun_set_net_mac(ctx, NULL), -EINVAL);
	CHECK(strstr(cap_end(&c), "unknown features"));
	close(fd);
	CHECK_EQ(krun_free_ctx(ctx), 0);
}

TEST(api_net_takes_four_interfaces_then_refuses_and_port_maps_are_the_proxys)
{
	const char *const map[] = { "8080:80", NULL };
	uint32_t ctx = new_ctx();
	struct logcap c;
	int fd = dup(0);

	CHECK_EQ(krun_set_port_map(ctx, map), 0); /* no interface yet: TSI's */
	CHECK_EQ(krun_set_net_mac(ctx, mac), 0);
	CHECK_EQ(krun_set_passt_fd(ctx, fd), 0);
	CHECK_EQ(krun_add_net_unixstream(ctx, "/run/p.sock", -1, mac, COMPAT_NET_FEATURES,
					 NET_FLAG_DHCP_CLIENT), 0);
	CHECK_EQ(krun_add_net_unixgram(ctx, "/run/g.sock", -1, mac, 0, NET_FLAG_VFKIT), 0);
	CHECK_EQ(krun_add_net_tap(ctx, (char *)"tap0", mac, NET_FEATURE_HOST_TSO6, 0), 0);
	cap_start(&c);
	CHECK_EQ(krun_set_gvproxy_path(ctx, (char *)"/run/g.sock"), -ENOSPC);
	CHECK_EQ(krun_set_port_map(ctx, map), -ENOTSUP);
	CHECK(strstr(cap_end(&c), "at most 4 network interfaces"));
	CHECK_EQ(krun_free_ctx(ctx), 0); /* closes the fd given */
	CHECK(fcntl(fd, F_GETFD) < 0);
}
