/* SPDX-License-Identifier: Apache-2.0 */
/* virtio-net device (virtio 1.2 §5.1): config space, features, backend events; net.h has the contract. */
#include "devices/net/priv.h"

#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "util/log.h"
#include "vmm/evloop.h"

#define NET_HOST_GSO (1u << VIRTIO_NET_F_HOST_TSO4 | 1u << VIRTIO_NET_F_HOST_TSO6 | \
		      1u << VIRTIO_NET_F_HOST_UFO)
#define NET_GUEST_GSO (1u << VIRTIO_NET_F_GUEST_TSO4 | 1u << VIRTIO_NET_F_GUEST_TSO6 | \
		       1u << VIRTIO_NET_F_GUEST_UFO)
#define NET_OFFLOADS (1u << VIRTIO_NET_F_CSUM | 1u << VIRTIO_NET_F_GUEST_CSUM | \
		      NET_HOST_GSO | NET_GUEST_GSO)

/* The offloads asked for that can be offered: §5.1.3.1 has HOST_TSO4/6 and
 * HOST_UFO need CSUM, and the GUEST_ ones GUEST_CSUM. */
static uint32_t net_offloads(uint32_t asked)
{
	uint32_t o = asked & NET_OFFLOADS;

	if (!(o & 1u << VIRTIO_NET_F_CSUM))
		o &= ~NET_HOST_GSO;
	if (!(o & 1u << VIRTIO_NET_F_GUEST_CSUM))
		o &= ~NET_GUEST_GSO;
	return o;
}

/* §5.1.3: MAC, STATUS and MRG_RXBUF always, and §6 EVENT_IDX; of the offloads
 * the caller asked for (NET_FEATURE_* are the same bits), those net_offloads
 * keeps (net.h says how each is done). */
static uint64_t net_features(struct virtio_dev *d)
{
	struct net *n = d->priv;

	return 1ULL << VIRTIO_NET_F_MAC | 1ULL << VIRTIO_NET_F_STATUS |
	       1ULL << VIRTIO_NET_F_MRG_RXBUF | 1ULL << VIRTIO_F_EVENT_IDX |
	       net_offloads(n->features);
}

/* dev->lock held. */
static void net_config_read(struct virtio_dev *d, uint32_t off, void *data, uint32_t len)
{
	struct net *n = d->priv;
	uint8_t cfg[NET_CONFIG_SIZE] = { 0 };
	uint16_t status;

	pthread_mutex_lock(&n->lock);
	status = htole16(n->backend_dead ? 0 : VIRTIO_NET_S_LINK_UP);
	pthread_mutex_unlock(&n->lock);
	memcpy(cfg + NET_CFG_MAC, n->mac, sizeof(n->mac));
	memcpy(cfg + NET_CFG_STATUS, &status, sizeof(status));
	memcpy(data, cfg + off, len); /* the transport bounded off + len */
}

static void net_config_write(struct virtio_dev *d, uint32_t off, const void *data, uint32_t len)
{
	(void)d, (void)data;
	/* §5.1.4: the config space is the device's to write (the MAC is only
	 * writable by a legacy driver). */
	log_debug("virtio-net: config write of %u bytes at %u ignored", len, off);
}

/* DRIVER_OK; dev->lock held, vCPU thread. */
static int net_activate(struct virtio_dev *d)
{
	struct net *n = d->priv;

	pthread_mutex_lock(&n->lock);
	n->active = true;
	n->tx_csum = virtio_has_feature(d, VIRTIO_NET_F_CSUM);
	n->tx_gso_types = (uint8_t)((virtio_has_feature(d, VIRTIO_NET_F_HOST_TSO4) ? 1u << NET_GSO_TCPV4 : 0) |
				    (virtio_has_feature(d, VIRTIO_NET_F_HOST_TSO6) ? 1u << NET_GSO_TCPV6 : 0) |
				    (virtio_has_feature(d, VIRTIO_NET_F_HOST_UFO) ? 1u << NET_GSO_UDP : 0));
	n->mrg = virtio_has_feature(d, VIRTIO_NET_F_MRG_RXBUF);
	/* Whole frames the backend's buffer already holds would wait for the
	 * proxy's next bytes: the loop looks now. */
	net_kick_self(n, NET_RXQ);
	pthread_mutex_unlock(&n->lock);
	return 0;
}

/*
 * Why small completions wait: Linux's virtio-net (start_xmit) re-arms TX
 * interrupts with virtqueue_enable_cb_delayed after freeing what completed,
 * and with nothing outstanding that asks for an interrupt at the very next
 * completion. Ours complete as soon as the frame is with the backend, so in a
 * host->guest stream every ACK the guest sent cost one interrupt, each a VM
 * exit and entry (at MTU 1500: 8 964 TX interrupts for 8 MiB, against 131 for
 * the 10 258 frames received). The driver frees completed chains anyway on its
 * next transmit and in its RX poll (virtnet_poll_cleantx), so for chains too
 * small to matter to its socket accounting the interrupt can wait
 * (virtio/irq_defer.h). Chains carrying data are signalled at once.
 */
void net_tx_signal(struct net *n, bool small_only)
{
	if (small_only) {
		irq_defer_owe(&n->tx_irq);
		return;
	}
	irq_defer_paid(&n->tx_irq);
	virtio_signal_used(n->dev);
}

void net_rx_signal(struct net *n)
{
	irq_defer_paid(&n->tx_irq);
	virtio_signal_used(n->dev);
}

/* Status 0; dev->lock held, vCPU thread. A frame half-sent to a stream
 * backend is finished all the same: the stream's framing must survive. */
static void net_reset(struct virtio_dev *d)
{
	struct net *n = d->priv;

	pthread_mutex_lock(&n->lock);
	n->active = false;
	n->rx_frame = NULL;
	n->rx_waiting = false;
	n->gso.more = false; /* its chain is already back: the rest is lost, as on a wire */
	/* Buffers taken for a frame went back with the queue (§2.4). */
	n->nheld = 0;
	n->held_cap = 0;
	irq_defer_paid(&n->tx_irq); /* the queue is gone: nothing to tell */
	net_update_events(n);
	pthread_mutex_unlock(&n->lock);
}

/* Event loop thread. */
static void net_queue_notify(struct virtio_dev *d, uint16_t qidx)
{
	struct net *n = d->priv;

	pthread_mutex_lock(&n->lock);
	if (n->active && qidx == NET_RXQ) {
		/* New buffers: a frame held for want of one goes now. */
		if (n->rx_waiting) {
			n->rx_waiting = false;
			net_update_events(n);
		}
		net_rx_run(n);
	} else if (n->active && qidx == NET_TXQ) {
		net_tx_run(n);
	}
	pthread_mutex_unlock(&n->lock);
}

/* Event loop thread: the backend's fd. */
static void net_on_backend(void *arg, uint32_t events)
{
	struct net *n = arg;
	int r;

	pthread_mutex_lock(&n->lock);
	if ((events & EPOLLOUT) && netbe_tx_pending(&n->be)) {
		r = netbe_tx_flush(&n->be);
		if (r == 0) {
			net_update_events(n);
			if (n->active)
				net_tx_run(n);
		} else if (r != -EAGAIN) {
			net_backend_failed(n, r);
		}
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		net_rx_run(n);
	pthread_mutex_unlock(&n->lock);
}

void net_update_events(struct net *n)
{
	uint32_t want = 0;

	if (n->backend_dead)
		return;
	if (!n->rx_waiting)
		want |= EPOLLIN;
	if (netbe_tx_pending(&n->be))
		want |= EPOLLOUT;
	if (want != n->events && evloop_mod(n->loop, n->be.fd, want) == 0)
		n->events = want;
}

void net_backend_failed(struct net *n, int err)
{
	if (n->backend_dead)
		return;
	log_error("virtio-net: the network backend %s; the link is down",
		  err == -EPIPE ? "closed its end" : strerror(-err));
	n->backend_dead = true;
	/* Unwatched, not closed: a hung-up fd would wake the loop forever. */
	evloop_del(n->loop, n->be.fd);
	n->rx_frame = NULL;
	if (n->active) {
		virtio_signal_config(n->dev); /* §5.1.4: STATUS changed */
		/* TX chains left in the ring, e.g. behind a frame the backend did
		 * not take, are completed (dropped) now: with EVENT_IDX the driver
		 * may not kick for them (net.h). */
		net_kick_self(n, NET_TXQ);
	}
}

void net_drop(struct net *n, bool rx, const char *why)
{
	uint64_t held;

	if (rx)
		n->rx_dropped++;
	if (!ratelimit_pass(&n->bad_log, &held))
		return;
	if (held)
		log_warn("virtio-net: %s: dropped (and %llu drops not logged)", why,
			 (unsigned long long)held);
	else
		log_warn("virtio-net: %s: dropped", why);
}

void net_kick_self(struct net *n, uint16_t q)
{
	uint64_t one = 1;

	/* The queue's notify eventfd: the loop calls queue_notify once it has
	 * served what else is ready. A full counter already wakes it. */
	if (n->dev->notify_fd[q] >= 0 && write(n->dev->notify_fd[q], &one, sizeof(one)) < 0)
		log_debug("virtio-net: self-kick: %s", strerror(errno));
}

static void net_destroy(struct virtio_dev *d)
{
	struct net *n = d->priv;

	if (!n->backend_dead)
		evloop_del(n->loop, n->be.fd);
	irq_defer_fini(&n->tx_irq);
	netbe_close(&n->be);
	pthread_mutex_destroy(&n->lock);
	free(n->gso_buf);
	free(n);
	d->priv = NULL;
}

const struct netbe *net_backend(const struct virtio_dev *d)
{
	return &((const struct net *)d->priv)->be;
}

static const struct virtio_dev_ops net_ops = {
	.name = "net",
	.device_id = 1,
	.num_queues = NET_NUM_QUEUES,
	.queue_max_size = NET_QUEUE_SIZE,
	.features = net_features,
	.config_size = NET_CONFIG_SIZE,
	.config_read = net_config_read,
	.config_write = net_config_write,
	.activate = net_activate,
	.queue_notify = net_queue_notify,
	.reset = net_reset,
	.destroy = net_destroy,
};

int net_create(const struct net_config *cfg, struct evloop *loop, struct virtio_dev **out)
{
	struct virtio_dev *d = calloc(1, sizeof(*d));
	struct net *n = calloc(1, sizeof(*n));
	int r;

	if (!d || !n || !(n->gso_buf = malloc(NETBE_FRAME_MAX))) {
		r = -ENOMEM;
		close(cfg->fd);
		goto fail;
	}
	r = netbe_open(&n->be, cfg->fd, cfg->kind); /* takes fd */
	if (r < 0)
		goto fail;
	n->dev = d;
	n->loop = loop;
	memcpy(n->mac, cfg->mac, sizeof(n->mac));
	n->bad_log = (struct ratelimit)RATELIMIT_INIT(1000, 5);
	n->events = EPOLLIN;
	pthread_mutex_init(&n->lock, NULL);
	r = evloop_add(loop, n->be.fd, n->events, net_on_backend, n);
	if (r < 0) {
		pthread_mutex_destroy(&n->lock);
		netbe_close(&n->be);
		goto fail;
	}
	irq_defer_init(&n->tx_irq, d, loop, NET_TX_IRQ_DELAY_NS);
	n->features = cfg->features;
	if (net_offloads(cfg->features) != cfg->features)
		log_debug("virtio-net: of the offloads %#x asked for, %#x are offered "
			  "(a HOST_ one needs CSUM, a GUEST_ one GUEST_CSUM)",
			  cfg->features, net_offloads(cfg->features));
	/* The transport part stays zeroed for the bus to set up (src/vmm/virtio_bus.c). */
	d->ops = &net_ops;
	d->priv = n;
	d->irqfd = -1;
	for (unsigned int i = 0; i < VIRTIO_MAX_QUEUES; i++)
		d->notify_fd[i] = -1;
	*out = d;
	return 0;
fail:
	log_error("virtio-net: cannot create the device: %s", strerror(-r));
	if (n)
		free(n->gso_buf);
	free(n);
	free(d);
	return r;
}
