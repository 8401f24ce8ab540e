/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Guest caller's credentials for creations, SETATTR, SETXATTR and REMOVEXATTR,
 * with passthrough_privileges when the VMM runs as root. Without it (the
 * default) nothing switches: every host change is the VMM's own, and what the
 * guest asks for beyond that lives in the mapping (statmap.c).
 *
 * Linux credentials belong to a thread, and glibc's setfsuid/setfsgid are plain
 * syscall wrappers (unlike setresuid, which glibc applies to every thread of the
 * process), so switching them affects only the worker serving this request.
 * The new file, directory, node or symlink then belongs to the guest caller from
 * its creation (and the kernel applies a set-gid parent's group), and the host
 * checks the creation with the caller's fsuid (a non-zero fsuid drops the
 * fs-related capabilities; switching back to 0 restores them). Supplementary
 * groups stay the VMM's: the guest kernel has already checked the guest's.
 * Guest ids are host ids, 1:1, and a guest uid 0 with gid 0 stays host root:
 * that is what passthrough_privileges asks for.
 */
#include "fs/fs.h"

#include <errno.h>
#include <sys/fsuid.h>

#include "util/log.h"

int fs_creds_enter(const struct fs_req *r, struct fs_creds *c)
{
	c->switched = false;
	if (!r->s->passthrough || !r->s->as_root || (r->h.uid == 0 && r->h.gid == 0))
		return 0;
	c->switched = true;
	/* setfsuid/setfsgid report no error; asking with an invalid id (-1) reads
	 * the current one back. */
	setfsgid(r->h.gid);
	if ((gid_t)setfsgid((gid_t)-1) != r->h.gid)
		goto fail;
	setfsuid(r->h.uid);
	if ((uid_t)setfsuid((uid_t)-1) != r->h.uid)
		goto fail;
	return 0;

fail:
	fs_creds_leave(c);
	log_debug("fs: cannot take uid %u gid %u", r->h.uid, r->h.gid);
	return -EINVAL;
}

void fs_creds_leave(struct fs_creds *c)
{
	if (!c->switched)
		return;
	setfsuid(0);
	setfsgid(0);
	c->switched = false;
}
