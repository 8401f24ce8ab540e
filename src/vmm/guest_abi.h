/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the VMM and our guest init (init/) agree on. Shared by both builds.
 *
 * Delivery: the VMM appends a newc cpio archive to the initramfs (the kernel
 * unpacks concatenated archives in order, later files over earlier ones) holding
 *   /init               our static init (mode 0755)
 *   /.krun/config       the workload's configuration, format below
 * so nothing but "console=... quiet" has to fit on the kernel command line, and
 * argv/env of any size and content reach the workload intact.
 *
 * Config format: a sequence of records, each "KEY\0VALUE\0" (two NUL-terminated
 * strings). Keys may repeat where noted; unknown keys are ignored (forward
 * compatible); a truncated last record, or a once-only key given twice, is an
 * error (init exits 125).
 *   exec      path of the workload (once; may be absent with a virtio-fs or disk root:
 *             init then runs what the root's /.krun_config.json says)
 *   arg       one argv entry after argv[0] (repeated, in order)
 *   env       one "NAME=value" entry (repeated, in order; the full environment:
 *             no env record means an empty environment)
 *   workdir   working directory (once; default "/")
 *   rlimit    "ID=CUR:MAX", all decimal, ID a RLIMIT_* number, CUR <= MAX,
 *             RLIM_INFINITY written as its decimal value (repeated)
 *   hostname  the guest's hostname (once)
 *   stdin, stdout, stderr   where each stdio stream goes: "console" (hvc0, a
 *             terminal on the host side) or "port" (the virtio-console port named
 *             KRUN_PORT_STDIN/OUT/ERR, a byte stream with EOF)
 *   root      "initramfs" (run in the initramfs), "virtiofs:TAG" (mount TAG as
 *             the new root first) or "disk:DEVICE" (mount the guest block device
 *             DEVICE, a path under /dev/, as the new root first)
 *   root_fstype   the disk root's file system type, or "auto" (once; default auto)
 *   root_options  the disk root's mount options, mount(8) -o style; for a
 *             virtio-fs root, the file system's own option string, passed to
 *             mount(2) as is ("dax=always" when the root has a DAX window)
 *             (once; default none)
 *   net_dhcp  a network interface (eth0, eth1...) init brings up and configures
 *             by DHCP before the workload starts (repeated; default none)
 *
 * Exit report: init writes the workload's status as a 32-bit `outl` to
 * KRUN_EXIT_PORT (it holds ioperm for that port) after it has drained the
 * console; the VMM then stops the VM and the process exits with that status.
 * Status: the exit code; 128+N when killed by signal N; 127 not found; 126 not
 * executable; 125 init's own setup failure.
 *
 * Before the report, with a vsock device, init connects to the host's
 * KRUN_VSOCK_BARRIER_PORT, where nothing listens: the guest kernel queues
 * every vsock packet in one FIFO, so the VMM's RST arrives only after it took
 * every packet the workload sent. The VMM writes out what host sockets did
 * not take yet after the VM ended (vsock_mux_drain).
 */
#ifndef LIBKRUN_VMM_GUEST_ABI_H
#define LIBKRUN_VMM_GUEST_ABI_H

#define KRUN_CONFIG_PATH "/.krun/config"
#define KRUN_EXIT_PORT 0x0510
/* Boot phase marks (vmm/phase.h): init writes each value as a 32-bit `outl`
 * to KRUN_PHASE_PORT when it gets there; the exit report is the last mark. */
#define KRUN_PHASE_PORT 0x0514
#define KRUN_PHASE_INIT 1     /* init's first step: the kernel has booted */
#define KRUN_PHASE_WORKLOAD 2 /* init's setup is done: the workload starts now */
#define KRUN_VSOCK_BARRIER_PORT 0x545349ffu /* never a service or a port */
/* The guest port init's shutdown watcher listens on (vmm/shutdown.h): a host
 * connection there asks init to stop the workload (SIGTERM, then SIGKILL
 * after KRUN_SHUTDOWN_GRACE_S); the watcher answers one byte to say it took
 * the request. */
#define KRUN_VSOCK_SHUTDOWN_PORT 0x545349feu
#define KRUN_SHUTDOWN_GRACE_S 10

/* virtio-console port names (VIRTIO_CONSOLE_PORT_NAME, virtio 1.2 §5.3.6.2);
 * the guest sees them as /sys/class/virtio-ports/vportNpM/name. */
#define KRUN_PORT_STDIN "krun-stdin"
#define KRUN_PORT_STDOUT "krun-stdout"
#define KRUN_PORT_STDERR "krun-stderr"

#define KRUN_EXIT_INIT_FAILURE 125
#define KRUN_EXIT_NOT_EXECUTABLE 126
#define KRUN_EXIT_NOT_FOUND 127

#endif
