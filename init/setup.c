/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The guest's filesystems and identity. Everything is first mounted in the
 * initramfs (where creating mount points is harmless: it is ours and lives in
 * RAM); a virtio-fs or disk root then receives the mounts by MS_MOVE, and only
 * onto directories it already has, so that nothing is ever created in the
 * user's shared folder or image.
 */
#include "init.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define NEWROOT "/.krun/root" /* in the initramfs, outside the new root */

struct mount_spec {
	const char *type, *target, *data;
	unsigned long flags;
	mode_t mode;
	bool required;
};

#define MS_SAFE (MS_NOSUID | MS_NODEV | MS_NOEXEC)

/* In order: each target must exist after the mounts before it. */
static const struct mount_spec mounts[] = {
	{ "devtmpfs", "/dev", "mode=0755", MS_NOSUID, 0755, true },
	{ "proc", "/proc", NULL, MS_SAFE, 0555, true },
	{ "sysfs", "/sys", NULL, MS_SAFE, 0555, true },
	/* /sys/fs/cgroup is made by sysfs itself when cgroups are built in. */
	{ "cgroup2", "/sys/fs/cgroup", NULL, MS_SAFE, 0555, false },
	/* A private devpts instance (Documentation/filesystems/devpts.rst);
	 * ptmxmode=0666 makes /dev/pts/ptmx usable by any user, gid 5 is "tty". */
	{ "devpts", "/dev/pts", "newinstance,ptmxmode=0666,mode=0620,gid=5",
	  MS_NOSUID | MS_NOEXEC, 0755, false },
	{ "tmpfs", "/dev/shm", "mode=1777", MS_NOSUID | MS_NODEV, 01777, false },
};

/* What udev would add to /dev; devtmpfs has only device nodes. */
static const char *const dev_links[][2] = {
	{ "/proc/self/fd", "/dev/fd" },
	{ "/proc/self/fd/0", "/dev/stdin" },
	{ "/proc/self/fd/1", "/dev/stdout" },
	{ "/proc/self/fd/2", "/dev/stderr" },
};

int setup_mounts(void)
{
	size_t i;

	for (i = 0; i < sizeof(mounts) / sizeof(mounts[0]); i++) {
		const struct mount_spec *m = &mounts[i];

		if (mkdir(m->target, m->mode) < 0 && errno != EEXIST && m->required) {
			init_log("cannot create %s: %m", m->target);
			return -1;
		}
		/* EBUSY: already mounted there (e.g. by a kernel automount). */
		if (mount(m->type, m->target, m->type, m->flags, m->data) < 0 && errno != EBUSY) {
			init_log("cannot mount %s on %s: %m", m->type, m->target);
			if (m->required)
				return -1;
		}
	}
	/* devtmpfs makes /dev/ptmx (5:2), which resolves to the devpts instance
	 * mounted at the sibling "pts" (Linux >= 4.7); make sure anyone may open it. */
	if (chmod("/dev/ptmx", 0666) < 0 && errno == ENOENT &&
	    symlink("pts/ptmx", "/dev/ptmx") < 0)
		init_log("no /dev/ptmx: %m");
	for (i = 0; i < sizeof(dev_links) / sizeof(dev_links[0]); i++)
		if (symlink(dev_links[i][0], dev_links[i][1]) < 0 && errno != EEXIST)
			init_log("cannot link %s: %m", dev_links[i][1]);
	return 0;
}

void setup_hostname(const struct config *cfg)
{
	if (cfg->hostname && sethostname(cfg->hostname, strlen(cfg->hostname)) < 0)
		init_log("cannot set the hostname: %m");
}

static bool tsi_enabled(void)
{
	char c = 0;
	int fd = open("/sys/module/vsock/parameters/tsi", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	if (read(fd, &c, 1) != 1)
		c = 0;
	close(fd);
	return c == 'Y' || c == '1';
}

/* linux/ipv6.h's struct in6_ifreq, which clashes with netinet/in.h. */
struct lo_in6_ifreq {
	struct in6_addr addr;
	uint32_t prefixlen;
	int ifindex;
};

/*
 * With TSI the guest reaches the network without an interface, but glibc's
 * getaddrinfo with AI_ADDRCONFIG (its default with no hints) finds nothing
 * unless some address other than 127.0.0.1 and ::1 exists (check_pf.c). So
 * lo gets 127.0.0.2/8, inside the loopback net it routes already, and the
 * link-local fe80::1/64, which is scoped to lo: neither can take traffic
 * that TSI would carry. UDP sockets: their ioctls reach inet (TSI keeps them
 * real sockets).
 */
static void tsi_addresses(void)
{
	struct sockaddr_in *sin;
	struct lo_in6_ifreq r6 = { .prefixlen = 64, .ifindex = (int)if_nametoindex("lo") };
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), fd6;

	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, "lo:tsi", 7);
	sin = (struct sockaddr_in *)&ifr.ifr_addr;
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(0x7f000002);
	if (fd < 0 || ioctl(fd, SIOCSIFADDR, &ifr) < 0)
		init_log("cannot add 127.0.0.2 to lo: %m");
	if (fd >= 0)
		close(fd);
	fd6 = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	r6.addr.s6_addr[0] = 0xfe;
	r6.addr.s6_addr[1] = 0x80;
	r6.addr.s6_addr[15] = 1;
	if (fd6 < 0 || ioctl(fd6, SIOCSIFADDR, &r6) < 0)
		init_log("cannot add fe80::1 to lo: %m");
	if (fd6 >= 0)
		close(fd6);
}

/* Loopback up, as `ip link set lo up` would do, with the classic ioctl
 * (netdevice(7)): nothing else in the guest configures it. */
void setup_loopback(void)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		init_log("no loopback (socket: %m)");
		return;
	}
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, "lo", 3);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0) {
		init_log("no loopback (SIOCGIFFLAGS: %m)");
	} else {
		ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
		if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
			init_log("cannot bring lo up: %m");
	}
	close(fd);
	if (tsi_enabled())
		tsi_addresses();
}

/*
 * FUSE starts with the block layer's default readahead, 128 KiB, and INIT can
 * only lower it; our server takes 1 MiB per READ (max_pages 256). Every
 * request costs a round trip through the VMM, so the share's readahead is
 * raised (Documentation/ABI/testing/sysfs-class-bdi) to 4 MiB: four READs in
 * flight, which the VMM's workers serve while the guest copies out the pages
 * of the previous ones. A sequential 256 MiB read took a median 12% less time
 * than with 1 MiB, faster in each of 5 alternated pairs (emulated KVM,
 * docs/benchmarks.md).
 */
static void raise_readahead(const char *mnt)
{
	char path[64];
	struct stat st;
	int fd;

	if (stat(mnt, &st) < 0)
		return;
	snprintf(path, sizeof(path), "/sys/class/bdi/%u:%u/read_ahead_kb", major(st.st_dev),
		 minor(st.st_dev));
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "4096", 4) != 4)
		init_log("cannot raise the readahead of %s: %m", mnt);
	if (fd >= 0)
		close(fd);
}

/* Creates NEWROOT, the mount point of a root before the switch. */
static int setup_newroot_dir(void)
{
	if (mkdir(NEWROOT, 0755) < 0 && errno != EEXIST) {
		init_log("cannot create %s: %m", NEWROOT);
		return -1;
	}
	return 0;
}

/*
 * Makes what is mounted on NEWROOT the root. The initramfs is the kernel's
 * rootfs, which cannot be pivot_root'ed away: move the new root over "/" and
 * chroot into it, as switch_root(8) does.
 */
static int switch_root(void)
{
	static const char *const moved[] = { "/dev", "/proc", "/sys" };
	char path[64];
	struct stat st;
	size_t i;

	for (i = 0; i < sizeof(moved) / sizeof(moved[0]); i++) {
		snprintf(path, sizeof(path), NEWROOT "%s", moved[i]);
		/* lstat: a symlink there would be followed in the initramfs. */
		if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode)) {
			init_log("the root has no directory %s; not mounted there", moved[i]);
			continue;
		}
		if (mount(moved[i], path, NULL, MS_MOVE, NULL) < 0)
			init_log("cannot move %s into the root: %m", moved[i]);
	}
	if (chdir(NEWROOT) < 0 || mount(".", "/", NULL, MS_MOVE, NULL) < 0 || chroot(".") < 0 ||
	    chdir("/") < 0) {
		init_log("cannot switch to the new root: %m");
		return -1;
	}
	return 0;
}

/* Mounts the virtio-fs share TAG (Documentation/filesystems/virtiofs.rst)
 * and makes it the root. options: the file system's own ("dax=always" for a
 * root with a DAX window), or "". */
int setup_virtiofs_root(const char *tag, const char *options)
{
	if (setup_newroot_dir() < 0)
		return -1;
	if (mount(tag, NEWROOT, "virtiofs", 0, *options ? options : NULL) < 0) {
		init_log("cannot mount virtio-fs \"%s\" (%s): %m", tag, *options ? options : "no options");
		return -1;
	}
	raise_readahead(NEWROOT);
	return switch_root();
}

/* The block device's file system on NEWROOT (root_disk.c), then the switch. */
int setup_disk_root(const char *device, const char *fstype, const char *options)
{
	if (setup_newroot_dir() < 0 || root_disk_mount(device, fstype, options, NEWROOT) < 0)
		return -1;
	return switch_root();
}

/*
 * Free page reporting (virtio-balloon) hands the host free blocks of at least
 * page_reporting_order. Linux 6.1 sets it to pageblock_order when the balloon
 * registers: order 10 (4 MiB) in our kernel, which has no hugetlbfs. Freed
 * memory then comes back only where a whole, aligned 4 MiB block is free; after
 * a 512 MiB free, 7-8 MiB stayed on the host (measured), with order 9 still
 * 6-8. Order 7 (512 KiB) brought it to 1-2 MiB and an idle 2 GiB guest from 64
 * to 63 MiB. Smaller reports cost the host nothing more: guest RAM is not
 * backed by huge pages (src/vmm/gmem.c), so there is none to split; each
 * report still covers 128 pages, and Linux sends them 2 s after the frees,
 * off the allocation path. The parameter is writable at run time
 * (mm/page_reporting.c).
 */
void setup_page_reporting(void)
{
	static const char path[] = "/sys/module/page_reporting/parameters/page_reporting_order";
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return; /* no balloon driver or no page reporting: nothing to tune */
	if (write(fd, "7", 1) != 1)
		init_log("cannot set the page reporting order: %m");
	close(fd);
}
