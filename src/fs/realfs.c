/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The share serves real file systems only. A kernel-interface file system
 * mounted inside it is a door into the host: /proc/<pid>/mem of the VMM is a
 * regular file that writes the VMM's memory, /proc/<pid>/environ and maps give
 * its secrets away, sysfs and debugfs hold writable kernel knobs, cgroupfs and
 * bpffs hand out control over host processes, devpts holds the host's ttys.
 * openat2's RESOLVE_BENEATH keeps names inside the share but crosses mounts, so
 * the check is made on the inodes themselves: fstatfs' f_type (statfs(2),
 * linux/magic.h) whenever a lookup lands on another device than its
 * directory's, i.e. at every mount crossing (a device number names one live
 * superblock, and the directory's fd pins its own), and once on the root.
 *
 * What such a mount looks like to the guest (ops_entry.c): its root directory
 * is a stub, an empty directory (fs_stub_stat) that the guest may stat and
 * mount over, as its init does with its own /proc, /sys and /dev/pts when the
 * share is a container's "/"; any other request on it gets -EACCES, and so does
 * a non-directory on such a file system (a file bind-mounted into the share: an
 * nsfs handle from `ip netns`, a proc file). EACCES rather than ENOENT: READDIR
 * lists the name, as the mount point it is, so what the guest meets is a
 * refusal, not a file that vanished.
 *
 * Real for this purpose: every disk, network, FUSE and overlay file system, and
 * tmpfs, ramfs and hugetlbfs (files in memory). devtmpfs is a tmpfs: the device
 * nodes on it are never opened (ops_open.c) nor changed (statmap.c).
 */
#include "fs/fs.h"

#include <errno.h>
#include <linux/magic.h>
#include <sys/statfs.h>

/* Magic numbers the kernel defines outside linux/magic.h. */
#define FS_FUSECTL_MAGIC 0x65735543u  /* fs/fuse/control.c FUSE_CTL_SUPER_MAGIC */
#define FS_MQUEUE_MAGIC 0x19800202u   /* ipc/mqueue.c MQUEUE_MAGIC */
#define FS_CONFIGFS_MAGIC 0x62656570u /* fs/configfs/mount.c CONFIGFS_MAGIC */
#define FS_RPCPIPE_MAGIC 0x67596969u  /* net/sunrpc/rpc_pipe.c RPCAUTH_GSSMAGIC */
#define FS_NFSD_MAGIC 0x6e667364u     /* fs/nfsd/nfsctl.c, "nfsd" */

static const uint32_t fs_pseudo_magics[] = {
	PROC_SUPER_MAGIC, SYSFS_MAGIC, DEBUGFS_MAGIC, TRACEFS_MAGIC, SECURITYFS_MAGIC,
	SELINUX_MAGIC, SMACK_MAGIC, CGROUP_SUPER_MAGIC, CGROUP2_SUPER_MAGIC, BPF_FS_MAGIC,
	FS_CONFIGFS_MAGIC, EFIVARFS_MAGIC, PSTOREFS_MAGIC, FS_FUSECTL_MAGIC, BINFMTFS_MAGIC,
	DEVPTS_SUPER_MAGIC, FS_MQUEUE_MAGIC, NSFS_MAGIC, AUTOFS_SUPER_MAGIC, BINDERFS_SUPER_MAGIC,
	XENFS_SUPER_MAGIC, USBDEVICE_SUPER_MAGIC, OPENPROM_SUPER_MAGIC, FS_RPCPIPE_MAGIC,
	FS_NFSD_MAGIC,
};

int fs_pseudo_fs(int fd)
{
	struct statfs sf;

	if (fstatfs(fd, &sf) < 0)
		return -errno;
	/* f_type is a signed word holding a 32-bit pattern. */
	for (size_t k = 0; k < sizeof(fs_pseudo_magics) / sizeof(fs_pseudo_magics[0]); k++)
		if ((uint32_t)sf.f_type == fs_pseudo_magics[k])
			return 1;
	return 0;
}

void fs_stub_stat(dev_t dev, ino_t ino, struct stat *st)
{
	*st = (struct stat){ .st_dev = dev, .st_ino = ino, .st_mode = S_IFDIR | 0555,
			     .st_nlink = 2, .st_blksize = 4096 };
}
