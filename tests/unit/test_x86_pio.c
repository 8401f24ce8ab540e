/* SPDX-License-Identifier: Apache-2.0 */
/* x86 port I/O exits, driven through a fake kvm_run mapping. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "test_x86_util.h"
#include "util/log.h"
#include "vmm/guest_abi.h"

#define RUN_SIZE 8192
#define DATA_OFF 4096

struct fixture {
	struct vm *vm;
	struct vcpu *v;
	uint8_t *run;
};

static struct fixture setup(void)
{
	struct fixture f;

	f.vm = calloc(1, sizeof(*f.vm));
	f.run = calloc(1, RUN_SIZE);
	CHECK(f.vm && f.run);
	pthread_mutex_init(&f.vm->end_lock, NULL);
	pthread_cond_init(&f.vm->end_cond, NULL);
	f.v = &f.vm->vcpu[0];
	f.v->vm = f.vm;
	f.v->run = (struct kvm_run *)(void *)f.run;
	f.v->run_size = RUN_SIZE;
	return f;
}

static void teardown(struct fixture *f)
{
	pthread_mutex_destroy(&f->vm->end_lock);
	pthread_cond_destroy(&f->vm->end_cond);
	free(f->vm);
	free(f->run);
}

static int io(struct fixture *f, bool out, uint16_t port, uint8_t size, uint32_t count,
	      uint64_t off)
{
	struct kvm_run *r = f->v->run;

	r->exit_reason = KVM_EXIT_IO;
	r->io.direction = out ? KVM_EXIT_IO_OUT : KVM_EXIT_IO_IN;
	r->io.size = size;
	r->io.port = port;
	r->io.count = count;
	r->io.data_offset = off;
	return arch_handle_exit(f->vm, f->v);
}

TEST(x86_exit_port_outl_reports_the_status)
{
	struct fixture f = setup();
	uint32_t status = 42;

	memcpy(f.run + DATA_OFF, &status, 4);
	CHECK_EQ(io(&f, true, KRUN_EXIT_PORT, 1, 1, DATA_OFF), 0); /* outb: ignored */
	CHECK_EQ(f.vm->end, VM_END_RUNNING);
	CHECK_EQ(io(&f, true, KRUN_EXIT_PORT, 4, 1, DATA_OFF), 0);
	CHECK_EQ(f.vm->end, VM_END_EXIT_REPORT);
	CHECK_EQ(f.vm->exit_status, 42);
	teardown(&f);
}

/* Boot phase marks: only the two known values, as 32-bit writes, and only the
 * first of each counts (a guest that repeats them moves nothing). */
TEST(x86_phase_port_keeps_the_first_time_of_each_known_mark)
{
	struct fixture f = setup();
	uint32_t v = KRUN_PHASE_INIT;
	uint64_t first;

	memcpy(f.run + DATA_OFF, &v, 4);
	CHECK_EQ(io(&f, true, KRUN_PHASE_PORT, 1, 1, DATA_OFF), 0); /* outb: ignored */
	CHECK_EQ(f.vm->phases.ns[VM_PHASE_INIT], 0);
	CHECK_EQ(io(&f, true, KRUN_PHASE_PORT, 4, 1, DATA_OFF), 0);
	first = f.vm->phases.ns[VM_PHASE_INIT];
	CHECK(first != 0);
	CHECK_EQ(io(&f, true, KRUN_PHASE_PORT, 4, 3, DATA_OFF), 0); /* outsl, repeated */
	CHECK_EQ(f.vm->phases.ns[VM_PHASE_INIT], first);
	v = 0xdead;
	memcpy(f.run + DATA_OFF, &v, 4);
	CHECK_EQ(io(&f, true, KRUN_PHASE_PORT, 4, 1, DATA_OFF), 0);
	for (unsigned int p = 0; p < VM_PHASES; p++)
		CHECK(p == VM_PHASE_INIT || f.vm->phases.ns[p] == 0);
	v = KRUN_PHASE_WORKLOAD;
	memcpy(f.run + DATA_OFF, &v, 4);
	CHECK_EQ(io(&f, true, KRUN_PHASE_PORT, 4, 1, DATA_OFF), 0);
	CHECK(f.vm->phases.ns[VM_PHASE_WORKLOAD] >= first);
	memset(f.run + DATA_OFF, 0, 4);
	CHECK_EQ(io(&f, false, KRUN_PHASE_PORT, 4, 1, DATA_OFF), 0); /* reads: nothing there */
	CHECK_EQ(f.run[DATA_OFF], 0xff);
	CHECK_EQ(f.vm->end, VM_END_RUNNING);
	v = 3;
	memcpy(f.run + DATA_OFF, &v, 4);
	CHECK_EQ(io(&f, true, KRUN_EXIT_PORT, 4, 1, DATA_OFF), 0);
	CHECK(f.vm->phases.ns[VM_PHASE_EXIT_REPORT] >= f.vm->phases.ns[VM_PHASE_WORKLOAD]);
	teardown(&f);
}

TEST(x86_i8042_reads_empty_and_0xfe_resets)
{
	struct fixture f = setup();

	f.run[DATA_OFF] = 0xaa;
	CHECK_EQ(io(&f, false, 0x64, 1, 1, DATA_OFF), 0);
	CHECK_EQ(f.run[DATA_OFF], 0);
	f.run[DATA_OFF] = 0xfe;
	CHECK_EQ(io(&f, true, 0x64, 1, 1, DATA_OFF), 0);
	CHECK_EQ(f.vm->end, VM_END_RESET);
	teardown(&f);
}

TEST(x86_com1_reports_an_empty_transmitter_and_no_uart)
{
	struct fixture f = setup();

	CHECK_EQ(io(&f, false, 0x3fd, 1, 1, DATA_OFF), 0);
	CHECK_EQ(f.run[DATA_OFF], 0x60);
	f.run[DATA_OFF] = 0xff;
	CHECK_EQ(io(&f, false, 0x3f9, 1, 1, DATA_OFF), 0); /* IER */
	CHECK_EQ(f.run[DATA_OFF], 0);
	teardown(&f);
}

TEST(x86_com1_output_is_collected_by_line_and_sanitized)
{
	struct fixture f = setup();
	static const char text[] = "Linux\x1b[2J\r";

	int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

	CHECK(null >= 0);
	log_configure(LOG_DEBUG, null); /* lines are only kept at debug level */
	memcpy(f.run + DATA_OFF, text, sizeof(text) - 1);
	CHECK_EQ(io(&f, true, 0x3f8, 1, sizeof(text) - 1, DATA_OFF), 0); /* outsb */
	CHECK_EQ(f.v->con_len, 8); /* "Linux" + "[2J": ESC and CR dropped */
	CHECK(memcmp(f.v->con_line, "Linux[2J", 8) == 0);
	f.run[DATA_OFF] = '\n';
	CHECK_EQ(io(&f, true, 0x3f8, 1, 1, DATA_OFF), 0);
	CHECK_EQ(f.v->con_len, 0);
	memset(f.run + DATA_OFF, 'x', 300);
	CHECK_EQ(io(&f, true, 0x3f8, 1, 300, DATA_OFF), 0); /* long lines are split */
	CHECK(f.v->con_len < sizeof(f.v->con_line));
	log_configure(LOG_WARN, -1);
	close(null);
	teardown(&f);
}

TEST(x86_unknown_ports_read_all_ones_and_ignore_writes)
{
	struct fixture f = setup();

	memset(f.run + DATA_OFF, 0, 16);
	CHECK_EQ(io(&f, false, 0x80, 1, 1, DATA_OFF), 0);
	CHECK_EQ(f.run[DATA_OFF], 0xff);
	CHECK_EQ(io(&f, false, 0xcf8, 4, 2, DATA_OFF), 0); /* insl, count 2 */
	for (unsigned int i = 0; i < 8; i++)
		CHECK_EQ(f.run[DATA_OFF + i], 0xff);
	CHECK_EQ(f.run[DATA_OFF + 8], 0);
	CHECK_EQ(io(&f, true, 0x80, 1, 1, DATA_OFF), 0);
	CHECK_EQ(f.vm->end, VM_END_RUNNING);
	teardown(&f);
}

TEST(x86_malformed_io_exits_are_refused_without_touching_memory)
{
	struct fixture f = setup();

	CHECK_EQ(io(&f, false, 0x80, 3, 1, DATA_OFF), -EINVAL);
	CHECK_EQ(io(&f, false, 0x80, 8, 1, DATA_OFF), -EINVAL);
	CHECK_EQ(io(&f, false, 0x80, 1, 0, DATA_OFF), -EINVAL);
	CHECK_EQ(io(&f, false, 0x80, 1, 1, RUN_SIZE), -EINVAL);
	CHECK_EQ(io(&f, false, 0x80, 4, 1, RUN_SIZE - 2), -EINVAL);
	CHECK_EQ(io(&f, false, 0x80, 4, 1025, DATA_OFF), -EINVAL);
	CHECK_EQ(io(&f, false, 0x80, 4, UINT32_MAX, DATA_OFF), -EINVAL);
	CHECK_EQ(io(&f, false, 0x80, 1, 1, UINT64_MAX), -EINVAL);
	CHECK_EQ(io(&f, false, 0x80, 1, 1, 16), -EINVAL); /* inside struct kvm_run */
	CHECK_EQ(io(&f, false, 0x80, 4, 1024, DATA_OFF), 0); /* exactly the tail */
	f.v->run->exit_reason = KVM_EXIT_HYPERCALL;
	CHECK_EQ(arch_handle_exit(f.vm, f.v), -EINVAL);
	teardown(&f);
}
