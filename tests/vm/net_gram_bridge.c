/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A stand-in for gvproxy in vfkit mode, for tests: bridges a unixgram socket
 * and a tap device, one Ethernet frame per datagram.
 *   net_gram_bridge SOCKET_PATH TAP_NAME
 * Binds SOCKET_PATH, prints "LISTENING", waits for the client's first
 * datagram, which must be the 4 bytes "VFKT" (prints "MAGIC ok" or fails),
 * then moves frames both ways until killed, answering the address the magic
 * came from. Exits 1 on any setup error.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int die(const char *what)
{
	fprintf(stderr, "net_gram_bridge: %s: %s\n", what, strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	struct sockaddr_un me = { .sun_family = AF_UNIX }, peer;
	socklen_t plen = sizeof(peer);
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
	static char frame[65536];
	int s, tap;
	ssize_t n;

	if (argc != 3 || strlen(argv[1]) >= sizeof(me.sun_path) || strlen(argv[2]) >= IFNAMSIZ) {
		fprintf(stderr, "usage: net_gram_bridge SOCKET_PATH TAP_NAME\n");
		return 1;
	}
	strcpy(me.sun_path, argv[1]);
	strcpy(ifr.ifr_name, argv[2]);
	tap = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (tap < 0 || ioctl(tap, TUNSETIFF, &ifr) < 0)
		return die("tap");
	s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&me, sizeof(me)) < 0)
		return die("bind");
	printf("LISTENING\n");
	fflush(stdout);
	n = recvfrom(s, frame, sizeof(frame), 0, (struct sockaddr *)&peer, &plen);
	if (n != 4 || memcmp(frame, "VFKT", 4)) {
		fprintf(stderr, "net_gram_bridge: first datagram is not VFKT (%zd bytes)\n", n);
		return 1;
	}
	if (connect(s, (struct sockaddr *)&peer, plen) < 0)
		return die("connect to the client");
	printf("MAGIC ok\n");
	fflush(stdout);
	for (;;) {
		struct pollfd p[2] = { { s, POLLIN, 0 }, { tap, POLLIN, 0 } };

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			return die("poll");
		if (p[0].revents & POLLIN && (n = recv(s, frame, sizeof(frame), 0)) > 0 &&
		    write(tap, frame, (size_t)n) != n)
			fprintf(stderr, "net_gram_bridge: tap write: %s\n", strerror(errno));
		if (p[1].revents & POLLIN && (n = read(tap, frame, sizeof(frame))) > 0 &&
		    send(s, frame, (size_t)n, 0) != n)
			fprintf(stderr, "net_gram_bridge: send: %s\n", strerror(errno));
		if ((p[0].revents | p[1].revents) & (POLLERR | POLLHUP))
			return 0;
	}
}
