/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Does a real guest run on this host's /dev/kvm? Boots the bundled kernel through
 * the public API, on a root holding only a 130-byte static program that exits 0,
 * and ends with the guest's status (krun_start_enter exits the process with it).
 * The runner (tests/runner/mode.sh) bounds it in time: a /dev/kvm that opens and
 * creates VMs may still be unable to run a kernel (kvm_pvm dies in its
 * instruction emulator), so only a boot tells.
 *
 *   boot_probe [SECONDS]   exit 0: the guest booted to our init, ran /true and
 *                          came back within SECONDS (default 30); 124: it did
 *                          not end in time (killed); else the VM's status, or 2
 *                          for a setup error. The library's log on stderr and
 *                          one closing "boot_probe: ..." line say why.
 *
 * The VM runs in a child, so that the parent can bound it and remove the root.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libkrun.h>

#define TRUE_VADDR 0x400000ULL

/* exit_group(0): xor edi, edi; mov eax, 231; syscall */
static const unsigned char exit0[] = { 0x31, 0xff, 0xb8, 0xe7, 0x00, 0x00, 0x00, 0x0f, 0x05 };

/* A static ELF64 executable: header, one PT_LOAD of the whole file, code. */
static int write_true(const char *path)
{
	struct {
		Elf64_Ehdr eh;
		Elf64_Phdr ph;
		unsigned char code[sizeof(exit0)];
	} __attribute__((packed)) img;
	const size_t code_off = offsetof(__typeof__(img), code);
	int fd, r = 0;

	memset(&img, 0, sizeof(img));
	memcpy(img.eh.e_ident, ELFMAG, SELFMAG);
	img.eh.e_ident[EI_CLASS] = ELFCLASS64;
	img.eh.e_ident[EI_DATA] = ELFDATA2LSB;
	img.eh.e_ident[EI_VERSION] = EV_CURRENT;
	img.eh.e_type = ET_EXEC;
	img.eh.e_machine = EM_X86_64;
	img.eh.e_version = EV_CURRENT;
	img.eh.e_entry = TRUE_VADDR + code_off;
	img.eh.e_phoff = sizeof(img.eh);
	img.eh.e_ehsize = sizeof(img.eh);
	img.eh.e_phentsize = sizeof(img.ph);
	img.eh.e_phnum = 1;
	img.ph.p_type = PT_LOAD;
	img.ph.p_flags = PF_R | PF_X;
	img.ph.p_vaddr = img.ph.p_paddr = TRUE_VADDR;
	img.ph.p_filesz = img.ph.p_memsz = sizeof(img);
	img.ph.p_align = 0x1000;
	memcpy(img.code, exit0, sizeof(exit0));

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
	if (fd < 0)
		return -errno;
	if (write(fd, &img, sizeof(img)) != (ssize_t)sizeof(img))
		r = -EIO;
	close(fd);
	return r;
}

/* The child: configure and run the VM; krun_start_enter ends the process. */
static int run_vm(const char *root)
{
	const char *const argv[] = { NULL };
	const char *const envp[] = { NULL };
	int ctx, r;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	krun_set_log_level(KRUN_LOG_LEVEL_ERROR);
	ctx = krun_create_ctx();
	if (ctx < 0)
		r = ctx;
	else if ((r = krun_set_vm_config((uint32_t)ctx, 1, 128)) == 0 &&
		 (r = krun_set_root((uint32_t)ctx, root)) == 0 &&
		 (r = krun_set_exec((uint32_t)ctx, "/true", argv, envp)) == 0)
		r = krun_start_enter((uint32_t)ctx);
	fprintf(stderr, "boot_probe: setting up the VM failed: %s\n", strerror(-r));
	return 2;
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	char root[] = "/tmp/libkrun-c-boot-probe.XXXXXX", path[sizeof(root) + 8];
	double limit = argc > 1 ? atof(argv[1]) : 30, start;
	int r, status;
	pid_t pid;

	if (limit <= 0)
		limit = 30;
	if (!mkdtemp(root)) {
		fprintf(stderr, "boot_probe: mkdtemp: %s\n", strerror(errno));
		return 2;
	}
	snprintf(path, sizeof(path), "%s/true", root);
	r = write_true(path);
	if (r < 0) {
		fprintf(stderr, "boot_probe: %s: %s\n", path, strerror(-r));
		r = 2;
		goto out;
	}
	fflush(NULL);
	start = now_s();
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "boot_probe: fork: %s\n", strerror(errno));
		r = 2;
		goto out;
	}
	if (pid == 0)
		_exit(run_vm(root));
	while ((r = (int)waitpid(pid, &status, WNOHANG)) == 0 && now_s() - start < limit)
		usleep(20000);
	if (r == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		fprintf(stderr, "boot_probe: the guest did not finish within %.0f s\n", limit);
		r = 124;
	} else if (WIFEXITED(status)) {
		r = WEXITSTATUS(status);
		fprintf(stderr, "boot_probe: the VM exited with status %d after %.1f s\n", r,
			now_s() - start);
	} else {
		fprintf(stderr, "boot_probe: the VM was killed by signal %d\n",
			WIFSIGNALED(status) ? WTERMSIG(status) : 0);
		r = 2;
	}
out:
	unlink(path);
	rmdir(root);
	return r;
}
