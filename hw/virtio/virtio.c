/* The virtio core: device status and features, split virtqueues with
 * indirect descriptors and EVENT_IDX, queue reset, config changes, the
 * guest-error state (NEEDS_RESET) and the device lifecycle.
 *
 * Guest memory: rings and buffers are read and written only where they
 * are RAM, found with address_space_translate() inside an RCU read
 * section (through IOMMUs).  A ring or buffer in MMIO or in a hole is a
 * guest error.  That keeps every access free of the BQL, so the queue
 * code may run on any thread and under vdev->lock.
 */
#include <assert.h>
#include <endian.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/core/props.h"
#include "hw/virtio/virtio.h"
#include "system/bql.h"
#include "util/host-mem.h"
#include "util/log.h"

/* Split ring offsets (virtio 1.2 §2.7). */
#define VRING_DESC_SIZE 16
#define VRING_AVAIL_RING 4          /* flags, idx, then ring[] */
#define VRING_USED_RING 4           /* flags, idx, then ring[] */
#define VRING_USED_ELEM_SIZE 8

typedef struct VRingDesc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
} VRingDesc;

static void *xzalloc(size_t size)
{
    void *p = calloc(1, size);

    if (!p) {
        abort();
    }
    return p;
}

/* ------------------------------------------------------------------ */
/* Guest RAM */

/* Inside an RCU read section: the host address of addr if it lies in
 * RAM (writable RAM for a write); s->size says how many bytes from there
 * stay in that RAM range. */
static uint8_t *ram_translate(AddressSpace *as, hwaddr addr, bool is_write,
                              MemoryRegionSection *s)
{
    if (address_space_translate(as, addr, is_write, MEMTXATTRS_UNSPECIFIED,
                                s) != MEMTX_OK) {
        return NULL;
    }
    if (!s->mr || !memory_region_is_ram(s->mr) || !s->size ||
        (is_write && s->readonly)) {
        return NULL;
    }
    return s->mr->ram_block->host + s->offset_within_region;
}

static bool range_wraps(hwaddr addr, uint64_t len)
{
    return len && addr + len - 1 < addr;
}

/* Copies between buf and guest RAM, or with buf NULL only checks that
 * the whole range is RAM.  Fails (without copying the rest) on anything
 * that is not RAM. */
static bool ram_rw(AddressSpace *as, hwaddr addr, void *buf, uint64_t len,
                   bool is_write)
{
    uint8_t *p = buf;
    bool ok = true;

    if (!as || range_wraps(addr, len)) {
        return false;
    }
    weft_rcu_read_lock();
    while (len) {
        MemoryRegionSection s;
        uint8_t *host = ram_translate(as, addr, is_write, &s);
        uint64_t n;

        if (!host) {
            ok = false;
            break;
        }
        n = MIN(len, s.size);
        /* The guest may store to these bytes meanwhile (DESIGN §3:
         * guest RAM is shared): word-wise relaxed atomics, not memcpy. */
        if (p && is_write) {
            host_mem_write(host, p, n);
            ram_block_set_dirty(s.mr->ram_block, s.offset_within_region, n,
                                memory_region_get_dirty_log_mask(s.mr));
        } else if (p) {
            host_mem_read(p, host, n);
        }
        if (p) {
            p += n;
        }
        addr += n;
        len -= n;
    }
    weft_rcu_read_unlock();
    return ok;
}

/* Ring indexes are shared with the driver on other CPUs: single aligned
 * atomic accesses.  Ordering: loads of avail->idx acquire (the ring
 * entries the driver wrote before it become visible), the store of
 * used->idx releases (the used entries go first), and the EVENT_IDX
 * checks are seq_cst on both sides so that "publish, then re-read" cannot
 * be reordered (the DESIGN forbids bare fences in TSan builds). */
static bool ring_load16(VirtIODevice *vdev, hwaddr addr, int order,
                        uint16_t *val)
{
    MemoryRegionSection s;
    uint8_t *host;

    if (addr & 1) {
        return false;
    }
    weft_rcu_read_lock();
    host = ram_translate(vdev->dma_as, addr, false, &s);
    if (host && s.size >= 2) {
        *val = le16toh(__atomic_load_n((uint16_t *)host, order));
    }
    weft_rcu_read_unlock();
    return host && s.size >= 2;
}

static bool ring_store16(VirtIODevice *vdev, hwaddr addr, int order,
                         uint16_t val)
{
    MemoryRegionSection s;
    uint8_t *host;

    if (addr & 1) {
        return false;
    }
    weft_rcu_read_lock();
    host = ram_translate(vdev->dma_as, addr, true, &s);
    if (host && s.size >= 2) {
        __atomic_store_n((uint16_t *)host, htole16(val), order);
        ram_block_set_dirty(s.mr->ram_block, s.offset_within_region, 2,
                            memory_region_get_dirty_log_mask(s.mr));
    }
    weft_rcu_read_unlock();
    return host && s.size >= 2;
}

/* ------------------------------------------------------------------ */
/* Errors and interrupts */

/* source: the queue index, or VIRTIO_IRQ_CONFIG / VIRTIO_IRQ_NONE. */
static void virtio_update_irq_locked(VirtIODevice *vdev, unsigned source)
{
    assert(source < vdev->nr_queues || source == VIRTIO_IRQ_CONFIG ||
           source == VIRTIO_IRQ_NONE);
    if (vdev->transport.update_irq) {
        vdev->transport.update_irq(vdev->transport.opaque, vdev->isr,
                                   source);
    }
}

void virtio_notify_config_locked(VirtIODevice *vdev)
{
    vdev->config_generation++;
    vdev->isr |= VIRTIO_ISR_CONFIG;
    virtio_update_irq_locked(vdev, VIRTIO_IRQ_CONFIG);
}

static void virtio_verror_locked(VirtIODevice *vdev, const char *fmt,
                                 va_list ap)
{
    char msg[256];

    if (!vdev->error_logged && log_enabled(LOG_GUEST_ERROR)) {
        vsnprintf(msg, sizeof(msg), fmt, ap);
        log_printf("%s: %s (device needs reset)\n",
                   device_type_name(&vdev->parent), msg);
    }
    vdev->error_logged = true;
    if (vdev->broken) {
        return;
    }
    vdev->broken = true;
    vdev->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
    /* §2.1.2: tell a live driver through a config-change interrupt. */
    if (vdev->status & VIRTIO_CONFIG_S_DRIVER_OK) {
        virtio_notify_config_locked(vdev);
    }
}

void virtio_error_locked(VirtIODevice *vdev, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    virtio_verror_locked(vdev, fmt, ap);
    va_end(ap);
}

void virtio_error(VirtIODevice *vdev, const char *fmt, ...)
{
    va_list ap;

    pthread_mutex_lock(&vdev->lock);
    va_start(ap, fmt);
    virtio_verror_locked(vdev, fmt, ap);
    va_end(ap);
    pthread_mutex_unlock(&vdev->lock);
}

static void virtio_guest_log(VirtIODevice *vdev, const char *what)
{
    log_mask_printf(LOG_GUEST_ERROR, "%s: %s\n",
                    device_type_name(&vdev->parent), what);
}

/* ------------------------------------------------------------------ */
/* Queues: set-up */

static bool vq_event_idx(const VirtQueue *vq)
{
    return virtio_has_feature(vq->vdev->guest_features,
                              VIRTIO_RING_F_EVENT_IDX);
}

static bool vq_live(const VirtQueue *vq)
{
    const VirtIODevice *vdev = vq->vdev;

    return vq->ready && !vdev->broken && !vdev->draining &&
           vdev->transport.update_irq &&
           (vdev->status & VIRTIO_CONFIG_S_DRIVER_OK);
}

void virtio_queue_reset_locked(VirtQueue *vq)
{
    vq->ready = false;
    vq->num = vq->num_max;
    vq->desc = vq->avail = vq->used = 0;
    vq->last_avail_idx = 0;
    vq->used_idx = 0;
    /* Nothing was used yet, so nothing is owed: "used_event" counts
     * from 0 like the used index. */
    vq->signalled_used = 0;
    vq->signalled_used_valid = true;
    vq->inuse = 0;
    /* Elements popped before now come back to a queue that forgot them. */
    vq->generation++;
}

bool virtio_queue_set_num_locked(VirtQueue *vq, unsigned num)
{
    if (vq->ready) {
        virtio_guest_log(vq->vdev, "QueueNum written while the queue is "
                         "ready; ignored");
        return false;
    }
    /* Checked at QueueReady: the driver may write any value first. */
    vq->num = num;
    return true;
}

bool virtio_queue_set_addr_locked(VirtQueue *vq, hwaddr *field,
                                  uint32_t value, bool high)
{
    if (vq->ready) {
        virtio_guest_log(vq->vdev, "queue address written while the queue "
                         "is ready; ignored");
        return false;
    }
    if (high) {
        *field = (*field & 0xffffffffull) | ((uint64_t)value << 32);
    } else {
        *field = (*field & ~0xffffffffull) | value;
    }
    return true;
}

/* Whether the three rings fit the size and alignment rules (§2.7) and
 * lie in RAM, so that a bad set-up fails at QueueReady, visibly. */
static bool vq_layout_ok(VirtQueue *vq, const char **why)
{
    uint64_t n = vq->num;
    bool event_idx = vq_event_idx(vq);
    uint64_t avail_size = VRING_AVAIL_RING + 2 * n + (event_idx ? 2 : 0);
    uint64_t used_size = VRING_USED_RING + VRING_USED_ELEM_SIZE * n +
                         (event_idx ? 2 : 0);

    if (!n || n > vq->num_max || (n & (n - 1))) {
        *why = "queue size is not a power of two up to QueueNumMax";
        return false;
    }
    if ((vq->desc & 15) || (vq->avail & 1) || (vq->used & 3)) {
        *why = "misaligned ring";
        return false;
    }
    if (!ram_rw(vq->vdev->dma_as, vq->desc, NULL, VRING_DESC_SIZE * n,
                false) ||
        !ram_rw(vq->vdev->dma_as, vq->avail, NULL, avail_size, false) ||
        !ram_rw(vq->vdev->dma_as, vq->used, NULL, used_size, true)) {
        *why = "ring outside RAM";
        return false;
    }
    return true;
}

bool virtio_queue_set_ready_locked(VirtQueue *vq, bool ready)
{
    const char *why;

    if (!ready) {
        /* §4.2.3.2: QueueReady 0 stops the queue; start afresh. */
        virtio_queue_reset_locked(vq);
        return true;
    }
    if (vq->ready) {
        return true;
    }
    if (!vq_layout_ok(vq, &why)) {
        log_mask_printf(LOG_GUEST_ERROR, "%s: queue %u not enabled: %s\n",
                        device_type_name(&vq->vdev->parent), vq->index, why);
        return false;
    }
    vq->ready = true;
    return true;
}

void virtio_queue_kick(VirtIODevice *vdev, unsigned n)
{
    if (n >= vdev->nr_queues) {
        log_mask_printf(LOG_GUEST_ERROR, "%s: notify of queue %u (has %u)\n",
                        device_type_name(&vdev->parent), n, vdev->nr_queues);
        return;
    }
    event_notifier_set(&vdev->vq[n]->host_notifier);
}

/* ------------------------------------------------------------------ */
/* Queues: popping a chain */

typedef struct ChainWalk {
    VirtQueue *vq;
    VirtioSg *sg;               /* out entries, then in entries */
    unsigned nr, out_num;
    uint64_t out_len, in_len;
} ChainWalk;

static bool read_desc(VirtQueue *vq, hwaddr table, unsigned i, VRingDesc *d)
{
    uint8_t raw[VRING_DESC_SIZE];

    if (!ram_rw(vq->vdev->dma_as, table + (hwaddr)i * VRING_DESC_SIZE, raw,
                sizeof(raw), false)) {
        return false;
    }
    memcpy(&d->addr, raw, 8);
    memcpy(&d->len, raw + 8, 4);
    memcpy(&d->flags, raw + 12, 2);
    memcpy(&d->next, raw + 14, 2);
    d->addr = le64toh(d->addr);
    d->len = le32toh(d->len);
    d->flags = le16toh(d->flags);
    d->next = le16toh(d->next);
    return true;
}

/* Adds one data descriptor; returns an error text or NULL. */
static const char *walk_add(ChainWalk *w, const VRingDesc *d)
{
    bool writable = d->flags & VRING_DESC_F_WRITE;

    if (range_wraps(d->addr, d->len)) {
        return "buffer address + length overflows";
    }
    if (!writable && w->nr > w->out_num) {
        return "device-readable descriptor after a device-writable one";
    }
    if (!ram_rw(w->vq->vdev->dma_as, d->addr, NULL, d->len, writable)) {
        return "buffer outside RAM";
    }
    if (!d->len) {
        return NULL;            /* nothing to transfer: skip it */
    }
    w->sg[w->nr].addr = d->addr;
    w->sg[w->nr].len = d->len;
    w->nr++;
    if (writable) {
        w->in_len += d->len;
    } else {
        w->out_num++;
        w->out_len += d->len;
    }
    return NULL;
}

/* Switches the walk to an indirect table; returns an error text or NULL. */
static const char *walk_indirect(ChainWalk *w, const VRingDesc *d,
                                 bool in_table, hwaddr *table,
                                 unsigned *size)
{
    if (!virtio_has_feature(w->vq->vdev->guest_features,
                            VIRTIO_RING_F_INDIRECT_DESC)) {
        return "indirect descriptor without VIRTIO_RING_F_INDIRECT_DESC";
    }
    if (in_table) {
        return "indirect descriptor inside an indirect table";
    }
    if (d->flags & VRING_DESC_F_NEXT) {
        return "indirect descriptor with NEXT set";
    }
    if (!d->len || d->len % VRING_DESC_SIZE ||
        d->len / VRING_DESC_SIZE > VIRTQUEUE_MAX_SIZE) {
        return "bad indirect table length";
    }
    if (range_wraps(d->addr, d->len)) {
        return "indirect table address + length overflows";
    }
    *table = d->addr;
    *size = d->len / VRING_DESC_SIZE;
    return NULL;
}

/* Follows the chain at head.  The walk visits at most `size` entries of
 * each table, which bounds loops and overlong chains; the scratch array
 * holds the worst case (a full queue, then a full indirect table). */
static const char *walk_chain(ChainWalk *w, unsigned head)
{
    VirtQueue *vq = w->vq;
    hwaddr table = vq->desc;
    unsigned size = vq->num, i = head, visited = 0;
    bool in_table = false;
    const char *err;
    VRingDesc d;

    for (;;) {
        if (i >= size) {
            return "descriptor index out of range";
        }
        if (++visited > size) {
            return "descriptor loop or chain longer than the queue";
        }
        if (!read_desc(vq, table, i, &d)) {
            return "descriptor table outside RAM";
        }
        if (d.flags & VRING_DESC_F_INDIRECT) {
            err = walk_indirect(w, &d, in_table, &table, &size);
            if (err) {
                return err;
            }
            in_table = true;
            i = 0;
            visited = 0;
            continue;
        }
        err = walk_add(w, &d);
        if (err) {
            return err;
        }
        if (!(d.flags & VRING_DESC_F_NEXT)) {
            return NULL;
        }
        i = d.next;
    }
}

static VirtQueueElement *elem_from_walk(VirtQueue *vq, const ChainWalk *w,
                                        unsigned head)
{
    VirtQueueElement *e = xzalloc(sizeof(*e) + w->nr * sizeof(VirtioSg));

    memcpy(e->sg, w->sg, w->nr * sizeof(VirtioSg));
    e->head = head;
    e->queue = vq->index;
    e->generation = vq->generation;
    e->out_num = w->out_num;
    e->in_num = w->nr - w->out_num;
    e->out_sg = e->sg;
    e->in_sg = e->sg + w->out_num;
    e->out_len = w->out_len;
    e->in_len = w->in_len;
    return e;
}

/* Entries the driver made available; with EVENT_IDX, an empty ring
 * publishes avail_event first and looks again, so a buffer added in
 * between is not left without a notification. */
static bool vq_avail_count(VirtQueue *vq, unsigned *count)
{
    VirtIODevice *vdev = vq->vdev;
    hwaddr avail_event = vq->used + VRING_USED_RING +
                         VRING_USED_ELEM_SIZE * vq->num;
    uint16_t idx;

    if (!ring_load16(vdev, vq->avail + 2, __ATOMIC_ACQUIRE, &idx)) {
        virtio_error_locked(vdev, "avail ring outside RAM");
        return false;
    }
    if (idx == vq->last_avail_idx && vq_event_idx(vq)) {
        if (!ring_store16(vdev, avail_event, __ATOMIC_SEQ_CST,
                          vq->last_avail_idx) ||
            !ring_load16(vdev, vq->avail + 2, __ATOMIC_SEQ_CST, &idx)) {
            virtio_error_locked(vdev, "ring outside RAM");
            return false;
        }
    }
    *count = (uint16_t)(idx - vq->last_avail_idx);
    if (*count > vq->num) {
        virtio_error_locked(vdev, "queue %u: avail index jumped from %u "
                            "to %u (size %u)", vq->index,
                            vq->last_avail_idx, idx, vq->num);
        return false;
    }
    return true;
}

static VirtQueueElement *virtqueue_pop_locked(VirtQueue *vq)
{
    VirtIODevice *vdev = vq->vdev;
    VirtioSg sg[2 * VIRTQUEUE_MAX_SIZE];
    ChainWalk w = { .vq = vq, .sg = sg };
    unsigned count;
    uint16_t head;
    const char *err;

    if (!vq_live(vq) || !vq_avail_count(vq, &count) || !count) {
        return NULL;
    }
    if (vq->inuse >= vq->num) {
        virtio_error_locked(vdev, "queue %u: more than %u buffers in flight",
                            vq->index, vq->num);
        return NULL;
    }
    if (vdev->inflight >= VIRTIO_MAX_INFLIGHT) {
        vdev->throttled = true;     /* resumed when elements come back */
        return NULL;
    }
    if (!ring_load16(vdev, vq->avail + VRING_AVAIL_RING +
                     2 * (vq->last_avail_idx % vq->num), __ATOMIC_RELAXED,
                     &head)) {
        virtio_error_locked(vdev, "avail ring outside RAM");
        return NULL;
    }
    if (head >= vq->num) {
        virtio_error_locked(vdev, "queue %u: head %u out of range",
                            vq->index, head);
        return NULL;
    }
    err = walk_chain(&w, head);
    if (err) {
        virtio_error_locked(vdev, "queue %u, chain at %u: %s", vq->index,
                            head, err);
        return NULL;
    }
    vq->last_avail_idx++;
    vq->inuse++;
    vdev->inflight++;
    return elem_from_walk(vq, &w, head);
}

VirtQueueElement *virtqueue_pop(VirtQueue *vq)
{
    VirtQueueElement *e;

    pthread_mutex_lock(&vq->vdev->lock);
    e = virtqueue_pop_locked(vq);
    pthread_mutex_unlock(&vq->vdev->lock);
    return e;
}

/* ------------------------------------------------------------------ */
/* Queues: returning elements */

/* vdev->lock held.  Returns true when the last element of a draining
 * device came back: the caller calls device_drain_done() after
 * unlocking. */
static bool elem_release_locked(VirtIODevice *vdev, VirtQueueElement *e)
{
    VirtQueue *vq = vdev->vq[e->queue];

    if (e->generation == vq->generation) {
        vq->inuse--;
    }
    free(e);
    vdev->inflight--;
    if (vdev->throttled) {
        vdev->throttled = false;
        for (unsigned i = 0; i < vdev->nr_queues; i++) {
            event_notifier_set(&vdev->vq[i]->host_notifier);
        }
    }
    return vdev->draining && !vdev->inflight;
}

static void finish_release(VirtIODevice *vdev, bool drained)
{
    pthread_mutex_unlock(&vdev->lock);
    if (drained) {
        device_drain_done(&vdev->parent);
    }
}

/* Writes e's used entry `offset` places past the published used index,
 * without publishing it (QEMU's virtqueue_fill).  False if the used ring
 * stopped being RAM (the device is then broken). */
static bool vq_fill_used_locked(VirtQueue *vq, const VirtQueueElement *e,
                                uint32_t len, unsigned offset)
{
    VirtIODevice *vdev = vq->vdev;
    uint16_t idx = (uint16_t)(vq->used_idx + offset);
    hwaddr slot = vq->used + VRING_USED_RING +
                  VRING_USED_ELEM_SIZE * (hwaddr)(idx % vq->num);
    uint32_t raw[2] = { htole32(e->head), htole32(len) };

    if (!ram_rw(vdev->dma_as, slot, raw, sizeof(raw), true)) {
        virtio_error_locked(vdev, "used ring outside RAM");
        return false;
    }
    return true;
}

/* Publishes `count` filled entries with one store of used->idx (QEMU's
 * virtqueue_flush).  The store releases, so the driver's acquire load of
 * the index sees the entries; seq_cst for the EVENT_IDX re-check in
 * vq_should_notify(). */
static void vq_flush_used_locked(VirtQueue *vq, unsigned count)
{
    VirtIODevice *vdev = vq->vdev;

    vq->used_idx += count;
    if (!ring_store16(vdev, vq->used + 2, __ATOMIC_SEQ_CST, vq->used_idx)) {
        virtio_error_locked(vdev, "used ring outside RAM");
    }
}

void virtqueue_push_batch(VirtQueue *vq, VirtQueueElement *const *elems,
                          const uint32_t *lens, unsigned n)
{
    VirtIODevice *vdev = vq->vdev;
    bool live, drained = false;
    unsigned filled = 0;

    pthread_mutex_lock(&vdev->lock);
    live = vq->ready && !vdev->broken && vdev->transport.update_irq;
    for (unsigned i = 0; i < n; i++) {
        VirtQueueElement *e = elems[i];
        uint32_t len = lens[i] > e->in_len ? (uint32_t)e->in_len : lens[i];

        assert(e->queue == vq->index);
        /* A reset (device or queue) since the pop: the driver forgot
         * it, so it gets no used entry. */
        if (live && e->generation == vq->generation) {
            live = vq_fill_used_locked(vq, e, len, filled);
            filled += live;
        }
    }
    /* Each filled element counts in vq->inuse (at most the queue size),
     * so the batch never overwrites an entry the driver has not seen. */
    assert(filled <= vq->num);
    /* The lock is held from fill to flush: no other push can slip in
     * between, nor a reset. */
    if (live && filled) {
        vq_flush_used_locked(vq, filled);
    }
    for (unsigned i = 0; i < n; i++) {
        drained = elem_release_locked(vdev, elems[i]);
    }
    finish_release(vdev, drained);
}

void virtqueue_push(VirtQueue *vq, VirtQueueElement *e, uint32_t len)
{
    virtqueue_push_batch(vq, &e, &len, 1);
}

void virtqueue_drop(VirtQueue *vq, VirtQueueElement *e)
{
    VirtIODevice *vdev = vq->vdev;

    pthread_mutex_lock(&vdev->lock);
    finish_release(vdev, elem_release_locked(vdev, e));
}

/* Whether the driver asked for an interrupt (§2.7.7, §2.7.10). */
static bool vq_should_notify(VirtQueue *vq)
{
    VirtIODevice *vdev = vq->vdev;
    uint16_t old = vq->signalled_used, new = vq->used_idx, v;
    bool valid = vq->signalled_used_valid;

    if (valid && old == new) {
        return false;           /* nothing new since the last one */
    }
    vq->signalled_used = new;
    vq->signalled_used_valid = true;
    if (vq_event_idx(vq)) {
        hwaddr used_event = vq->avail + VRING_AVAIL_RING + 2 * vq->num;

        if (!ring_load16(vdev, used_event, __ATOMIC_SEQ_CST, &v)) {
            return true;
        }
        /* vring_need_event: did new pass used_event since old? */
        return !valid || (uint16_t)(new - v - 1) < (uint16_t)(new - old);
    }
    if (!ring_load16(vdev, vq->avail, __ATOMIC_SEQ_CST, &v)) {
        return true;
    }
    return !(v & VRING_AVAIL_F_NO_INTERRUPT);
}

void virtqueue_notify(VirtQueue *vq)
{
    VirtIODevice *vdev = vq->vdev;

    pthread_mutex_lock(&vdev->lock);
    if (vq_live(vq) && vq_should_notify(vq)) {
        vdev->isr |= VIRTIO_ISR_QUEUE;
        virtio_update_irq_locked(vdev, vq->index);
    }
    pthread_mutex_unlock(&vdev->lock);
}

static AddressSpace *elem_dma_as(VirtIODevice *vdev,
                                 const VirtQueueElement *e)
{
    AddressSpace *as = NULL;

    pthread_mutex_lock(&vdev->lock);
    if (e->queue < vdev->nr_queues &&
        e->generation == vdev->vq[e->queue]->generation) {
        as = vdev->dma_as;
    }
    pthread_mutex_unlock(&vdev->lock);
    return as;
}

static bool elem_copy(VirtIODevice *vdev, const VirtQueueElement *e,
                      bool to_guest, uint64_t offset, void *buf,
                      uint64_t len, uint64_t *done)
{
    const VirtioSg *sg = to_guest ? e->in_sg : e->out_sg;
    unsigned nr = to_guest ? e->in_num : e->out_num;
    AddressSpace *as = elem_dma_as(vdev, e);
    uint8_t *p = buf;
    uint64_t copied = 0;

    for (unsigned i = 0; as && i < nr && copied < len; i++) {
        uint64_t n;

        if (offset >= sg[i].len) {
            offset -= sg[i].len;
            continue;
        }
        n = MIN(sg[i].len - offset, len - copied);
        if (!ram_rw(as, sg[i].addr + offset, p + copied, n, to_guest)) {
            as = NULL;
            break;
        }
        copied += n;
        offset = 0;
    }
    if (done) {
        *done = copied;
    }
    return as != NULL;
}

bool virtqueue_elem_write(VirtIODevice *vdev, const VirtQueueElement *e,
                          uint64_t offset, const void *buf, uint64_t len,
                          uint64_t *done)
{
    return elem_copy(vdev, e, true, offset, (void *)buf, len, done);
}

bool virtqueue_elem_read(VirtIODevice *vdev, const VirtQueueElement *e,
                         uint64_t offset, void *buf, uint64_t len,
                         uint64_t *done)
{
    return elem_copy(vdev, e, false, offset, buf, len, done);
}

/* ------------------------------------------------------------------ */
/* Status, features, config */

void virtio_reset_locked(VirtIODevice *vdev)
{
    VirtioDeviceClass *vdc = VIRTIO_DEVICE_GET_CLASS(vdev);

    if (vdc->reset) {
        vdc->reset(vdev);
    }
    vdev->status = 0;
    vdev->guest_features = 0;
    vdev->broken = false;
    vdev->error_logged = false;
    vdev->isr = 0;
    virtio_update_irq_locked(vdev, VIRTIO_IRQ_NONE);
    for (unsigned i = 0; i < vdev->nr_queues; i++) {
        virtio_queue_reset_locked(vdev->vq[i]);
    }
}

static bool features_ok(VirtIODevice *vdev)
{
    uint64_t extra = vdev->guest_features & ~vdev->host_features;

    if (extra) {
        log_mask_printf(LOG_GUEST_ERROR, "%s: driver accepted features "
                        "0x%" PRIx64 " that were not offered\n",
                        device_type_name(&vdev->parent), extra);
        return false;
    }
    if (!virtio_has_feature(vdev->guest_features, VIRTIO_F_VERSION_1)) {
        virtio_guest_log(vdev, "driver did not accept VIRTIO_F_VERSION_1 "
                         "(legacy drivers are not supported)");
        return false;
    }
    return true;
}

void virtio_set_status_locked(VirtIODevice *vdev, uint8_t status)
{
    uint8_t old = vdev->status;

    if (!status) {
        virtio_reset_locked(vdev);
        return;
    }
    if (old & ~status & ~VIRTIO_CONFIG_S_NEEDS_RESET) {
        virtio_guest_log(vdev, "driver cleared status bits without a "
                         "reset; kept");
    }
    /* NEEDS_RESET belongs to the device; the driver cannot set it. */
    status = (status & ~VIRTIO_CONFIG_S_NEEDS_RESET) | old;
    if ((status & ~old & VIRTIO_CONFIG_S_FEATURES_OK) && !features_ok(vdev)) {
        status &= ~VIRTIO_CONFIG_S_FEATURES_OK;
    }
    if ((status & ~old & VIRTIO_CONFIG_S_DRIVER_OK) &&
        !(status & VIRTIO_CONFIG_S_FEATURES_OK)) {
        vdev->status = status & ~VIRTIO_CONFIG_S_DRIVER_OK;
        virtio_error_locked(vdev, "DRIVER_OK without FEATURES_OK");
        return;
    }
    vdev->status = status;
    if (status & ~old & VIRTIO_CONFIG_S_DRIVER_OK) {
        /* Buffers made available before DRIVER_OK wait for a kick. */
        for (unsigned i = 0; i < vdev->nr_queues; i++) {
            if (vdev->vq[i]->ready) {
                event_notifier_set(&vdev->vq[i]->host_notifier);
            }
        }
    }
}

uint32_t virtio_get_features_locked(VirtIODevice *vdev, unsigned sel)
{
    return sel < 2 ? (uint32_t)(vdev->host_features >> (32 * sel)) : 0;
}

void virtio_set_driver_features_locked(VirtIODevice *vdev, unsigned sel,
                                       uint32_t value)
{
    if (vdev->status & VIRTIO_CONFIG_S_FEATURES_OK) {
        virtio_guest_log(vdev, "DriverFeatures written after FEATURES_OK; "
                         "ignored");
        return;
    }
    if (sel >= 2) {
        if (value) {
            virtio_guest_log(vdev, "driver features beyond bit 63 ignored");
        }
        return;
    }
    vdev->guest_features &= ~(0xffffffffull << (32 * sel));
    vdev->guest_features |= (uint64_t)value << (32 * sel);
}

static bool config_range_ok(VirtIODevice *vdev, unsigned offset,
                            unsigned size)
{
    uint32_t csize = VIRTIO_DEVICE_GET_CLASS(vdev)->config_size;

    if (offset >= csize || size > csize - offset) {
        log_mask_printf(LOG_GUEST_ERROR, "%s: config access of %u bytes at "
                        "0x%x outside its %u bytes\n",
                        device_type_name(&vdev->parent), size, offset, csize);
        return false;
    }
    return true;
}

uint32_t virtio_config_read_locked(VirtIODevice *vdev, unsigned offset,
                                   unsigned size)
{
    VirtioDeviceClass *vdc = VIRTIO_DEVICE_GET_CLASS(vdev);
    uint32_t v = 0;

    if (!config_range_ok(vdev, offset, size)) {
        return 0;
    }
    if (vdc->get_config) {
        vdc->get_config(vdev, vdev->config);
    }
    for (unsigned i = 0; i < size; i++) {
        v |= (uint32_t)vdev->config[offset + i] << (8 * i);
    }
    return v;
}

void virtio_config_write_locked(VirtIODevice *vdev, unsigned offset,
                                unsigned size, uint32_t value)
{
    VirtioDeviceClass *vdc = VIRTIO_DEVICE_GET_CLASS(vdev);

    if (!config_range_ok(vdev, offset, size)) {
        return;
    }
    for (unsigned i = 0; i < size; i++) {
        vdev->config[offset + i] = (uint8_t)(value >> (8 * i));
    }
    if (vdc->set_config) {
        vdc->set_config(vdev, vdev->config);
    }
}

void virtio_isr_ack_locked(VirtIODevice *vdev, uint32_t bits)
{
    vdev->isr &= ~bits;
    virtio_update_irq_locked(vdev, VIRTIO_IRQ_NONE);
}

/* ------------------------------------------------------------------ */
/* Transport attachment */

void virtio_device_attach(VirtIODevice *vdev, AddressSpace *dma_as,
                          const VirtioTransport *t)
{
    assert(bql_locked());
    pthread_mutex_lock(&vdev->lock);
    vdev->dma_as = dma_as;
    vdev->transport = *t;
    virtio_reset_locked(vdev);
    pthread_mutex_unlock(&vdev->lock);
}

void virtio_device_detach(VirtIODevice *vdev)
{
    assert(bql_locked());
    pthread_mutex_lock(&vdev->lock);
    vdev->isr = 0;
    virtio_update_irq_locked(vdev, VIRTIO_IRQ_NONE);
    vdev->transport.update_irq = NULL;
    vdev->dma_as = NULL;
    pthread_mutex_unlock(&vdev->lock);
}

/* ------------------------------------------------------------------ */
/* The abstract device type */

VirtQueue *virtio_add_queue(VirtIODevice *vdev, unsigned max_size,
                            VirtQueueHandler *handler, Error **errp)
{
    VirtQueue *vq;

    if (vdev->nr_queues == VIRTIO_MAX_QUEUES || !max_size ||
        max_size > VIRTQUEUE_MAX_SIZE || (max_size & (max_size - 1))) {
        error_setg(errp, "%s: cannot add a queue of size %u",
                   device_type_name(&vdev->parent), max_size);
        return NULL;
    }
    vq = xzalloc(sizeof(*vq));
    if (!event_notifier_init(&vq->host_notifier, false, errp)) {
        free(vq);
        return NULL;
    }
    vq->notifier_ready = true;
    vq->vdev = vdev;
    vq->index = vdev->nr_queues;
    vq->handler = handler;
    vq->num_max = max_size;
    virtio_queue_reset_locked(vq);
    vdev->vq[vdev->nr_queues++] = vq;
    return vq;
}

static void virtio_free_queues(VirtIODevice *vdev)
{
    for (unsigned i = 0; i < vdev->nr_queues; i++) {
        if (vdev->vq[i]->notifier_ready) {
            event_notifier_cleanup(&vdev->vq[i]->host_notifier);
        }
        free(vdev->vq[i]);
        vdev->vq[i] = NULL;
    }
    vdev->nr_queues = 0;
}

/* In the device's loop: the driver notified a queue. */
static void virtio_queue_notified(void *opaque)
{
    VirtQueue *vq = opaque;
    VirtIODevice *vdev = vq->vdev;
    bool live;

    pthread_mutex_lock(&vdev->lock);
    live = vq_live(vq);
    pthread_mutex_unlock(&vdev->lock);
    if (live) {
        vq->handler(vdev, vq);
    }
}

static bool virtio_find_loop(VirtIODevice *vdev, Error **errp)
{
    IOThread *iot;

    if (vdev->iothread) {
        iot = iothread_find(vdev->iothread);
        if (!iot) {
            error_setg(errp, "%s: iothread '%s' not found (create it with "
                       "-object iothread,id=%s)",
                       device_type_name(&vdev->parent), vdev->iothread,
                       vdev->iothread);
            return false;
        }
        vdev->loop = iothread_get_loop(iot);
    } else {
        vdev->loop = main_loop();
    }
    if (!vdev->loop) {
        error_setg(errp, "%s: no event loop to run in",
                   device_type_name(&vdev->parent));
        return false;
    }
    return true;
}

static bool virtio_device_realize(Device *dev, Error **errp)
{
    VirtIODevice *vdev = VIRTIO_DEVICE(dev);
    VirtioDeviceClass *vdc = VIRTIO_DEVICE_GET_CLASS(vdev);

    assert(vdc->config_size <= VIRTIO_MAX_CONFIG);
    if (!virtio_find_loop(vdev, errp)) {
        return false;
    }
    if (vdc->realize && !vdc->realize(vdev, errp)) {
        virtio_free_queues(vdev);
        return false;
    }
    vdev->host_features = vdc->features |
                          (1ull << VIRTIO_F_VERSION_1) |
                          (1ull << VIRTIO_F_RING_RESET);
    if (vdev->indirect_desc) {
        vdev->host_features |= 1ull << VIRTIO_RING_F_INDIRECT_DESC;
    }
    if (vdev->event_idx) {
        vdev->host_features |= 1ull << VIRTIO_RING_F_EVENT_IDX;
    }
    for (unsigned i = 0; i < vdev->nr_queues; i++) {
        event_loop_set_notifier(vdev->loop, &vdev->vq[i]->host_notifier,
                                virtio_queue_notified, vdev->vq[i]);
    }
    return true;
}

/* In the device's loop, after any handler that was running when drain
 * removed the notifiers: from here only completions remain. */
static void virtio_drain_in_loop(void *opaque)
{
    VirtIODevice *vdev = opaque;
    bool done;

    pthread_mutex_lock(&vdev->lock);
    vdev->draining = true;
    done = !vdev->inflight;
    pthread_mutex_unlock(&vdev->lock);
    if (done) {
        device_drain_done(&vdev->parent);
    }
}

static bool virtio_device_drain(Device *dev)
{
    VirtIODevice *vdev = VIRTIO_DEVICE(dev);

    for (unsigned i = 0; i < vdev->nr_queues; i++) {
        event_loop_set_notifier(vdev->loop, &vdev->vq[i]->host_notifier,
                                NULL, NULL);
    }
    event_loop_run_later(vdev->loop, virtio_drain_in_loop, vdev);
    return false;
}

static void virtio_device_unrealize(Device *dev)
{
    VirtIODevice *vdev = VIRTIO_DEVICE(dev);
    VirtioDeviceClass *vdc = VIRTIO_DEVICE_GET_CLASS(vdev);

    if (vdc->unrealize) {
        vdc->unrealize(vdev);
    }
}

static void virtio_device_instance_init(Device *dev)
{
    VirtIODevice *vdev = VIRTIO_DEVICE(dev);

    pthread_mutex_init(&vdev->lock, NULL);
}

/* After a grace period: an ioeventfd write that began before the
 * transport deleted it may have signalled a notifier until then. */
static void virtio_device_instance_finalize(Device *dev)
{
    VirtIODevice *vdev = VIRTIO_DEVICE(dev);

    virtio_free_queues(vdev);
    pthread_mutex_destroy(&vdev->lock);
}

static const Property virtio_device_props[] = {
    DEFINE_PROP_STRING("iothread", VirtIODevice, iothread, NULL),
    DEFINE_PROP_BOOL("indirect_desc", VirtIODevice, indirect_desc, true),
    DEFINE_PROP_BOOL("event_idx", VirtIODevice, event_idx, true),
    PROP_END
};

static const DeviceTypeInfo virtio_device_info = {
    .name = TYPE_VIRTIO_DEVICE,
    .parent = "device",
    .desc = "virtio device (abstract)",
    .instance_size = sizeof(VirtIODevice),
    .class_size = sizeof(VirtioDeviceClass),
    .abstract = true,
    .hotpluggable = true,
    .bus_type = TYPE_VIRTIO_BUS,
    .props = virtio_device_props,
    .instance_init = virtio_device_instance_init,
    .instance_finalize = virtio_device_instance_finalize,
    .realize = virtio_device_realize,
    .unrealize = virtio_device_unrealize,
    .drain = virtio_device_drain,
};
DEVICE_TYPE_REGISTER(virtio_device_info)
