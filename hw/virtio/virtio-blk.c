/* virtio-blk (block device, virtio 1.2 §5.2) on a drive of the drive
 * registry (block/drive.h): -device virtio-blk-device,drive=ID or
 * -drive ...,if=virtio.
 *
 * Requests: IN, OUT, FLUSH, GET_ID, DISCARD, WRITE_ZEROES; anything else
 * is answered VIRTIO_BLK_S_UNSUPP.  A request the driver got wrong (bad
 * header or data size, sectors beyond the capacity, a write to a
 * read-only disk) gets VIRTIO_BLK_S_IOERR; only a chain without room for
 * the status byte breaks the device (NEEDS_RESET), as nothing else can
 * tell the driver.
 *
 * Threads: queue handlers and BlockBackend completions both run in the
 * device's event loop (vdev->loop: the main loop or the iothread=), never
 * with the BQL.  Everything a request touches after the pop (the bounce
 * budget, the waiting list) is therefore confined to that thread and
 * needs no lock; the statistics, read at exit, are atomics.  A reset
 * (device or queue, from a vCPU) is seen through the element's queue
 * generation: requests popped before it do not start their I/O, those
 * already running finish and their push is dropped by the core.
 *
 * Guest memory is never mapped across an I/O: data goes through a bounce
 * buffer, filled from the chain before a write (virtqueue_elem_read) and
 * copied to it after a read (virtqueue_elem_write), so memory removed
 * meanwhile only fails the copy.  The buffers of the requests in flight
 * are capped by a per-device budget; requests beyond it wait in order.
 */
#include <assert.h>
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "block/drive.h"
#include "hw/core/props.h"
#include "hw/virtio/virtio.h"
#include "system/bql.h"
#include "util/atomic.h"
#include "util/log.h"

#define TYPE_VIRTIO_BLK "virtio-blk-device"

/* Feature bits (§5.2.3). */
#define VIRTIO_BLK_F_SIZE_MAX     1
#define VIRTIO_BLK_F_SEG_MAX      2
#define VIRTIO_BLK_F_RO           5
#define VIRTIO_BLK_F_BLK_SIZE     6
#define VIRTIO_BLK_F_FLUSH        9
#define VIRTIO_BLK_F_MQ           12
#define VIRTIO_BLK_F_DISCARD      13
#define VIRTIO_BLK_F_WRITE_ZEROES 14

/* Request types and status values (§5.2.6). */
#define VIRTIO_BLK_T_IN           0
#define VIRTIO_BLK_T_OUT          1
#define VIRTIO_BLK_T_FLUSH        4
#define VIRTIO_BLK_T_GET_ID       8
#define VIRTIO_BLK_T_DISCARD      11
#define VIRTIO_BLK_T_WRITE_ZEROES 13
#define VIRTIO_BLK_S_OK           0
#define VIRTIO_BLK_S_IOERR        1
#define VIRTIO_BLK_S_UNSUPP       2

/* struct virtio_blk_discard_write_zeroes: flags bit 0 is unmap. */
#define VIRTIO_BLK_WZ_UNMAP 1u
#define BLK_DWZ_SEG_SIZE 16

/* struct virtio_blk_config offsets (§5.2.4). */
#define CFG_CAPACITY          0
#define CFG_SIZE_MAX          8
#define CFG_SEG_MAX           12
#define CFG_BLK_SIZE          20
#define CFG_NUM_QUEUES        34
#define CFG_MAX_DISCARD_SEC   36
#define CFG_MAX_DISCARD_SEG   40
#define CFG_DISCARD_ALIGN     44
#define CFG_MAX_WZ_SEC        48
#define CFG_MAX_WZ_SEG        52
#define CFG_WZ_MAY_UNMAP      56
#define BLK_CONFIG_SIZE       60    /* up to unused1[], no secure erase */

#define BLK_SECTOR 512u
#define BLK_HDR_SIZE 16             /* type, reserved, sector */
#define BLK_ID_BYTES 20
/* Largest segment we advertise (size_max): with seg_max segments, the
 * largest legal IN/OUT request is seg_max * BLK_SEG_SIZE_MAX.  seg_max is
 * queue-size - 2 (header and status take a descriptor each in a direct
 * chain), at most BLK_SEG_MAX, which keeps requests under 16 MiB. */
#define BLK_SEG_SIZE_MAX (64u * 1024)
#define BLK_SEG_MAX 254u
/* One discard or write-zeroes segment of at most 1 GiB. */
#define BLK_DWZ_MAX_SECTORS (1u << 21)
/* Bounce buffers of one device's requests in flight; a request larger
 * than what is left waits (one request is always admitted). */
#define BLK_BOUNCE_BUDGET (64u << 20)
/* Buffers are powers of two from 4 KiB (BLK_POOL_CLASSES sizes, enough
 * for seg_max * BLK_SEG_SIZE_MAX); up to BLK_POOL_BYTES of freed ones are
 * kept for reuse, since every fresh page costs a page fault. */
#define BLK_BOUNCE_MIN_SHIFT 12
#define BLK_POOL_CLASSES 13
#define BLK_POOL_BYTES (16u << 20)
_Static_assert((uint64_t)BLK_SEG_MAX * BLK_SEG_SIZE_MAX <=
               (1ull << (BLK_BOUNCE_MIN_SHIFT + BLK_POOL_CLASSES - 1)),
               "the largest request needs a size class");

enum { STAT_READ, STAT_WRITE, STAT_FLUSH, STAT_OTHER, NR_STATS };

typedef struct BlkReq BlkReq;

typedef struct VirtIOBlock {
    VirtIODevice parent;

    /* Properties. */
    char *drive_id;
    char *serial;
    uint16_t num_queues;
    uint16_t queue_size;
    bool report_ro;             /* offer VIRTIO_BLK_F_RO when read-only */

    /* Set at realize, constant until unrealize. */
    Drive *drive;               /* claimed by us (drive_claim) */
    BlockBackend *blk;          /* the drive's, borrowed */
    bool read_only;
    bool discard_ignore;
    uint64_t capacity;          /* in 512-byte sectors */
    unsigned blk_size;
    uint64_t max_data;          /* bytes of an IN/OUT request, at most */
    uint8_t config[BLK_CONFIG_SIZE];
    char id_string[BLK_ID_BYTES];   /* NUL-padded serial */

    /* The device loop's thread only (see the header comment); after
     * drain, unrealize frees the pool. */
    uint64_t bounce_used;       /* bytes of buffers of requests */
    void *pool[BLK_POOL_CLASSES];   /* free buffers, linked through
                                     * their first word */
    uint64_t pool_bytes;
    TAILQ_HEAD(, BlkReq) waiting;   /* FIFO of requests over budget */
    bool running_waiting;       /* blk_run_waiting() on the stack */

    /* Atomic counters, printed at exit with -d stats. */
    unsigned long handler_calls;
    unsigned long handler_calls_bql;    /* ... that ran with the BQL */
    unsigned long completions_bql;      /* completions with the BQL */
    unsigned long requests[NR_STATS];
    unsigned long errors;
} VirtIOBlock;

/* A request from pop to push.  Owned by the device loop: by the queue
 * handler, then by the waiting list or the BlockBackend request, then by
 * the completion, which frees it. */
struct BlkReq {
    VirtIOBlock *s;
    VirtQueue *vq;
    VirtQueueElement *elem;     /* ours until pushed */
    uint32_t type;
    uint64_t sector;
    uint64_t data_len;          /* IN/OUT bytes */
    uint8_t *buf;               /* bounce buffer of at least data_len */
    unsigned buf_class;         /* its size: 4 KiB << buf_class */
    struct iovec iov;
    TAILQ_ENTRY(BlkReq) link;   /* in s->waiting */
};

/* Saved by class_init: the virtio core's realize, which ours wraps. */
static DeviceRealize *blk_parent_realize;

#define VIRTIO_BLK(vdev) container_of((vdev), VirtIOBlock, parent)

static void *xzalloc(size_t size)
{
    void *p = calloc(1, size);

    if (!p) {
        abort();
    }
    return p;
}

/* ------------------------------------------------------------------ */
/* Bounce buffers */

/* The size class of len bytes (len <= the largest request). */
static unsigned blk_bounce_class(uint64_t len)
{
    unsigned c = 0;

    while (((uint64_t)1 << (BLK_BOUNCE_MIN_SHIFT + c)) < len) {
        c++;
    }
    assert(c < BLK_POOL_CLASSES);
    return c;
}

static uint64_t blk_class_bytes(unsigned c)
{
    return (uint64_t)1 << (BLK_BOUNCE_MIN_SHIFT + c);
}

static void *blk_bounce_alloc(VirtIOBlock *s, unsigned c)
{
    void *buf = s->pool[c];

    if (buf) {
        memcpy(&s->pool[c], buf, sizeof(void *));
        s->pool_bytes -= blk_class_bytes(c);
    } else {
        buf = aligned_alloc(1u << BLK_BOUNCE_MIN_SHIFT, blk_class_bytes(c));
        if (!buf) {
            abort();
        }
    }
    s->bounce_used += blk_class_bytes(c);
    return buf;
}

static void blk_bounce_free(VirtIOBlock *s, void *buf, unsigned c)
{
    s->bounce_used -= blk_class_bytes(c);
    if (s->pool_bytes + blk_class_bytes(c) > BLK_POOL_BYTES) {
        free(buf);
        return;
    }
    memcpy(buf, &s->pool[c], sizeof(void *));
    s->pool[c] = buf;
    s->pool_bytes += blk_class_bytes(c);
}

/* Unrealize, after drain: the loop no longer touches the pool. */
static void blk_pool_free(VirtIOBlock *s)
{
    for (unsigned c = 0; c < BLK_POOL_CLASSES; c++) {
        while (s->pool[c]) {
            void *buf = s->pool[c];

            memcpy(&s->pool[c], buf, sizeof(void *));
            free(buf);
        }
    }
    s->pool_bytes = 0;
}

/* ------------------------------------------------------------------ */
/* Completion */

static void blk_stat(unsigned long *counter)
{
    atomic_fetch_add_relaxed(counter, 1);
}

static void blk_run_waiting(VirtIOBlock *s);

/* Writes the status byte (the last device-writable byte), returns the
 * chain to the driver and frees the request. */
static void blk_req_finish(BlkReq *req, uint8_t status)
{
    VirtIOBlock *s = req->s;
    VirtIODevice *vdev = &s->parent;
    VirtQueueElement *elem = req->elem;

    if (status != VIRTIO_BLK_S_OK) {
        blk_stat(&s->errors);
    }
    /* Fails only if the buffer stopped being RAM or the queue was reset:
     * nobody is left to tell. */
    virtqueue_elem_write(vdev, elem, elem->in_len - 1, &status, 1, NULL);
    /* As QEMU: the whole device-writable area counts as written. */
    virtqueue_push(req->vq, elem, (uint32_t)elem->in_len);
    virtqueue_notify(req->vq);
    if (req->buf) {
        blk_bounce_free(s, req->buf, req->buf_class);
    }
    free(req);
    blk_run_waiting(s);
}

/* A device or queue reset since the pop: the driver forgot the request,
 * so its I/O must not start. */
static bool blk_req_stale(const BlkReq *req)
{
    VirtIODevice *vdev = &req->s->parent;
    bool stale;

    pthread_mutex_lock(&vdev->lock);
    stale = req->elem->generation != req->vq->generation;
    pthread_mutex_unlock(&vdev->lock);
    return stale;
}

static void blk_count_completion(VirtIOBlock *s)
{
    if (bql_locked()) {
        blk_stat(&s->completions_bql);
    }
}

/* BlockBackend completion of IN and OUT, in the device loop. */
static void blk_rw_done(void *opaque, int ret)
{
    BlkReq *req = opaque;
    VirtIOBlock *s = req->s;
    uint8_t status = ret ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;

    blk_count_completion(s);
    if (ret) {
        log_mask_printf(LOG_GUEST_ERROR, "virtio-blk %s: %s of %llu bytes "
                        "at sector %llu failed (%d)\n",
                        drive_get_id(s->drive),
                        req->type == VIRTIO_BLK_T_IN ? "read" : "write",
                        (unsigned long long)req->data_len,
                        (unsigned long long)req->sector, ret);
    }
    if (!ret && req->type == VIRTIO_BLK_T_IN &&
        !virtqueue_elem_write(&s->parent, req->elem, 0, req->buf,
                              req->data_len, NULL)) {
        status = VIRTIO_BLK_S_IOERR;
    }
    blk_req_finish(req, status);
}

/* Completion of FLUSH and WRITE_ZEROES. */
static void blk_simple_done(void *opaque, int ret)
{
    BlkReq *req = opaque;

    blk_count_completion(req->s);
    blk_req_finish(req, ret ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK);
}

/* Discard is a hint: a file system that cannot punch holes still
 * succeeds. */
static void blk_discard_done(void *opaque, int ret)
{
    if (ret == -EOPNOTSUPP || ret == -ENOTSUP) {
        ret = 0;
    }
    blk_simple_done(opaque, ret);
}

/* ------------------------------------------------------------------ */
/* IN and OUT: bounce budget, then the I/O */

static bool blk_budget_fits(VirtIOBlock *s, uint64_t len)
{
    uint64_t need = blk_class_bytes(blk_bounce_class(len));

    return !s->bounce_used || s->bounce_used + need <= BLK_BOUNCE_BUDGET;
}

/* Runs a request that has its place in the budget. */
static void blk_rw_run(BlkReq *req)
{
    VirtIOBlock *s = req->s;
    uint64_t offset = req->sector * BLK_SECTOR;

    if (blk_req_stale(req)) {
        blk_req_finish(req, VIRTIO_BLK_S_IOERR);
        return;
    }
    req->buf_class = blk_bounce_class(req->data_len);
    req->buf = blk_bounce_alloc(s, req->buf_class);
    req->iov.iov_base = req->buf;
    req->iov.iov_len = req->data_len;
    if (req->type == VIRTIO_BLK_T_IN) {
        blk_preadv(s->blk, offset, &req->iov, 1, blk_rw_done, req);
        return;
    }
    if (!virtqueue_elem_read(&s->parent, req->elem, BLK_HDR_SIZE, req->buf,
                             req->data_len, NULL)) {
        blk_req_finish(req, VIRTIO_BLK_S_IOERR);
        return;
    }
    blk_pwritev(s->blk, offset, &req->iov, 1, blk_rw_done, req);
}

/* Starts waiting requests, in order, while they fit.  A request that
 * finishes at once calls back in here: the flag keeps it one loop. */
static void blk_run_waiting(VirtIOBlock *s)
{
    BlkReq *req;

    if (s->running_waiting) {
        return;
    }
    s->running_waiting = true;
    while ((req = TAILQ_FIRST(&s->waiting)) &&
           blk_budget_fits(s, req->data_len)) {
        TAILQ_REMOVE(&s->waiting, req, link);
        blk_rw_run(req);
    }
    s->running_waiting = false;
}

static bool blk_range_ok(VirtIOBlock *s, uint64_t sector, uint64_t sectors)
{
    return sector <= s->capacity && sectors <= s->capacity - sector;
}

/* Checks an IN/OUT request; returns a status other than OK to fail it. */
static uint8_t blk_rw_check(BlkReq *req)
{
    VirtIOBlock *s = req->s;
    VirtQueueElement *elem = req->elem;
    bool is_write = req->type == VIRTIO_BLK_T_OUT;

    req->data_len = is_write ? elem->out_len - BLK_HDR_SIZE
                             : elem->in_len - 1;
    if (is_write && s->read_only) {
        return VIRTIO_BLK_S_IOERR;      /* §5.2.6.2: and write nothing */
    }
    if (req->data_len % BLK_SECTOR || req->data_len > s->max_data ||
        !blk_range_ok(s, req->sector, req->data_len / BLK_SECTOR)) {
        log_mask_printf(LOG_GUEST_ERROR, "virtio-blk %s: bad %s of %llu "
                        "bytes at sector %llu (capacity %llu)\n",
                        drive_get_id(s->drive), is_write ? "write" : "read",
                        (unsigned long long)req->data_len,
                        (unsigned long long)req->sector,
                        (unsigned long long)s->capacity);
        return VIRTIO_BLK_S_IOERR;
    }
    return VIRTIO_BLK_S_OK;
}

static void blk_rw_start(BlkReq *req)
{
    VirtIOBlock *s = req->s;
    uint8_t status = blk_rw_check(req);

    blk_stat(&s->requests[req->type == VIRTIO_BLK_T_IN ? STAT_READ
                                                       : STAT_WRITE]);
    if (status != VIRTIO_BLK_S_OK || !req->data_len) {
        blk_req_finish(req, status);
        return;
    }
    if (!TAILQ_EMPTY(&s->waiting) || !blk_budget_fits(s, req->data_len)) {
        TAILQ_INSERT_TAIL(&s->waiting, req, link);
        return;
    }
    blk_rw_run(req);
}

/* ------------------------------------------------------------------ */
/* The other requests */

static void blk_flush_start(BlkReq *req)
{
    blk_stat(&req->s->requests[STAT_FLUSH]);
    if (blk_req_stale(req)) {
        blk_req_finish(req, VIRTIO_BLK_S_IOERR);
        return;
    }
    blk_flush(req->s->blk, blk_simple_done, req);
}

static void blk_get_id(BlkReq *req)
{
    VirtIOBlock *s = req->s;
    uint64_t len = req->elem->in_len - 1;

    blk_stat(&s->requests[STAT_OTHER]);
    /* The driver must give 20 bytes; give what fits of the NUL-padded
     * serial if it gave fewer. */
    if (len > BLK_ID_BYTES) {
        len = BLK_ID_BYTES;
    }
    if (!virtqueue_elem_write(&s->parent, req->elem, 0, s->id_string, len,
                              NULL)) {
        blk_req_finish(req, VIRTIO_BLK_S_IOERR);
        return;
    }
    blk_req_finish(req, VIRTIO_BLK_S_OK);
}

/* Reads and checks the one segment of a DISCARD or WRITE_ZEROES. */
static uint8_t blk_dwz_check(BlkReq *req, uint64_t *sector,
                             uint32_t *sectors)
{
    VirtIOBlock *s = req->s;
    bool discard = req->type == VIRTIO_BLK_T_DISCARD;
    uint8_t seg[BLK_DWZ_SEG_SIZE];
    uint32_t flags;

    if (s->read_only) {
        return VIRTIO_BLK_S_IOERR;
    }
    /* max_discard_seg = max_write_zeroes_seg = 1. */
    if (req->elem->out_len != BLK_HDR_SIZE + BLK_DWZ_SEG_SIZE ||
        !virtqueue_elem_read(&s->parent, req->elem, BLK_HDR_SIZE, seg,
                             sizeof(seg), NULL)) {
        return VIRTIO_BLK_S_IOERR;
    }
    memcpy(sector, seg, 8);
    memcpy(sectors, seg + 8, 4);
    memcpy(&flags, seg + 12, 4);
    *sector = le64toh(*sector);
    *sectors = le32toh(*sectors);
    flags = le32toh(flags);
    /* §5.2.6.2: unknown flags, or unmap on a discard, are UNSUPP. */
    if ((flags & ~VIRTIO_BLK_WZ_UNMAP) || (discard && flags)) {
        return VIRTIO_BLK_S_UNSUPP;
    }
    if (*sectors > BLK_DWZ_MAX_SECTORS ||
        !blk_range_ok(s, *sector, *sectors)) {
        return VIRTIO_BLK_S_IOERR;
    }
    return VIRTIO_BLK_S_OK;
}

static void blk_dwz_start(BlkReq *req)
{
    VirtIOBlock *s = req->s;
    uint64_t sector;
    uint32_t sectors;
    uint8_t status = blk_dwz_check(req, &sector, &sectors);

    blk_stat(&s->requests[STAT_OTHER]);
    if (status == VIRTIO_BLK_S_OK && blk_req_stale(req)) {
        status = VIRTIO_BLK_S_IOERR;
    }
    if (status != VIRTIO_BLK_S_OK ||
        (req->type == VIRTIO_BLK_T_DISCARD && s->discard_ignore)) {
        blk_req_finish(req, status);
    } else if (req->type == VIRTIO_BLK_T_DISCARD) {
        blk_discard(s->blk, sector * BLK_SECTOR,
                    (uint64_t)sectors * BLK_SECTOR, blk_discard_done, req);
    } else {
        /* unmap or not, ZERO_RANGE (which may deallocate) does it. */
        blk_write_zeroes(s->blk, sector * BLK_SECTOR,
                         (uint64_t)sectors * BLK_SECTOR, blk_simple_done,
                         req);
    }
}

/* ------------------------------------------------------------------ */
/* The queue handler */

static void blk_req_start(VirtIOBlock *s, VirtQueue *vq,
                          VirtQueueElement *elem)
{
    BlkReq *req;
    uint8_t hdr[BLK_HDR_SIZE];
    uint32_t type;

    if (!elem->in_len) {
        virtio_error(&s->parent, "request without a device-writable "
                     "status byte");
        virtqueue_drop(vq, elem);
        return;
    }
    req = xzalloc(sizeof(*req));
    req->s = s;
    req->vq = vq;
    req->elem = elem;
    if (elem->out_len < BLK_HDR_SIZE ||
        !virtqueue_elem_read(&s->parent, elem, 0, hdr, sizeof(hdr), NULL)) {
        blk_stat(&s->requests[STAT_OTHER]);
        blk_req_finish(req, VIRTIO_BLK_S_IOERR);
        return;
    }
    memcpy(&type, hdr, 4);
    memcpy(&req->sector, hdr + 8, 8);
    req->type = le32toh(type);
    req->sector = le64toh(req->sector);
    switch (req->type) {
    case VIRTIO_BLK_T_IN:
    case VIRTIO_BLK_T_OUT:
        blk_rw_start(req);
        break;
    case VIRTIO_BLK_T_FLUSH:
        blk_flush_start(req);
        break;
    case VIRTIO_BLK_T_GET_ID:
        blk_get_id(req);
        break;
    case VIRTIO_BLK_T_DISCARD:
    case VIRTIO_BLK_T_WRITE_ZEROES:
        blk_dwz_start(req);
        break;
    default:
        blk_stat(&s->requests[STAT_OTHER]);
        blk_req_finish(req, VIRTIO_BLK_S_UNSUPP);
        break;
    }
}

/* The device loop, without the BQL (counted, for -d stats and tests). */
static void blk_handle_queue(VirtIODevice *vdev, VirtQueue *vq)
{
    VirtIOBlock *s = VIRTIO_BLK(vdev);
    VirtQueueElement *elem;

    blk_stat(&s->handler_calls);
    if (bql_locked()) {
        blk_stat(&s->handler_calls_bql);
    }
    while ((elem = virtqueue_pop(vq))) {
        blk_req_start(s, vq, elem);
    }
}

/* ------------------------------------------------------------------ */
/* Config space, reset, stats */

static void put16(uint8_t *p, uint16_t v)
{
    v = htole16(v);
    memcpy(p, &v, 2);
}

static void put32(uint8_t *p, uint32_t v)
{
    v = htole32(v);
    memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
    v = htole64(v);
    memcpy(p, &v, 8);
}

static void blk_fill_config(VirtIOBlock *s)
{
    uint8_t *c = s->config;
    uint32_t seg_max = MIN(s->queue_size - 2u, BLK_SEG_MAX);

    memset(c, 0, sizeof(s->config));
    put64(c + CFG_CAPACITY, s->capacity);
    put32(c + CFG_SIZE_MAX, BLK_SEG_SIZE_MAX);
    put32(c + CFG_SEG_MAX, seg_max);
    put32(c + CFG_BLK_SIZE, s->blk_size);
    put16(c + CFG_NUM_QUEUES, s->num_queues);
    put32(c + CFG_MAX_DISCARD_SEC, BLK_DWZ_MAX_SECTORS);
    put32(c + CFG_MAX_DISCARD_SEG, 1);
    put32(c + CFG_DISCARD_ALIGN, s->blk_size / BLK_SECTOR);
    put32(c + CFG_MAX_WZ_SEC, BLK_DWZ_MAX_SECTORS);
    put32(c + CFG_MAX_WZ_SEG, 1);
    c[CFG_WZ_MAY_UNMAP] = 0;
    s->max_data = (uint64_t)seg_max * BLK_SEG_SIZE_MAX;
}

/* vdev->lock held.  The config is read-only for the driver (no
 * CONFIG_WCE): whatever it wrote is replaced on the next read. */
static void blk_get_config(VirtIODevice *vdev, uint8_t *config)
{
    memcpy(config, VIRTIO_BLK(vdev)->config, BLK_CONFIG_SIZE);
}

/* Exit hook of the drive (main thread, BQL, vCPUs stopped). */
static void blk_print_stats(void *opaque)
{
    VirtIOBlock *s = opaque;

    if (!log_enabled(LOG_STATS)) {
        return;
    }
    log_printf("virtio-blk drive=%s: handler-calls=%lu "
               "handler-calls-bql=%lu completions-bql=%lu reads=%lu "
               "writes=%lu flushes=%lu other=%lu errors=%lu\n",
               drive_get_id(s->drive), atomic_read(&s->handler_calls),
               atomic_read(&s->handler_calls_bql),
               atomic_read(&s->completions_bql),
               atomic_read(&s->requests[STAT_READ]),
               atomic_read(&s->requests[STAT_WRITE]),
               atomic_read(&s->requests[STAT_FLUSH]),
               atomic_read(&s->requests[STAT_OTHER]),
               atomic_read(&s->errors));
}

/* ------------------------------------------------------------------ */
/* Realize */

static bool blk_check_props(VirtIOBlock *s, Error **errp)
{
    unsigned qs = s->queue_size;

    if (!s->drive_id) {
        error_setg(errp, "virtio-blk-device: drive= is missing");
        return false;
    }
    if (!s->num_queues || s->num_queues > VIRTIO_MAX_QUEUES) {
        error_setg(errp, "virtio-blk-device: num-queues=%u out of range "
                   "(1..%d)", s->num_queues, VIRTIO_MAX_QUEUES);
        return false;
    }
    if (qs < 4 || qs > VIRTQUEUE_MAX_SIZE || (qs & (qs - 1))) {
        error_setg(errp, "virtio-blk-device: queue-size=%u must be a power "
                   "of two from 4 to %d", qs, VIRTQUEUE_MAX_SIZE);
        return false;
    }
    if (s->serial && strlen(s->serial) > BLK_ID_BYTES) {
        error_setg(errp, "virtio-blk-device: serial '%s' is longer than %d "
                   "characters", s->serial, BLK_ID_BYTES);
        return false;
    }
    return true;
}

/* The drive: found, then claimed last (nothing fails after that). */
static Drive *blk_find_drive(VirtIOBlock *s, Error **errp)
{
    Drive *d = drive_find(s->drive_id);

    if (!d) {
        error_setg(errp, "virtio-blk-device: drive '%s' not found (define "
                   "it with -drive or -blockdev)", s->drive_id);
    }
    return d;
}

static bool blk_claim_drive(VirtIOBlock *s, Drive *d, Error **errp)
{
    char *path = device_path(&s->parent.parent);
    char *user = NULL;
    bool ok;

    if (asprintf(&user, "device '%s'", path) < 0) {
        abort();
    }
    ok = drive_claim(d, user, blk_print_stats, s, errp);
    free(user);
    free(path);
    return ok;
}

static bool blk_realize(VirtIODevice *vdev, Error **errp)
{
    VirtIOBlock *s = VIRTIO_BLK(vdev);
    const char *serial;
    unsigned align;
    Drive *d;

    if (!blk_check_props(s, errp) || !(d = blk_find_drive(s, errp))) {
        return false;
    }
    for (unsigned i = 0; i < s->num_queues; i++) {
        if (!virtio_add_queue(vdev, s->queue_size, blk_handle_queue, errp)) {
            return false;       /* the core frees the queues */
        }
    }
    if (!blk_claim_drive(s, d, errp)) {
        return false;
    }
    s->drive = d;
    s->blk = drive_get_blk(d);
    s->read_only = drive_is_read_only(d);
    s->discard_ignore = drive_discard_ignored(d);
    s->capacity = blk_getlength(s->blk) / BLK_SECTOR;
    /* O_DIRECT needs aligned writes: advertise the alignment as the
     * logical block size, so the driver never sends anything else. */
    align = blk_get_align(s->blk);
    s->blk_size = align > BLK_SECTOR ? align : BLK_SECTOR;
    serial = s->serial ? s->serial : drive_get_serial(d);
    memset(s->id_string, 0, sizeof(s->id_string));
    if (serial) {
        memcpy(s->id_string, serial, strnlen(serial, BLK_ID_BYTES));
    }
    TAILQ_INIT(&s->waiting);
    blk_fill_config(s);
    /* Nothing in flight on a drive nobody had claimed. */
    blk_attach_loop(s->blk, vdev->loop);
    return true;
}

/* After the core's drain: no element is in flight, hence no backend
 * request either, but the last completion may still be returning in an
 * iothread (the drain ended inside it).  blk_drain() waits for that, so
 * the next device may attach the backend to its loop.  Under the BQL,
 * in the main thread (or wherever the unplug ends without a main loop).
 * Releasing a -drive deletes it and closes its file (block/drive.h);
 * a -blockdev node stays for blockdev-del. */
static void blk_unrealize(VirtIODevice *vdev)
{
    VirtIOBlock *s = VIRTIO_BLK(vdev);

    blk_drain(s->blk);
    blk_pool_free(s);
    drive_release(s->drive);    /* drops our reference */
    s->drive = NULL;
    s->blk = NULL;
}

/* The core computes host_features from the class; the read-only state
 * is per drive, so adjust them once the core is done (before the
 * transport plugs the device, so no driver has seen them). */
static bool blk_device_realize(Device *dev, Error **errp)
{
    VirtIODevice *vdev = VIRTIO_DEVICE(dev);
    VirtIOBlock *s = VIRTIO_BLK(vdev);

    if (!blk_parent_realize(dev, errp)) {
        return false;
    }
    pthread_mutex_lock(&vdev->lock);
    if (s->read_only) {
        vdev->host_features &= ~((1ull << VIRTIO_BLK_F_DISCARD) |
                                 (1ull << VIRTIO_BLK_F_WRITE_ZEROES));
    }
    if (!s->read_only || !s->report_ro) {
        vdev->host_features &= ~(1ull << VIRTIO_BLK_F_RO);
    }
    pthread_mutex_unlock(&vdev->lock);
    return true;
}

static const Property virtio_blk_props[] = {
    DEFINE_PROP_STRING("drive", VirtIOBlock, drive_id, NULL),
    DEFINE_PROP_STRING("serial", VirtIOBlock, serial, NULL),
    DEFINE_PROP_UINT16("num-queues", VirtIOBlock, num_queues, 1),
    DEFINE_PROP_UINT16("queue-size", VirtIOBlock, queue_size, 256),
    /* Testing: off hides a read-only drive from the driver, which then
     * sends writes and sees them fail (EIO) instead of a read-only
     * disk. */
    DEFINE_PROP_BOOL("x-report-ro", VirtIOBlock, report_ro, true),
    PROP_END
};

static void blk_class_init(DeviceClass *dc, const void *data)
{
    VirtioDeviceClass *vdc = (VirtioDeviceClass *)dc;

    vdc->device_id = VIRTIO_ID_BLOCK;
    vdc->config_size = BLK_CONFIG_SIZE;
    /* RO, or DISCARD and WRITE_ZEROES, are withdrawn per device in
     * blk_device_realize. */
    vdc->features = (1ull << VIRTIO_BLK_F_SIZE_MAX) |
                    (1ull << VIRTIO_BLK_F_SEG_MAX) |
                    (1ull << VIRTIO_BLK_F_RO) |
                    (1ull << VIRTIO_BLK_F_BLK_SIZE) |
                    (1ull << VIRTIO_BLK_F_FLUSH) |
                    (1ull << VIRTIO_BLK_F_MQ) |
                    (1ull << VIRTIO_BLK_F_DISCARD) |
                    (1ull << VIRTIO_BLK_F_WRITE_ZEROES);
    vdc->realize = blk_realize;
    vdc->unrealize = blk_unrealize;
    vdc->get_config = blk_get_config;
    blk_parent_realize = dc->realize;
    dc->realize = blk_device_realize;
}

static const DeviceTypeInfo virtio_blk_info = {
    .name = TYPE_VIRTIO_BLK,
    .parent = TYPE_VIRTIO_DEVICE,
    .desc = "virtio block device (drive=ID of a -drive or -blockdev)",
    .instance_size = sizeof(VirtIOBlock),
    .class_init = blk_class_init,
    .props = virtio_blk_props,
};
DEVICE_TYPE_REGISTER(virtio_blk_info)
