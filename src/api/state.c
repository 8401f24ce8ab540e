/* SPDX-License-Identifier: Apache-2.0 */
#include "api/state.h"

#include <unistd.h>

#include "util/log.h"

static struct krun_state state = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.log_level = LOG_WARN, /* errors and warnings by default, as upstream */
	.log_fd = STDERR_FILENO,
	.term_fd = -1,
	.krunfw = { .fd = -1 },
};

struct krun_state *krun_state(void)
{
	return &state;
}
