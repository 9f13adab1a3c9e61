/* virtio-net (virtio 1.2 §5.1): one receive and one transmit queue, a
 * MAC address and link status in config space, mergeable receive buffers,
 * and checksum offload both ways.  Frames go to and come from a -netdev
 * backend (net/net.h).  docs/virtio-net.md has the whole picture.
 *
 * Features offered: MAC, STATUS (the link is always up), MRG_RXBUF,
 * CSUM (the guest may leave a TCP/UDP checksum to the device: it is
 * computed here before the frame reaches the backend) and GUEST_CSUM
 * (frames from a backend whose checksums are known good are marked
 * DATA_VALID).  No GSO/TSO: every frame is at most one MTU-sized packet.
 * Every frame carries the 12-byte virtio_net_hdr of VERSION_1.
 *
 * Threads: the queue handlers, the bottom halves and the backend's
 * callbacks all run in the device's event loop (vdev->loop), and the
 * backend is attached to that same loop, so the receive and transmit
 * state below is touched by that thread only and needs no lock.  The
 * config (MAC, status) is constant after realize; vCPU threads read it
 * under vdev->lock through get_config.
 *
 * Receive buffers: a frame needs one buffer without MRG_RXBUF and
 * possibly several with it.  Buffers popped for a frame that does not
 * fit yet stay in rx_stash (owned by the device, counted in flight by the
 * core) until the guest adds more; the net layer meanwhile queues the
 * frames that follow.  A device or queue reset makes stashed buffers
 * stale; they are dropped when next looked at (their generation is old).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "hw/core/props.h"
#include "hw/virtio/virtio.h"
#include "net/net.h"
#include "util/atomic.h"
#include "util/log.h"

#define TYPE_VIRTIO_NET "virtio-net-device"

/* Feature bits (§5.1.3). */
#define VIRTIO_NET_F_CSUM        0
#define VIRTIO_NET_F_GUEST_CSUM  1
#define VIRTIO_NET_F_MAC         5
#define VIRTIO_NET_F_MRG_RXBUF   15
#define VIRTIO_NET_F_STATUS      16

#define VIRTIO_NET_S_LINK_UP 1

/* struct virtio_net_hdr (§5.1.6): with VERSION_1 it always has
 * num_buffers, so it is 12 bytes whatever was negotiated. */
#define NET_HDR_LEN 12
#define NET_HDR_FLAGS        0
#define NET_HDR_GSO_TYPE     1
#define NET_HDR_CSUM_START   6
#define NET_HDR_CSUM_OFFSET  8
#define NET_HDR_NUM_BUFFERS  10
#define VIRTIO_NET_HDR_F_NEEDS_CSUM 1
#define VIRTIO_NET_HDR_F_DATA_VALID 2
#define VIRTIO_NET_HDR_GSO_NONE     0

/* Config: mac[6], status, max_virtqueue_pairs. */
#define NET_CONFIG_SIZE 10

#define NET_QUEUE_SIZE 256
#define ETH_HLEN 14
/* Frames sent per handler call before giving other handlers a turn. */
#define TX_BURST 256

typedef struct VirtIONet {
    VirtIODevice parent;

    /* Properties (BQL, before realize). */
    char *netdev;
    MACAddr mac;
    bool csum, guest_csum, mrg_rxbuf;

    /* Set at realize, constant until unrealize. */
    NetBackend *nb;             /* borrowed from attach to detach */
    VirtQueue *rx_vq, *tx_vq;
    BH *tx_bh;                  /* continues a transmit burst */
    BH *rx_notify_bh;           /* one interrupt per batch of frames */
    uint8_t *tx_buf;            /* NET_HDR_LEN + NET_MAX_FRAME */

    /* The device's loop thread only. */
    VirtQueueElement *rx_stash[NET_QUEUE_SIZE]; /* popped, unused, owned */
    unsigned rx_stash_n;
    bool tx_paused;             /* the backend asked to wait */
} VirtIONet;

#define VIRTIO_NET(vdev) container_of((vdev), VirtIONet, parent)

/* The class's parent hooks, chained from ours (set in class_init). */
static DeviceRealize *vnet_parent_realize;
static DeviceDrain *vnet_parent_drain;

static uint16_t get_le16(const uint8_t *p)
{
    return p[0] | (uint16_t)p[1] << 8;
}

static void put_le16(uint8_t *p, uint16_t v)
{
    p[0] = v;
    p[1] = v >> 8;
}

/* The negotiated features and the RX queue's generation (which a reset
 * bumps), read together under the core's lock. */
static uint64_t vnet_snapshot(VirtIONet *n, uint64_t *rx_gen)
{
    VirtIODevice *vdev = &n->parent;
    uint64_t features;

    pthread_mutex_lock(&vdev->lock);
    features = vdev->guest_features;
    *rx_gen = n->rx_vq->generation;
    pthread_mutex_unlock(&vdev->lock);
    return features;
}

/* ------------------------------------------------------------------ */
/* Receive */

enum { RX_READY, RX_NO_ROOM, RX_DROP };

/* Drops stashed buffers popped before a reset: the driver forgot them.
 * Buffers popped later have generation rx_gen or newer. */
static void rx_stash_prune(VirtIONet *n, uint64_t rx_gen)
{
    unsigned kept = 0;

    for (unsigned i = 0; i < n->rx_stash_n; i++) {
        VirtQueueElement *e = n->rx_stash[i];

        if (e->generation == rx_gen) {
            n->rx_stash[kept++] = e;
        } else {
            virtqueue_drop(n->rx_vq, e);
        }
    }
    n->rx_stash_n = kept;
}

static void rx_stash_drop_all(VirtIONet *n)
{
    while (n->rx_stash_n) {
        virtqueue_drop(n->rx_vq, n->rx_stash[--n->rx_stash_n]);
    }
}

/* Whether a popped receive chain is usable; a driver error otherwise
 * (the element is dropped, the device needs a reset). */
static bool rx_elem_ok(VirtIONet *n, VirtQueueElement *e, bool mrg)
{
    const char *err = NULL;

    if (e->out_num) {
        err = "receive buffer with device-readable descriptors";
    } else if (!e->in_num) {
        err = "receive buffer without device-writable space";
    } else if (mrg && e->in_len < NET_HDR_LEN) {
        /* §5.1.6.3.1: with MRG_RXBUF each buffer holds a header. */
        err = "mergeable receive buffer smaller than the header";
    }
    if (err) {
        virtio_error(&n->parent, "%s", err);
        virtqueue_drop(n->rx_vq, e);
        return false;
    }
    return true;
}

/* Stashes buffers until the first *count of them hold `need` bytes. */
static int rx_gather(VirtIONet *n, bool mrg, uint64_t need, unsigned *count)
{
    uint64_t have = 0;
    unsigned i = 0;

    for (;;) {
        VirtQueueElement *e;

        while (i < n->rx_stash_n && have < need) {
            have += n->rx_stash[i++]->in_len;
        }
        if (!mrg && n->rx_stash_n) {
            /* One chain per frame: a chain too small for this frame
             * stays for a smaller one. */
            *count = 1;
            return n->rx_stash[0]->in_len >= need ? RX_READY : RX_DROP;
        }
        if (mrg && have >= need) {
            *count = i;
            return RX_READY;
        }
        if (n->rx_stash_n == NET_QUEUE_SIZE) {
            return RX_DROP;     /* the whole queue is not enough */
        }
        e = virtqueue_pop(n->rx_vq);
        if (!e) {
            return RX_NO_ROOM;
        }
        if (!rx_elem_ok(n, e, mrg)) {
            return RX_NO_ROOM;
        }
        n->rx_stash[n->rx_stash_n++] = e;
    }
}

/* Writes bytes [pos, pos + len) of header + frame at the start of e. */
static bool rx_write_elem(VirtIONet *n, VirtQueueElement *e, uint64_t pos,
                          uint64_t len, const uint8_t *hdr,
                          const uint8_t *frame)
{
    VirtIODevice *vdev = &n->parent;
    uint64_t off = 0;

    if (pos < NET_HDR_LEN) {
        uint64_t h = MIN(len, NET_HDR_LEN - pos);

        if (!virtqueue_elem_write(vdev, e, 0, hdr + pos, h, NULL)) {
            return false;
        }
        off = h;
        pos += h;
        len -= h;
    }
    return !len || virtqueue_elem_write(vdev, e, off,
                                        frame + (pos - NET_HDR_LEN), len,
                                        NULL);
}

static void rx_fill(VirtIONet *n, const uint8_t *frame, size_t len,
                    unsigned count, bool mrg, bool csum_valid)
{
    uint8_t hdr[NET_HDR_LEN] = { 0 };
    uint32_t used[NET_QUEUE_SIZE];
    uint64_t total = NET_HDR_LEN + len, pos = 0;
    bool ok = true;

    hdr[NET_HDR_FLAGS] = csum_valid ? VIRTIO_NET_HDR_F_DATA_VALID : 0;
    hdr[NET_HDR_GSO_TYPE] = VIRTIO_NET_HDR_GSO_NONE;
    /* Without MRG_RXBUF the device sets 1 (§5.1.6.4). */
    put_le16(hdr + NET_HDR_NUM_BUFFERS, mrg ? count : 1);
    for (unsigned i = 0; i < count && ok; i++) {
        uint64_t chunk = MIN(n->rx_stash[i]->in_len, total - pos);

        ok = rx_write_elem(n, n->rx_stash[i], pos, chunk, hdr, frame);
        used[i] = chunk;
        pos += chunk;
    }
    if (!ok) {
        /* A buffer stopped being RAM, or a reset came in between: the
         * frame is lost; empty buffers tell the driver to drop them. */
        log_mask_printf(LOG_GUEST_ERROR, "virtio-net: receive buffer "
                        "unusable; frame dropped\n");
        memset(used, 0, count * sizeof(used[0]));
    }
    /* One frame, one move of the used index: the driver never sees a
     * header saying num_buffers = N before all N buffers are used. */
    virtqueue_push_batch(n->rx_vq, n->rx_stash, used, count);
    n->rx_stash_n -= count;
    memmove(n->rx_stash, n->rx_stash + count,
            n->rx_stash_n * sizeof(n->rx_stash[0]));
    bh_schedule(n->rx_notify_bh);
}

/* NetFrontendOps.receive: loop thread. */
static bool vnet_receive(void *opaque, const uint8_t *frame, size_t len)
{
    VirtIONet *n = opaque;
    uint64_t rx_gen, features = vnet_snapshot(n, &rx_gen);
    bool mrg = virtio_has_feature(features, VIRTIO_NET_F_MRG_RXBUF);
    bool csum_valid = n->nb->ops->rx_csum_valid &&
                      virtio_has_feature(features, VIRTIO_NET_F_GUEST_CSUM);
    unsigned count;

    rx_stash_prune(n, rx_gen);
    switch (rx_gather(n, mrg, NET_HDR_LEN + len, &count)) {
    case RX_NO_ROOM:
        return false;
    case RX_DROP:
        log_mask_printf(LOG_GUEST_ERROR, "virtio-net: receive buffers too "
                        "small for a frame of %zu bytes; dropped\n", len);
        return true;
    }
    rx_fill(n, frame, len, count, mrg, csum_valid);
    return true;
}

static void vnet_rx_notify_bh(void *opaque)
{
    VirtIONet *n = opaque;

    virtqueue_notify(n->rx_vq);
}

/* The driver added receive buffers. */
static void vnet_handle_rx(VirtIODevice *vdev, VirtQueue *vq)
{
    net_rx_ready(VIRTIO_NET(vdev)->nb);   /* NULL-safe */
}

/* ------------------------------------------------------------------ */
/* Transmit */

/* RFC 1071 sum of p[0..len), in the data's own byte order (the folded
 * sum of native-order words is the byte-swapped sum of network-order
 * ones, and the checksum is stored back the same way). */
static uint16_t csum_fold(const uint8_t *p, size_t len)
{
    uint64_t sum = 0;
    uint32_t w32;
    uint16_t w16 = 0;

    for (; len >= 4; p += 4, len -= 4) {
        memcpy(&w32, p, 4);
        sum += w32;
    }
    if (len >= 2) {
        memcpy(&w16, p, 2);
        sum += w16;
        p += 2;
        len -= 2;
    }
    if (len) {
        w16 = 0;
        memcpy(&w16, p, 1);
        sum += w16;
    }
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return sum;
}

/* VIRTIO_NET_HDR_F_NEEDS_CSUM (§5.1.6.2): the driver put the pseudo-header
 * sum at csum_start + csum_offset; the device sums from csum_start to the
 * end and stores the complement there. */
static bool tx_finish_csum(uint8_t *frame, size_t len, const uint8_t *hdr)
{
    size_t start = get_le16(hdr + NET_HDR_CSUM_START);
    size_t off = get_le16(hdr + NET_HDR_CSUM_OFFSET);
    uint16_t csum;

    if (start >= len || off > len - start || len - start - off < 2) {
        return false;
    }
    csum = ~csum_fold(frame + start, len - start);
    if (!csum) {
        csum = 0xffff;          /* UDP: 0 would mean "no checksum" */
    }
    memcpy(frame + start + off, &csum, 2);
    return true;
}

/* Copies the frame of e into tx_buf and finishes it.  Returns its length,
 * 0 to drop it, or -1 after a virtio_error (the device stopped). */
static long tx_take(VirtIONet *n, VirtQueueElement *e)
{
    VirtIODevice *vdev = &n->parent;
    uint8_t *hdr = n->tx_buf, *frame = n->tx_buf + NET_HDR_LEN;
    const char *drop = NULL;
    size_t len;

    if (e->in_num) {
        virtio_error(vdev, "transmit buffer with device-writable "
                     "descriptors");
        return -1;
    }
    if (e->out_len < NET_HDR_LEN) {
        virtio_error(vdev, "transmit buffer of %" PRIu64 " bytes has no "
                     "virtio_net_hdr", e->out_len);
        return -1;
    }
    len = e->out_len - NET_HDR_LEN;
    if (len > NET_MAX_FRAME) {
        drop = "frame too long";
    } else if (!virtqueue_elem_read(vdev, e, 0, n->tx_buf, e->out_len,
                                    NULL)) {
        drop = "buffer not in RAM";
    } else if (hdr[NET_HDR_GSO_TYPE] != VIRTIO_NET_HDR_GSO_NONE) {
        drop = "GSO frame, but no GSO feature was offered";
    } else if (len < ETH_HLEN) {
        drop = "frame shorter than an Ethernet header";
    } else if ((hdr[NET_HDR_FLAGS] & VIRTIO_NET_HDR_F_NEEDS_CSUM) &&
               !tx_finish_csum(frame, len, hdr)) {
        drop = "checksum start/offset outside the frame";
    }
    if (drop) {
        log_mask_printf(LOG_GUEST_ERROR, "virtio-net: transmit: %s; "
                        "dropped\n", drop);
        return 0;
    }
    return len;
}

static void vnet_tx_flush(VirtIONet *n)
{
    unsigned done = 0;

    if (!n->tx_bh) {
        return;                 /* after vnet_exit or unrealize */
    }
    while (!n->tx_paused && done < TX_BURST) {
        VirtQueueElement *e = virtqueue_pop(n->tx_vq);
        long len;

        if (!e) {
            break;
        }
        len = tx_take(n, e);
        if (len < 0) {
            virtqueue_drop(n->tx_vq, e);
            break;
        }
        /* The frame is in tx_buf: the guest may have its buffer back. */
        virtqueue_push(n->tx_vq, e, 0);
        done++;
        if (len && !net_send(n->nb, n->tx_buf + NET_HDR_LEN, len)) {
            n->tx_paused = true;
        }
    }
    if (done) {
        virtqueue_notify(n->tx_vq);
    }
    if (done == TX_BURST && !n->tx_paused) {
        bh_schedule(n->tx_bh);  /* more may wait: after other handlers */
    }
}

static void vnet_handle_tx(VirtIODevice *vdev, VirtQueue *vq)
{
    vnet_tx_flush(VIRTIO_NET(vdev));
}

static void vnet_tx_bh(void *opaque)
{
    vnet_tx_flush(opaque);
}

/* NetFrontendOps.tx_ready: loop thread. */
static void vnet_tx_ready(void *opaque)
{
    VirtIONet *n = opaque;

    n->tx_paused = false;
    bh_schedule(n->tx_bh);
}

/* NetFrontendOps.exit: loop thread, the vCPUs have stopped.  The
 * queue handlers may still run until the loop goes: with tx_bh gone they
 * do nothing. */
static void vnet_exit(void *opaque)
{
    VirtIONet *n = opaque;

    rx_stash_drop_all(n);
    bh_delete(n->tx_bh);
    bh_delete(n->rx_notify_bh);
    n->tx_bh = n->rx_notify_bh = NULL;
    n->nb = NULL;
}

static const NetFrontendOps vnet_frontend_ops = {
    .receive = vnet_receive,
    .tx_ready = vnet_tx_ready,
    .exit = vnet_exit,
};

/* ------------------------------------------------------------------ */
/* Config, lifecycle */

/* vdev->lock held, any thread. */
static void vnet_get_config(VirtIODevice *vdev, uint8_t *config)
{
    VirtIONet *n = VIRTIO_NET(vdev);

    memcpy(config, n->mac.a, 6);
    put_le16(config + 6, VIRTIO_NET_S_LINK_UP);
    put_le16(config + 8, 1);    /* max_virtqueue_pairs */
}

/* BQL.  The backend is attached last, once nothing can fail: from then
 * on it may call us from the loop. */
static bool vnet_realize(VirtIODevice *vdev, Error **errp)
{
    VirtIONet *n = VIRTIO_NET(vdev);
    NetBackend *nb = NULL;

    if (n->netdev) {
        nb = net_backend_find(n->netdev);
        if (!nb) {
            error_setg(errp, "netdev '%s' not found (create it with "
                       "-netdev TYPE,id=%s)", n->netdev, n->netdev);
            return false;
        }
        if (atomic_load_acquire(&nb->in_use)) {
            error_setg(errp, "netdev '%s' is already used by another "
                       "device", n->netdev);
            return false;
        }
    }
    n->rx_vq = virtio_add_queue(vdev, NET_QUEUE_SIZE, vnet_handle_rx, errp);
    if (!n->rx_vq) {
        return false;
    }
    n->tx_vq = virtio_add_queue(vdev, NET_QUEUE_SIZE, vnet_handle_tx, errp);
    if (!n->tx_vq) {
        return false;
    }
    n->tx_buf = malloc(NET_HDR_LEN + NET_MAX_FRAME);
    if (!n->tx_buf) {
        abort();
    }
    n->tx_bh = bh_new(vdev->loop, vnet_tx_bh, n);
    n->rx_notify_bh = bh_new(vdev->loop, vnet_rx_notify_bh, n);
    net_macaddr_default(&n->mac);
    n->nb = nb;
    if (nb && !net_backend_attach(nb, &vnet_frontend_ops, n, vdev->loop,
                                  errp)) {
        abort();                /* checked above, under the same BQL */
    }
    return true;
}

/* Device realize: the core's, then the features the properties turn off
 * (not plugged yet: nobody else reads host_features). */
static bool vnet_dev_realize(Device *dev, Error **errp)
{
    VirtIODevice *vdev = VIRTIO_DEVICE(dev);
    VirtIONet *n = VIRTIO_NET(vdev);
    uint64_t off = 0;

    if (!vnet_parent_realize(dev, errp)) {
        return false;
    }
    off |= n->csum ? 0 : 1ull << VIRTIO_NET_F_CSUM;
    off |= n->guest_csum ? 0 : 1ull << VIRTIO_NET_F_GUEST_CSUM;
    off |= n->mrg_rxbuf ? 0 : 1ull << VIRTIO_NET_F_MRG_RXBUF;
    pthread_mutex_lock(&vdev->lock);
    vdev->host_features &= ~off;
    pthread_mutex_unlock(&vdev->lock);
    return true;
}

/* In the loop, after the core's drain step there: stashed buffers are in
 * flight for the core, so they go back now (the last one may complete
 * the drain).  Holds a reference taken by vnet_drain. */
static void vnet_drain_in_loop(void *opaque)
{
    VirtIONet *n = opaque;

    rx_stash_drop_all(n);
    device_unref(&n->parent.parent);
}

static bool vnet_drain(Device *dev)
{
    VirtIONet *n = VIRTIO_NET(VIRTIO_DEVICE(dev));
    bool done = vnet_parent_drain(dev);

    device_ref(dev);
    event_loop_run_later(n->parent.loop, vnet_drain_in_loop, n);
    return done;
}

/* In the loop: nothing of ours runs there concurrently any more.  Holds
 * a reference taken by vnet_unrealize. */
static void vnet_unrealize_in_loop(void *opaque)
{
    VirtIONet *n = opaque;

    if (n->nb) {
        net_backend_detach(n->nb);
        n->nb = NULL;
    }
    rx_stash_drop_all(n);
    bh_delete(n->tx_bh);
    bh_delete(n->rx_notify_bh);
    n->tx_bh = n->rx_notify_bh = NULL;
    free(n->tx_buf);
    n->tx_buf = NULL;
    device_unref(&n->parent.parent);
}

static void vnet_unrealize(VirtIODevice *vdev)
{
    device_ref(&vdev->parent);
    event_loop_run_later(vdev->loop, vnet_unrealize_in_loop,
                         VIRTIO_NET(vdev));
}

static const Property virtio_net_props[] = {
    DEFINE_PROP_STRING("netdev", VirtIONet, netdev, NULL),
    DEFINE_PROP_MACADDR("mac", VirtIONet, mac),
    DEFINE_PROP_BOOL("csum", VirtIONet, csum, true),
    DEFINE_PROP_BOOL("guest_csum", VirtIONet, guest_csum, true),
    DEFINE_PROP_BOOL("mrg_rxbuf", VirtIONet, mrg_rxbuf, true),
    PROP_END
};

static void vnet_class_init(DeviceClass *dc, const void *data)
{
    VirtioDeviceClass *vdc = (VirtioDeviceClass *)dc;

    vdc->device_id = VIRTIO_ID_NET;
    vdc->config_size = NET_CONFIG_SIZE;
    vdc->features = (1ull << VIRTIO_NET_F_CSUM) |
                    (1ull << VIRTIO_NET_F_GUEST_CSUM) |
                    (1ull << VIRTIO_NET_F_MAC) |
                    (1ull << VIRTIO_NET_F_MRG_RXBUF) |
                    (1ull << VIRTIO_NET_F_STATUS);
    vdc->realize = vnet_realize;
    vdc->unrealize = vnet_unrealize;
    vdc->get_config = vnet_get_config;
    vnet_parent_realize = dc->realize;
    dc->realize = vnet_dev_realize;
    vnet_parent_drain = dc->drain;
    dc->drain = vnet_drain;
}

static const DeviceTypeInfo virtio_net_info = {
    .name = TYPE_VIRTIO_NET,
    .parent = TYPE_VIRTIO_DEVICE,
    .desc = "virtio network card (-netdev backends)",
    .instance_size = sizeof(VirtIONet),
    .props = virtio_net_props,
    .class_init = vnet_class_init,
};
DEVICE_TYPE_REGISTER(virtio_net_info)
