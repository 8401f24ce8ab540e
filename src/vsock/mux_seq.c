/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SEQPACKET setup services (mux.h): messages both ways over one connection,
 * virtio 1.2 §5.10.6.3 (a message ends with the packet flagged EOM). Guest
 * messages are assembled up to the service's msg_max and handed over whole;
 * they are consumed at once (credit comes back in the next header), so no
 * guest bytes wait here. A message to the guest is read from the fd only
 * while the guest has credit for msg_max bytes, then sent in as many packets
 * as its RX buffers need, EOM on the last.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "vsock/mux_priv.h"

bool mux_seq_rw(struct vsock_conn *c, const struct vsock_hdr *h, const struct iovec *iov,
		unsigned int niov)
{
	struct vsock_mux *m = c->mux;
	size_t max = c->state == CONN_SETUP ? c->svc->setup_len : c->svc->msg_max;

	if (c->reset_after_prefix || (c->state == CONN_ESTABLISHED && c->fd < 0))
		return false;
	if ((uint64_t)c->msg_in_len + h->len > max)
		return false;
	if (!c->msg_in) {
		c->msg_in = malloc(c->svc->msg_max > VSOCK_SETUP_MAX ? c->svc->msg_max
								      : VSOCK_SETUP_MAX);
		if (!c->msg_in)
			return false;
	}
	for (unsigned int i = 0; i < niov; i++) {
		memcpy(c->msg_in + c->msg_in_len, iov[i].iov_base, iov[i].iov_len);
		c->msg_in_len += (uint32_t)iov[i].iov_len;
	}
	c->rx_cnt += h->len;
	c->fwd_cnt += h->len;
	conn_io_credit_check(c);
	if (!(h->flags & VSOCK_SEQ_EOM))
		return true;
	if (c->state == CONN_SETUP) {
		if (c->msg_in_len != c->svc->setup_len)
			return false;
		memcpy(c->setup, c->msg_in, c->msg_in_len);
		c->setup_got = (uint8_t)c->msg_in_len;
		c->msg_in_len = 0;
		mux_setup_run(c);
		return true;
	}
	if (c->svc->send_msg(c->svc_arg, c->fd, c->msg_in, c->msg_in_len) < 0)
		m->stats.msgs_dropped++;
	else
		m->stats.msgs_to_host++;
	c->msg_in_len = 0;
	return true;
}

bool mux_seq_can_read(const struct vsock_conn *c)
{
	if (c->state != CONN_ESTABLISHED || c->fd < 0 || (c->guest_shut & VSOCK_SHUTDOWN_RCV))
		return false;
	if (c->msg_out_off < c->msg_out_len)
		return conn_peer_credit(c) > 0;
	return c->readable && conn_peer_credit(c) >= c->svc->msg_max;
}

bool mux_seq_send(struct vsock_mux *m, struct vsock_conn *c, struct vsock_rxbuf *b)
{
	struct vsock_hdr h;
	size_t n;

	if (!mux_seq_can_read(c))
		return false;
	if (c->msg_out_off == c->msg_out_len) {
		long r;

		if (!c->msg_out) {
			c->msg_out = malloc(c->svc->msg_max);
			if (!c->msg_out) {
				conn_reset(c);
				return false;
			}
		}
		r = c->svc->recv_msg(c->svc_arg, c->fd, c->msg_out, c->svc->msg_max);
		if (r < 0) {
			if (r == -EAGAIN)
				c->readable = false;
			return false; /* other errors (ICMP reports) are consumed */
		}
		c->msg_out_len = (uint32_t)r;
		c->msg_out_off = 0;
		m->stats.msgs_to_guest++;
	}
	n = c->msg_out_len - c->msg_out_off;
	if (n > conn_peer_credit(c))
		n = conn_peer_credit(c);
	if (n > b->cap - VSOCK_HDR_SIZE)
		n = b->cap - VSOCK_HDR_SIZE;
	mux_rx_copy(b, VSOCK_HDR_SIZE, c->msg_out + c->msg_out_off, n);
	c->msg_out_off += (uint32_t)n;
	c->tx_cnt += (uint32_t)n;
	m->stats.to_guest += n;
	h = (struct vsock_hdr){
		.src_cid = VSOCK_HOST_CID, .src_port = c->host_port,
		.dst_cid = VSOCK_GUEST_CID, .dst_port = c->guest_port,
		.type = VSOCK_TYPE_SEQPACKET, .op = VSOCK_OP_RW, .len = (uint32_t)n,
		.flags = c->msg_out_off == c->msg_out_len ? VSOCK_SEQ_EOM | VSOCK_SEQ_EOR : 0,
		.buf_alloc = VSOCK_BUF_ALLOC, .fwd_cnt = c->fwd_cnt,
	};
	c->fwd_told = c->fwd_cnt;
	c->owe &= ~OWE_CREDIT;
	mux_rx_send_hdr(m, b, &h);
	return true;
}

void mux_seq_free(struct vsock_conn *c)
{
	free(c->msg_in);
	free(c->msg_out);
	c->msg_in = c->msg_out = NULL;
}
