/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-net on a datagram proxy (krun_add_net_unixgram: gvproxy, vfkit mode):
 * one frame per datagram both ways, and at start the library binds
 * "PATH-krun.sock", connects to PATH and, with NET_FLAG_VFKIT, sends "VFKT"
 * first; a small peer of ours plays gvproxy.
 */
#include "net_fake_driver.h"

#include <errno.h>
#include <stdio.h>
#include <sys/un.h>

#include "api/ctx.h"
#include "libkrun.h"
#include "logcap.h"
#include "util/buf.h"

TEST(net_unixgram_moves_one_frame_per_datagram)
{
	struct ndrv t;
	uint8_t buf[2048];

	net_setup_opts(&t, NETBE_DGRAM, 0);
	net_put_hdr(&t, 0, 0);
	net_put_frame(&t, DATA, 1000, 4);
	net_post(&t, NET_TXQ, (struct seg[]){ { TXHDR, NET_HDR_LEN, false }, { DATA, 1000, false } }, 2);
	net_kick(&t, NET_TXQ);
	struct pollfd pfd = { t.peer, POLLIN, 0 };
	CHECK_EQ(poll(&pfd, 1, 5000), 1);
	CHECK_EQ(read(t.peer, buf, sizeof(buf)), 1000); /* no length prefix */
	CHECK(frame_is(buf, 1000, 4));

	net_post(&t, NET_RXQ, (struct seg[]){ { DATA + 0x10000, 2000, true } }, 1);
	net_kick(&t, NET_RXQ);
	net_put_frame(&t, DATA + 0x20000, 300, 8);
	CHECK_EQ(write(t.peer, gmem_ptr(&t.mem, DATA + 0x20000, 300), 300), 300);
	CHECK_EQ(net_take_used(&t, NET_RXQ, NULL), NET_HDR_LEN + 300);
	CHECK(frame_is(gmem_ptr(&t.mem, DATA + 0x10000 + NET_HDR_LEN, 300), 300, 8));
	net_teardown(&t);
}

TEST(net_unixgram_path_binds_its_own_address_and_sends_the_vfkit_magic)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX }, from;
	socklen_t flen = sizeof(from);
	struct vmm_config cfg = { 0 };
	struct buf gcfg = { 0 };
	char dir[] = "/tmp/net_gram.XXXXXX", want[128];
	uint8_t mac[6] = { 0x52, 0x54, 0, 9, 9, 9 };
	uint32_t id = new_ctx();
	struct krun_ctx *ctx;
	char got[8];
	int srv;

	CHECK(mkdtemp(dir));
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/gv.sock", dir);
	srv = socket(AF_UNIX, SOCK_DGRAM, 0);
	CHECK(srv >= 0);
	CHECK_EQ(bind(srv, (struct sockaddr *)&sa, sizeof(sa)), 0);
	CHECK_EQ(krun_add_net_unixgram(id, sa.sun_path, -1, mac, 0,
				       NET_FLAG_VFKIT | NET_FLAG_DHCP_CLIENT), 0);
	ctx = ctx_hold(id);
	CHECK(ctx);
	CHECK_EQ(ctx_net_prepare(ctx, &cfg, &gcfg), 0);
	ctx_put(ctx);
	CHECK_EQ(cfg.nnets, 1);
	CHECK_EQ(cfg.nets[0].kind, NETBE_DGRAM);
	CHECK(!memcmp(cfg.nets[0].mac, mac, 6));
	CHECK(memmem(gcfg.data, gcfg.len, "net_dhcp\0eth0\0", 14));
	CHECK_EQ(recvfrom(srv, got, sizeof(got), 0, (struct sockaddr *)&from, &flen), 4);
	CHECK(!memcmp(got, "VFKT", 4));
	snprintf(want, sizeof(want), "%s-krun.sock", sa.sun_path);
	CHECK_STR_EQ(from.sun_path, want);
	/* The answer reaches the library's socket. */
	CHECK_EQ(sendto(srv, "frame", 5, 0, (struct sockaddr *)&from, flen), 5);
	CHECK_EQ(read(cfg.nets[0].fd, got, sizeof(got)), 5);
	buf_release(&gcfg);
	CHECK_EQ(krun_free_ctx(id), 0);
	close(srv);
	unlink(want);
	unlink(sa.sun_path);
	rmdir(dir);
}

TEST(net_start_fails_with_the_errno_of_a_proxy_that_is_not_there)
{
	struct vmm_config cfg = { 0 };
	struct buf gcfg = { 0 };
	uint8_t mac[6] = { 0x52, 0x54, 0, 9, 9, 9 };
	uint32_t id = new_ctx();
	struct krun_ctx *ctx;
	struct logcap c;

	CHECK_EQ(krun_add_net_unixstream(id, "/nonexistent/passt.sock", -1, mac, 0, 0), 0);
	ctx = ctx_hold(id);
	CHECK(ctx);
	cap_start(&c);
	CHECK_EQ(ctx_net_prepare(ctx, &cfg, &gcfg), -ENOENT);
	CHECK(strstr(cap_end(&c), "cannot reach network proxy at /nonexistent/passt.sock"));
	ctx_put(ctx);
	buf_release(&gcfg);
	CHECK_EQ(krun_free_ctx(id), 0);
}
