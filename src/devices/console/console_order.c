/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The guest numbers its console ports (hvc0, hvc1, ...) in the order its
 * driver initializes them, which for MULTIPORT devices is when each device's
 * CONSOLE_PORT control message is handled: a work item per device, so with
 * several devices the order is a race (seen: the second device as hvc0).
 * Linux 6.1's init_port_console ends by sending PORT_OPEN(port 0, 1), so a
 * device holds its CONSOLE_PORT back until the device before it got that: the
 * guest then numbers them in the order they were added.
 */
#include <pthread.h>
#include <stdlib.h>

#include "devices/console/console_priv.h"

struct console_order {
	pthread_mutex_t lock;
	unsigned int next; /* whose CONSOLE_PORT may go out */
	struct console *dev[CONSOLE_ORDER_MAX];
	bool joined[CONSOLE_ORDER_MAX], needs_number[CONSOLE_ORDER_MAX];
};

/* Passes by the devices that have no console port. Lock held. */
static void skip_portless(struct console_order *o)
{
	while (o->next < CONSOLE_ORDER_MAX && o->joined[o->next] &&
	       !o->needs_number[o->next])
		o->next++;
}

struct console_order *console_order_create(void)
{
	struct console_order *o = calloc(1, sizeof(*o));

	if (o)
		pthread_mutex_init(&o->lock, NULL);
	return o;
}

void console_order_free(struct console_order *o)
{
	if (!o)
		return;
	pthread_mutex_destroy(&o->lock);
	free(o);
}

void console_order_join(struct console_order *o, unsigned int index, struct console *c,
			bool has_console)
{
	pthread_mutex_lock(&o->lock);
	if (index < CONSOLE_ORDER_MAX) {
		o->dev[index] = c;
		o->joined[index] = true;
		o->needs_number[index] = has_console;
		skip_portless(o);
	}
	pthread_mutex_unlock(&o->lock);
}

bool console_order_turn(struct console_order *o, unsigned int index)
{
	bool turn;

	if (!o)
		return true;
	pthread_mutex_lock(&o->lock);
	turn = o->next >= index;
	pthread_mutex_unlock(&o->lock);
	return turn;
}

void console_order_done(struct console_order *o, unsigned int index)
{
	struct console *c = NULL;

	if (!o)
		return;
	pthread_mutex_lock(&o->lock);
	if (o->next == index) {
		o->next = index + 1;
		skip_portless(o);
		if (o->next < CONSOLE_ORDER_MAX)
			c = o->dev[o->next];
	}
	pthread_mutex_unlock(&o->lock);
	/* No lock of ours is held: the next device takes its own. */
	if (c)
		console_ctrl_release(c);
}
