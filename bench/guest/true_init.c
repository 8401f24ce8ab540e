/* SPDX-License-Identifier: Apache-2.0 */
/* /init for the peer (QEMU microvm) in bench_boot: runs /bin/true like our guest
 * init would, then resets the VM (QEMU runs with -no-reboot, so it exits). */
#include <sys/reboot.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		char *argv[] = { "/bin/true", NULL };
		execv(argv[0], argv);
		_exit(127);
	}
	waitpid(pid, NULL, 0);
	reboot(RB_AUTOBOOT);
	return 0;
}
