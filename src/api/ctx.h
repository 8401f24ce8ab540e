/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A configuration context: everything krun_set_* recorded, validated, owned.
 * Contexts live in the table of src/api/state.h; ids are table indexes.
 */
#ifndef LIBKRUN_API_CTX_H
#define LIBKRUN_API_CTX_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "libkrun.h"
#include "util/strv.h"
#include "fs/overlay.h"
#include "vmm/vmm.h"
#include "vsock/unix.h"

#define KRUN_DEFAULT_VCPUS 1
#define KRUN_DEFAULT_RAM_MIB 128
#define KRUN_MAX_VSOCK_PORTS 64
#define KRUN_ROOT_TAG KRUN_FS_ROOT_TAG

struct ctx_fs_share {
	char *tag;
	char *path; /* absolute, resolved when it was set */
	bool read_only; /* krun_add_virtiofs3 */
	uint64_t shm_size; /* krun_add_virtiofs2/3: DAX window bytes, 0 for none */
	/* krun_fs_add_overlay_*: paths and data ours (malloc'ed) */
	struct fs_overlay_spec *overlays;
	unsigned int noverlays;
};

/* One disk of krun_add_disk* or of the old krun_set_root_disk/set_data_disk. */
struct ctx_disk {
	char *id;
	char *path; /* absolute, resolved when it was added */
	bool read_only, direct_io;
	uint32_t sync_mode; /* KRUN_SYNC_* */
	enum disk_format format;
};

/* One interface of krun_add_net_* or of the older krun_set_passt_fd /
 * krun_set_gvproxy_path (api/net.c). */
struct ctx_net {
	char *path; /* connected at start; NULL: fd was given */
	int fd;     /* the caller's, or the connection made at start; -1: none yet */
	enum netbe_kind kind;
	uint8_t mac[6];
	uint32_t features, flags;
	bool tap;        /* path is a tap device's name */
	bool legacy_mac; /* krun_set_passt_fd/gvproxy_path: krun_set_net_mac's, at start */
};

/* One krun_add_vhost_user_device (api/vhost_user.c): connected at start. */
struct ctx_vhost_user {
	uint32_t device_type;
	char *path, *name; /* name NULL: the VMM's default */
	uint16_t num_queues; /* 0: the backend says */
	uint16_t sizes[VIRTIO_MAX_QUEUES];
	unsigned int nsizes;
};

/* Which family of disk calls the context uses: libkrun.h makes them exclusive. */
enum ctx_disk_api { CTX_DISK_API_NONE, CTX_DISK_API_OLD, CTX_DISK_API_NEW };

struct krun_ctx {
	/* Held by each API call for its whole duration (ctx_hold). */
	pthread_mutex_t lock;
	/* Calls that looked the context up and have not put it back; guarded by
	 * the table's lock (state.h). ctx_take waits on unused for 0. */
	unsigned int users;
	pthread_cond_t unused;

	unsigned int nvcpus;
	uint32_t ram_mib;

	char *kernel_path; /* NULL: the bundled kernel */
	uint32_t kernel_format;
	char *initramfs_path;
	char *cmdline;        /* NULL: ours (start.c); else in place of it */
	char *kernel_console; /* krun_set_kernel_console; NULL: hvc0 */

	char *exec_path;
	struct strv argv; /* after argv[0] */
	struct strv env;  /* full environment; .v == NULL until set */
	char *workdir;
	struct strv rlimits; /* validated "ID=CUR:MAX" */
	char *console_output;

	struct ctx_fs_share fs[VMM_MAX_FS]; /* krun_set_root, krun_add_virtiofs */
	unsigned int nfs;
	/* Disks in the order the guest sees them (vda, vdb, ...). With the old
	 * calls, root_disk and data_disk hold them instead (root first). */
	struct ctx_disk disks[VMM_MAX_DISKS];
	unsigned int ndisks;
	enum ctx_disk_api disk_api;
	struct ctx_disk root_disk, data_disk; /* .path NULL: not set */
	/* krun_set_root_disk_remount; root_device NULL: the root is not a disk
	 * (unless krun_set_root_disk gave one: then /dev/vda, any fstype). */
	char *root_device, *root_fstype, *root_options;

	/* Network interfaces in guest order (eth0, eth1...); any of them turns
	 * the implicit vsock's TSI off (libkrun.h). */
	struct ctx_net nets[VMM_MAX_NETS];
	unsigned int nnets;
	bool net_mac_set; /* krun_set_net_mac: for krun_set_passt_fd/gvproxy_path */
	uint8_t net_mac[6];

	struct ctx_vhost_user vhost_user[VMM_MAX_VHOST_USER]; /* in guest bus order */
	unsigned int nvhost_user;

	struct strv port_map; /* validated "HOST:GUEST"; .v == NULL: never set */

	struct vsock_port_cfg vsock_ports[KRUN_MAX_VSOCK_PORTS]; /* krun_add_vsock_port[2] */
	unsigned int nvsock_ports;
	bool vsock_implicit_off; /* krun_disable_implicit_vsock */
	bool vsock_added;        /* krun_add_vsock */
	uint32_t tsi_features;   /* of krun_add_vsock */
	char *tsi_unix_paths[KRUN_MAX_TSI_UNIX_PATHS]; /* krun_allow_tsi_unix_path */
	unsigned int ntsi_unix_paths;
	struct tsi_policy tsi_policy; /* krun_set_tsi_policy; zero: everything allowed */
	struct tsi_limits tsi_limits; /* krun_set_tsi_limit; zero: the defaults */

	/* krun_get_shutdown_eventfd's eventfd, -1 until asked for; the VMM
	 * watches it (vmm/shutdown.h), ctx_destroy closes it. */
	int shutdown_fd;
	bool nested_virt; /* krun_set_nested_virt */
	bool split_irqchip; /* krun_split_irqchip */
	/* krun_set_smbios_oem_strings: copies, checked by smbios_oem_check;
	 * .n 0: no OEM strings (SMBIOS type 11 left out). */
	struct strv oem_strings;
	/* krun_add_serial_console_default: the caller's fds (-1: none), not ours */
	bool serial;
	int serial_in, serial_out;
	/* krun_disable_implicit_console; krun_add_virtio_console_default (the
	 * caller's fds: in, out, err) or krun_add_virtio_console_multiport with
	 * its krun_add_console_port_* (names ours, fds the caller's). */
	bool console_implicit_off;
	struct ctx_console {
		int fd[3];
		bool multiport;
		struct console_port_cfg port[CONSOLE_PORTS_MAX];
		unsigned int nports;
	} consoles[VMM_MAX_CONSOLES];
	unsigned int nconsoles;

	bool set_uid, set_gid; /* krun_setuid, krun_setgid: taken at start */
	uid_t uid;
	gid_t gid;
};

/*
 * Every call on a context holds it for its duration: ctx_hold looks id up and
 * locks the context, so that calls on one context run one at a time, and
 * ctx_put releases it. ctx_take takes the context out of the table (no call
 * finds it any more), then waits until no call holds it: what it returns is
 * the caller's alone (krun_free_ctx frees it, krun_start_enter consumes it).
 * ctx_hold and ctx_take log and return NULL for an unknown id.
 */
struct krun_ctx *ctx_hold(uint32_t id);
void ctx_put(struct krun_ctx *ctx);
struct krun_ctx *ctx_take(uint32_t id);
/* 0 if id names a context now, else -ENOENT (logged). */
int ctx_check(uint32_t id);

/* The usual form: declares var holding context id until the enclosing block
 * ends, by any return; an unknown id returns -ENOENT from the function. */
static inline void ctx_put_at_exit(struct krun_ctx **ctx)
{
	if (*ctx)
		ctx_put(*ctx);
}

#define CTX_HOLD(var, id)                                                      \
	struct krun_ctx *var __attribute__((cleanup(ctx_put_at_exit))) =        \
		ctx_hold(id);                                                  \
	if (!var)                                                              \
		return -ENOENT


void ctx_destroy(struct krun_ctx *ctx);
void ctx_net_release(struct ctx_net *n);
void ctx_vhost_user_release(struct ctx_vhost_user *v);

/*
 * At start (api/net.c): connects the interfaces added by path, fills
 * cfg->nets, and tells init which run a DHCP client (a "net_dhcp" record per
 * interface, src/vmm/guest_abi.h). 0 or -errno (logged).
 */
struct buf;
int ctx_net_prepare(struct krun_ctx *ctx, struct vmm_config *cfg, struct buf *guest_cfg);
void ctx_disk_release(struct ctx_disk *d);

/* Replaces *slot with a copy of s (NULL clears it). 0 or -ENOMEM. */
int ctx_set_string(char **slot, const char *s);

/* Checks one rlimit string "ID=CUR:MAX". 0 or -EINVAL; fills the numbers. */
int rlimit_parse(const char *s, int *id, uint64_t *cur, uint64_t *max);

/*
 * The kernel command line for ctx (start.c says how it is composed): the
 * VMM's part, the caller's line (krun_set_kernel) or our default in its
 * place, then dev_args (the devices' parameters, each after a blank). 0 with
 * a malloc'ed *out, or -ENOMEM.
 */
int ctx_kernel_cmdline(const struct krun_ctx *ctx, const char *dev_args, char **out);

/*
 * For a call whose device or feature libkrun-c does not have: -ENOENT for an
 * unknown context (as every call), else logs "fn: no FEATURE in libkrun-c" and
 * returns err (-ENOSYS, or upstream's own errno for the same build-time lack).
 */
int ctx_unsupported(uint32_t id, const char *fn, const char *feature, int err);

#endif
