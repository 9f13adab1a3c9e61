/* Raw-file block backend: asynchronous reads, writes, flushes, discards
 * and write-zeroes on an image file, completed in an event loop.  The
 * io_uring engine submits to a ring whose eventfd the attached loop
 * watches; the threads engine runs the same requests as blocking system
 * calls in the worker pool.  See block/block.h for the contract and
 * docs/block.md for the design. */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config-host.h"
#include "block/block.h"
#include "util/compiler.h"
#include "util/error.h"
#include "util/log.h"
#include "util/rcu.h"

#if CONFIG_LINUX_IO_URING
#include <liburing.h>
#endif

/* Entries of each ring; also the most requests one backend keeps in the
 * kernel at once (more wait on the overflow list), so the completion
 * queue (twice as large) can never overflow. */
#define RING_ENTRIES 128
/* A bounced request allocates its whole length: cap it. */
#define MAX_BOUNCE_BYTES (1ULL << 30)
/* Buffer for writing zeros where fallocate cannot. */
#define ZERO_CHUNK (256 * 1024)

typedef enum BlkOp {
    BLK_OP_READ,
    BLK_OP_WRITE,
    BLK_OP_FLUSH,
    BLK_OP_DISCARD,
    BLK_OP_WRITE_ZEROES,
} BlkOp;

typedef enum BlkEngine {
    ENGINE_NONE,               /* not attached yet */
    ENGINE_THREADS,
    ENGINE_IO_URING,
} BlkEngine;

typedef struct BlkRequest BlkRequest;
struct BlkRequest {
    BlockBackend *blk;
    BlkOp op;
    BlockCompletion *cb;
    void *opaque;
    int ret;                   /* error found at submission, else 0 */

    /* What is left to do: advanced on short reads and writes. */
    uint64_t offset;
    uint64_t bytes;
    struct iovec *cur;         /* points into vec or at bounce_iov */
    int curcnt;

    struct iovec *vec;         /* owned copy of the caller's vector */
    int veccnt;
    void *bounce;              /* aligned buffer, or NULL */
    struct iovec bounce_iov;
    size_t bounce_skip;        /* caller's first byte inside bounce */
    size_t user_bytes;         /* caller's length (bounced reads) */
    bool zero_by_writing;      /* write-zeroes: fallocate refused */

    BlkRequest *next;          /* overflow and completion lists */
};

struct BlockBackend {
    char *filename;
    int fd;
    bool read_only;
    bool want_threads;         /* BLK_ENGINE_THREADS or the env var */
    unsigned mem_align;        /* buffer alignment O_DIRECT needs */
    unsigned offset_align;     /* offset/length alignment it needs */

    /* Written by blk_attach_loop() with nothing in flight, before the
     * requests that use them are submitted; read by submitters. */
    EventLoop *loop;
    BlkEngine engine;

    /* Only the loop's thread: completion callbacks of this backend
     * running on its stack (blk_drain() from a callback). */
    unsigned cb_depth;

    /* lock protects in_flight, drain_waiters and, for io_uring, the
     * ring (both queues), in_ring and the overflow list.  It is never
     * held while calling a completion callback; under it only the
     * worker pool's leaf lock may be taken. */
    pthread_mutex_t lock;
    pthread_cond_t drained;    /* in_flight reached 0 with waiters */
    unsigned in_flight;
    unsigned drain_waiters;
#if CONFIG_LINUX_IO_URING
    bool ring_ready;
    struct io_uring ring;
    EventNotifier ring_notifier; /* the ring's registered eventfd */
    unsigned in_ring;          /* submitted, completion not reaped */
    BlkRequest *overflow_head, **overflow_tail;
#endif
};

static void blk_worker_submit(BlockBackend *blk, BlkRequest *req);

/* ---- opening */

static bool dio_alignment_from_statx(int fd, unsigned *mem, unsigned *off)
{
#ifdef STATX_DIOALIGN
    struct statx stx;

    if (statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &stx) == 0 &&
        (stx.stx_mask & STATX_DIOALIGN) && stx.stx_dio_offset_align) {
        *off = stx.stx_dio_offset_align;
        *mem = MAX(stx.stx_dio_mem_align, 1u);
        return true;
    }
#endif
    return false;
}

/* Finds the smallest O_DIRECT request size the file accepts by trying
 * them; empty or tiny files cannot tell, so they get the safe 4096. */
static unsigned dio_alignment_by_probe(int fd, uint64_t size)
{
    unsigned align;
    void *buf;

    if (size < 4096 || posix_memalign(&buf, 4096, 4096)) {
        return 4096;
    }
    for (align = 512; align < 4096; align *= 2) {
        if (pread(fd, buf, align, 0) >= 0 || errno != EINVAL) {
            break;
        }
    }
    free(buf);
    return align;
}

static void blk_setup_alignment(BlockBackend *blk, const struct stat *st,
                                bool direct)
{
    int sector;

    blk->mem_align = blk->offset_align = 1;
    if (!direct) {
        return;
    }
    if (S_ISBLK(st->st_mode) && ioctl(blk->fd, BLKSSZGET, &sector) == 0 &&
        sector >= 512) {
        blk->mem_align = blk->offset_align = sector;
    } else if (!dio_alignment_from_statx(blk->fd, &blk->mem_align,
                                         &blk->offset_align)) {
        blk->offset_align = dio_alignment_by_probe(blk->fd, st->st_size);
        blk->mem_align = blk->offset_align;
    }
    /* virtio-blk sectors are 512 bytes: never advertise less. */
    blk->offset_align = MAX(blk->offset_align, 512u);
}

static bool env_wants_threads(void)
{
    const char *engine = getenv("WEFT_BLK_ENGINE");

    if (!engine || !*engine || !strcmp(engine, "io_uring")) {
        return false;
    }
    if (strcmp(engine, "threads")) {
        warn_report("WEFT_BLK_ENGINE=%s: unknown engine "
                    "(io_uring or threads), using threads", engine);
    }
    return true;
}

/* Refuses what cannot be an image before open() (which would block on a
 * FIFO waiting for a writer). */
static bool blk_check_file_type(const char *filename, Error **errp)
{
    struct stat st;

    if (stat(filename, &st) < 0) {
        error_setg_errno(errp, errno, "could not open '%s'", filename);
        return false;
    }
    if (S_ISDIR(st.st_mode)) {
        error_setg(errp, "could not open '%s': it is a directory", filename);
        return false;
    }
    if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
        error_setg(errp, "could not open '%s': not a regular file or block "
                   "device", filename);
        return false;
    }
    return true;
}

static int blk_open_fd(const char *filename, int flags, Error **errp)
{
    bool rdonly = flags & BLK_RDONLY;
    int oflags = (rdonly ? O_RDONLY : O_RDWR) | O_CLOEXEC;
    int fd;

    if (flags & BLK_CACHE_NONE) {
        oflags |= O_DIRECT;
    }
    fd = open(filename, oflags);
    if (fd >= 0) {
        return fd;
    }
    if ((flags & BLK_CACHE_NONE) && errno == EINVAL) {
        error_setg(errp, "could not open '%s' with cache=none: the file "
                   "system does not support O_DIRECT", filename);
    } else if (!rdonly && (errno == EACCES || errno == EPERM ||
                           errno == EROFS)) {
        error_setg_errno(errp, errno, "could not open '%s' read-write "
                         "(use readonly=on for a read-only image)",
                         filename);
    } else {
        error_setg_errno(errp, errno, "could not open '%s'", filename);
    }
    return -1;
}

BlockBackend *blk_open(const char *filename, int flags, Error **errp)
{
    BlockBackend *blk;
    struct stat st;
    int fd;

    if (!filename || !*filename) {
        error_setg(errp, "block: no image file name given");
        return NULL;
    }
    if (!blk_check_file_type(filename, errp)) {
        return NULL;
    }
    fd = blk_open_fd(filename, flags, errp);
    if (fd < 0) {
        return NULL;
    }
    blk = calloc(1, sizeof(*blk));
    if (!blk || !(blk->filename = strdup(filename)) || fstat(fd, &st) < 0) {
        error_setg(errp, "could not open '%s': out of memory", filename);
        close(fd);
        if (blk) {
            free(blk->filename);
        }
        free(blk);
        return NULL;
    }
    blk->fd = fd;
    blk->read_only = flags & BLK_RDONLY;
    blk->want_threads = (flags & BLK_ENGINE_THREADS) || env_wants_threads();
    blk_setup_alignment(blk, &st, flags & BLK_CACHE_NONE);
    pthread_mutex_init(&blk->lock, NULL);
    pthread_cond_init(&blk->drained, NULL);
    return blk;
}

/* ---- accessors */

uint64_t blk_getlength(BlockBackend *blk)
{
    off_t end = lseek(blk->fd, 0, SEEK_END);

    return end < 0 ? 0 : (uint64_t)end;
}

bool blk_is_read_only(BlockBackend *blk)
{
    return blk->read_only;
}

unsigned blk_get_align(BlockBackend *blk)
{
    return blk->offset_align;
}

EventLoop *blk_get_loop(BlockBackend *blk)
{
    return blk->loop;
}

const char *blk_engine_name(BlockBackend *blk)
{
    switch (blk->engine) {
    case ENGINE_THREADS:
        return "threads";
    case ENGINE_IO_URING:
        return "io_uring";
    default:
        return "none";
    }
}

unsigned blk_in_flight(BlockBackend *blk)
{
    unsigned n;

    pthread_mutex_lock(&blk->lock);
    n = blk->in_flight;
    pthread_mutex_unlock(&blk->lock);
    return n;
}

/* ---- vectors */

static void iov_zero(const struct iovec *iov, int cnt)
{
    for (int i = 0; i < cnt; i++) {
        memset(iov[i].iov_base, 0, iov[i].iov_len);
    }
}

/* Drops the first n bytes of the vector (*iov, *cnt). */
static void iov_advance(struct iovec **iov, int *cnt, size_t n)
{
    while (n && *cnt) {
        size_t step = MIN(n, (*iov)->iov_len);

        (*iov)->iov_base = (char *)(*iov)->iov_base + step;
        (*iov)->iov_len -= step;
        n -= step;
        if ((*iov)->iov_len == 0) {
            (*iov)++;
            (*cnt)--;
        }
    }
    /* Skip empty trailing elements so a finished vector has cnt 0. */
    while (*cnt && (*iov)->iov_len == 0) {
        (*iov)++;
        (*cnt)--;
    }
}

/* Copies between a flat buffer and a vector; to_iov picks the way. */
static void iov_copy_flat(const struct iovec *iov, int cnt, void *buf,
                          size_t len, bool to_iov)
{
    char *p = buf;

    for (int i = 0; i < cnt && len; i++) {
        size_t n = MIN(len, iov[i].iov_len);

        if (to_iov) {
            memcpy(iov[i].iov_base, p, n);
        } else {
            memcpy(p, iov[i].iov_base, n);
        }
        p += n;
        len -= n;
    }
}

static bool iov_is_aligned(const struct iovec *iov, int cnt,
                           unsigned mem_align, unsigned len_align)
{
    for (int i = 0; i < cnt; i++) {
        if (((uintptr_t)iov[i].iov_base & (mem_align - 1)) ||
            (iov[i].iov_len & (len_align - 1))) {
            return false;
        }
    }
    return true;
}

/* ---- requests */

static BlkRequest *req_new(BlockBackend *blk, BlkOp op, uint64_t offset,
                           uint64_t bytes, BlockCompletion *cb, void *opaque)
{
    BlkRequest *req = calloc(1, sizeof(*req));

    if (!req) {
        /* No memory for even the request: nothing sane to report to. */
        error_report("block: out of memory for a request on '%s'",
                     blk->filename);
        abort();
    }
    *req = (BlkRequest){ .blk = blk, .op = op, .offset = offset,
                         .bytes = bytes, .cb = cb, .opaque = opaque };
    return req;
}

static void req_free(BlkRequest *req)
{
    free(req->bounce);
    free(req->vec);
    free(req);
}

static bool range_is_valid(uint64_t offset, uint64_t bytes)
{
    return offset <= INT64_MAX && bytes <= INT64_MAX - offset;
}

static bool op_writes(BlkOp op)
{
    return op == BLK_OP_WRITE || op == BLK_OP_DISCARD ||
           op == BLK_OP_WRITE_ZEROES;
}

/* Redirects a read or write through one aligned buffer covering the
 * aligned extent of the request.  Returns 0 or -errno. */
static int req_setup_bounce(BlkRequest *req)
{
    unsigned align = req->blk->offset_align;
    uint64_t start = req->offset & ~(uint64_t)(align - 1);
    uint64_t end = (req->offset + req->bytes + align - 1) &
                   ~(uint64_t)(align - 1);
    size_t buf_align = MAX(MAX(req->blk->mem_align, align), 4096u);

    if (req->op == BLK_OP_WRITE && (start != req->offset ||
                                    end != req->offset + req->bytes)) {
        /* A read-modify-write would race with concurrent writes. */
        return -EINVAL;
    }
    if (end - start > MAX_BOUNCE_BYTES) {
        return -EINVAL;
    }
    if (posix_memalign(&req->bounce, buf_align, end - start)) {
        req->bounce = NULL;
        return -ENOMEM;
    }
    req->bounce_skip = req->offset - start;
    req->user_bytes = req->bytes;
    if (req->op == BLK_OP_WRITE) {
        iov_copy_flat(req->vec, req->veccnt, req->bounce, req->bytes, false);
    }
    req->bounce_iov = (struct iovec){ req->bounce, end - start };
    req->cur = &req->bounce_iov;
    req->curcnt = 1;
    req->offset = start;
    req->bytes = end - start;
    return 0;
}

/* Copies the caller's vector and decides whether to bounce it. */
static int req_setup_vector(BlkRequest *req, const struct iovec *iov,
                            int iovcnt)
{
    BlockBackend *blk = req->blk;
    uint64_t total = 0;

    if (iovcnt < 0 || (iovcnt > 0 && !iov)) {
        return -EINVAL;
    }
    for (int i = 0; i < iovcnt; i++) {
        if (iov[i].iov_len > INT64_MAX - total) {
            return -EINVAL;
        }
        total += iov[i].iov_len;
    }
    if (!range_is_valid(req->offset, total)) {
        return -EINVAL;
    }
    req->vec = malloc(sizeof(*iov) * (iovcnt ? iovcnt : 1));
    if (!req->vec) {
        return -ENOMEM;
    }
    memcpy(req->vec, iov, sizeof(*iov) * iovcnt);
    req->veccnt = iovcnt;
    req->cur = req->vec;
    req->curcnt = iovcnt;
    req->bytes = total;
    iov_advance(&req->cur, &req->curcnt, 0);
    if (total == 0) {
        return 0;
    }
    if (iovcnt > IOV_MAX ||
        !iov_is_aligned(iov, iovcnt, blk->mem_align, blk->offset_align) ||
        ((req->offset | total) & (blk->offset_align - 1))) {
        return req_setup_bounce(req);
    }
    return 0;
}

static void blk_dec_in_flight(BlockBackend *blk)
{
    pthread_mutex_lock(&blk->lock);
    assert(blk->in_flight > 0);
    if (--blk->in_flight == 0 && blk->drain_waiters) {
        pthread_cond_broadcast(&blk->drained);
    }
    pthread_mutex_unlock(&blk->lock);
}

/* In the loop's thread: hands the result to the caller.  The request
 * stays in flight until its callback has returned. */
static void req_complete(BlkRequest *req, int ret)
{
    BlockBackend *blk = req->blk;

    if (ret == 0 && req->op == BLK_OP_READ && req->bounce) {
        iov_copy_flat(req->vec, req->veccnt,
                      (char *)req->bounce + req->bounce_skip,
                      req->user_bytes, true);
    }
    blk->cb_depth++;
    req->cb(req->opaque, ret);
    blk->cb_depth--;
    req_free(req);
    blk_dec_in_flight(blk);
}

static void req_complete_early(void *opaque)
{
    BlkRequest *req = opaque;

    req_complete(req, req->ret);
}

/* Accounts n > 0 bytes transferred; returns true when nothing is left.
 * Under O_DIRECT a short read that stops at an unaligned offset can only
 * be the end of the file (reading on from there would fail with
 * EINVAL): the rest reads as zeros. */
static bool req_advance(BlkRequest *req, size_t n)
{
    req->offset += n;
    req->bytes -= n;
    iov_advance(&req->cur, &req->curcnt, n);
    if (req->bytes && req->op == BLK_OP_READ &&
        (req->offset & (req->blk->offset_align - 1))) {
        iov_zero(req->cur, req->curcnt);
        req->bytes = 0;
    }
    return req->bytes == 0;
}

/* ---- the threads engine: blocking system calls in a worker */

static int worker_rw(BlkRequest *req)
{
    BlockBackend *blk = req->blk;

    while (req->bytes) {
        int cnt = MIN(req->curcnt, IOV_MAX);
        ssize_t n = req->op == BLK_OP_READ
            ? preadv(blk->fd, req->cur, cnt, req->offset)
            : pwritev(blk->fd, req->cur, cnt, req->offset);

        if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
            continue;
        }
        if (n < 0) {
            return -errno;
        }
        if (n == 0) {
            if (req->op == BLK_OP_WRITE) {
                return -EIO;    /* no progress and no error: give up */
            }
            iov_zero(req->cur, req->curcnt);   /* past the end of file */
            return 0;
        }
        req_advance(req, n);
    }
    return 0;
}

static int worker_write_zeros(BlkRequest *req)
{
    BlockBackend *blk = req->blk;
    unsigned align = blk->offset_align;
    void *zeros;
    int ret = 0;

    if ((req->offset | req->bytes) & (align - 1)) {
        return -EINVAL;
    }
    if (posix_memalign(&zeros, MAX(MAX(blk->mem_align, align), 4096u),
                       ZERO_CHUNK)) {
        return -ENOMEM;
    }
    memset(zeros, 0, ZERO_CHUNK);
    while (req->bytes && ret == 0) {
        size_t n = MIN(req->bytes, (uint64_t)ZERO_CHUNK);
        ssize_t done = pwrite(blk->fd, zeros, n, req->offset);

        if (done < 0 && (errno == EINTR || errno == EAGAIN)) {
            continue;
        }
        if (done <= 0) {
            ret = done < 0 ? -errno : -EIO;
            break;
        }
        req->offset += done;
        req->bytes -= done;
    }
    free(zeros);
    return ret;
}

static int worker_fallocate(BlockBackend *blk, int mode, BlkRequest *req)
{
    if (fallocate(blk->fd, mode, req->offset, req->bytes) < 0) {
        return -errno;
    }
    return 0;
}

static int worker_do(BlkRequest *req)
{
    BlockBackend *blk = req->blk;

    switch (req->op) {
    case BLK_OP_READ:
    case BLK_OP_WRITE:
        return worker_rw(req);
    case BLK_OP_FLUSH:
        return fdatasync(blk->fd) < 0 ? -errno : 0;
    case BLK_OP_DISCARD:
        return worker_fallocate(blk, FALLOC_FL_PUNCH_HOLE |
                                FALLOC_FL_KEEP_SIZE, req);
    case BLK_OP_WRITE_ZEROES:
        if (!req->zero_by_writing) {
            int ret = worker_fallocate(blk, FALLOC_FL_ZERO_RANGE, req);

            if (ret != -EOPNOTSUPP && ret != -EINVAL) {
                return ret;
            }
        }
        return worker_write_zeros(req);
    }
    return -EINVAL;
}

static int blk_worker_work(void *opaque)
{
    int ret;

    /* Disk I/O may block for long: do not hold up grace periods. */
    weft_rcu_go_offline();
    ret = worker_do(opaque);
    weft_rcu_go_online();
    return ret;
}

static void blk_worker_done(void *opaque, int ret)
{
    req_complete(opaque, ret);
}

static void blk_worker_submit(BlockBackend *blk, BlkRequest *req)
{
    thread_pool_submit(blk->loop, blk_worker_work, blk_worker_done, req);
}

/* ---- the io_uring engine */

#if CONFIG_LINUX_IO_URING
static bool uring_init(BlockBackend *blk)
{
    int ret = io_uring_queue_init(RING_ENTRIES, &blk->ring, 0);

    if (ret < 0) {
        log_mask_printf(LOG_UNIMP, "block: io_uring unavailable (%s), "
                        "using the worker pool for '%s'\n", strerror(-ret),
                        blk->filename);
        return false;
    }
    if (!event_notifier_init(&blk->ring_notifier, false, NULL)) {
        io_uring_queue_exit(&blk->ring);
        return false;
    }
    ret = io_uring_register_eventfd(&blk->ring, blk->ring_notifier.fd);
    if (ret < 0) {
        event_notifier_cleanup(&blk->ring_notifier);
        io_uring_queue_exit(&blk->ring);
        return false;
    }
    blk->overflow_tail = &blk->overflow_head;
    blk->ring_ready = true;
    return true;
}

static void uring_cleanup(BlockBackend *blk)
{
    if (blk->ring_ready) {
        io_uring_queue_exit(&blk->ring);
        event_notifier_cleanup(&blk->ring_notifier);
        blk->ring_ready = false;
    }
}

static void uring_prep(BlockBackend *blk, struct io_uring_sqe *sqe,
                       BlkRequest *req)
{
    switch (req->op) {
    case BLK_OP_READ:
        io_uring_prep_readv(sqe, blk->fd, req->cur, MIN(req->curcnt, IOV_MAX),
                            req->offset);
        break;
    case BLK_OP_WRITE:
        io_uring_prep_writev(sqe, blk->fd, req->cur, MIN(req->curcnt, IOV_MAX),
                             req->offset);
        break;
    case BLK_OP_FLUSH:
        io_uring_prep_fsync(sqe, blk->fd, IORING_FSYNC_DATASYNC);
        break;
    case BLK_OP_DISCARD:
        io_uring_prep_fallocate(sqe, blk->fd, FALLOC_FL_PUNCH_HOLE |
                                FALLOC_FL_KEEP_SIZE, req->offset, req->bytes);
        break;
    case BLK_OP_WRITE_ZEROES:
        io_uring_prep_fallocate(sqe, blk->fd, FALLOC_FL_ZERO_RANGE,
                                req->offset, req->bytes);
        break;
    }
    io_uring_sqe_set_data(sqe, req);
}

/* Puts req in the submission queue, or on the overflow list when the
 * ring is full.  The caller submits. */
static void uring_queue_locked(BlockBackend *blk, BlkRequest *req)
{
    struct io_uring_sqe *sqe = NULL;

    if (blk->in_ring < RING_ENTRIES) {
        sqe = io_uring_get_sqe(&blk->ring);
    }
    if (!sqe) {
        req->next = NULL;
        *blk->overflow_tail = req;
        blk->overflow_tail = &req->next;
        return;
    }
    uring_prep(blk, sqe, req);
    blk->in_ring++;
}

static void uring_submit_locked(BlockBackend *blk)
{
    int ret;

    while (io_uring_sq_ready(&blk->ring)) {
        ret = io_uring_submit(&blk->ring);
        if (ret == -EINTR) {
            continue;
        }
        if (ret < 0) {
            /* -EAGAIN/-EBUSY: the kernel is short of resources; the
             * queued entries go in with the next submission or
             * completion.  Requests still complete, only later. */
            log_mask_printf(LOG_UNIMP, "block: io_uring_submit: %s\n",
                            strerror(-ret));
        }
        break;
    }
}

/* Moves requests waiting for ring space into the ring.  Below
 * RING_ENTRIES in the ring a free SQE is guaranteed (the SQ has that many
 * entries and in_ring counts the unsubmitted ones too). */
static void uring_refill_locked(BlockBackend *blk)
{
    while (blk->overflow_head && blk->in_ring < RING_ENTRIES) {
        BlkRequest *req = blk->overflow_head;

        blk->overflow_head = req->next;
        if (!blk->overflow_head) {
            blk->overflow_tail = &blk->overflow_head;
        }
        uring_queue_locked(blk, req);
    }
}

/* Handles one completion.  Returns true when req is finished (its
 * result in req->ret), false when it went back to the ring or to the
 * worker pool. */
static bool uring_step(BlockBackend *blk, BlkRequest *req, int res)
{
    if (res == -EINTR || res == -EAGAIN) {
        uring_queue_locked(blk, req);
        return false;
    }
    if ((req->op == BLK_OP_READ || req->op == BLK_OP_WRITE) && res >= 0) {
        if (res == 0) {
            if (req->op == BLK_OP_READ) {
                iov_zero(req->cur, req->curcnt);     /* past EOF */
            }
            req->ret = req->op == BLK_OP_READ ? 0 : -EIO;
            return true;
        }
        if (!req_advance(req, res)) {
            uring_queue_locked(blk, req);            /* short: the rest */
            return false;
        }
        req->ret = 0;
        return true;
    }
    if (req->op == BLK_OP_WRITE_ZEROES &&
        (res == -EOPNOTSUPP || res == -EINVAL)) {
        req->zero_by_writing = true;
        blk_worker_submit(blk, req);
        return false;
    }
    req->ret = res < 0 ? res : 0;
    return true;
}

/* The ring's eventfd fired, in the loop's thread: reap, resubmit what is
 * unfinished, then run the callbacks without the lock. */
static void uring_completion_handler(void *opaque)
{
    BlockBackend *blk = opaque;
    BlkRequest *done = NULL, **tail = &done;
    struct io_uring_cqe *cqe;

    pthread_mutex_lock(&blk->lock);
    while (io_uring_peek_cqe(&blk->ring, &cqe) == 0) {
        BlkRequest *req = io_uring_cqe_get_data(cqe);
        int res = cqe->res;

        io_uring_cqe_seen(&blk->ring, cqe);
        blk->in_ring--;
        if (uring_step(blk, req, res)) {
            req->next = NULL;
            *tail = req;
            tail = &req->next;
        }
    }
    uring_refill_locked(blk);
    uring_submit_locked(blk);
    pthread_mutex_unlock(&blk->lock);

    while (done) {
        BlkRequest *req = done;

        done = req->next;
        req_complete(req, req->ret);
    }
}

static void uring_submit(BlockBackend *blk, BlkRequest *req)
{
    pthread_mutex_lock(&blk->lock);
    uring_queue_locked(blk, req);
    uring_submit_locked(blk);
    pthread_mutex_unlock(&blk->lock);
}

static void uring_attach(BlockBackend *blk, EventLoop *loop)
{
    event_loop_set_notifier(loop, &blk->ring_notifier,
                            uring_completion_handler, blk);
}

static void uring_detach(BlockBackend *blk, EventLoop *loop)
{
    event_loop_set_notifier(loop, &blk->ring_notifier, NULL, NULL);
}
#else
static bool uring_init(BlockBackend *blk)
{
    return false;
}

static void uring_cleanup(BlockBackend *blk)
{
}

static void uring_submit(BlockBackend *blk, BlkRequest *req)
{
    abort();    /* ENGINE_IO_URING is never chosen without liburing */
}

static void uring_attach(BlockBackend *blk, EventLoop *loop)
{
}

static void uring_detach(BlockBackend *blk, EventLoop *loop)
{
}
#endif

/* ---- attaching and submitting */

void blk_attach_loop(BlockBackend *blk, EventLoop *loop)
{
    assert(loop);
    assert(blk_in_flight(blk) == 0);
    if (blk->loop == loop) {
        return;
    }
    if (blk->loop && blk->engine == ENGINE_IO_URING) {
        uring_detach(blk, blk->loop);
    }
    if (blk->engine == ENGINE_NONE) {
        blk->engine = !blk->want_threads && uring_init(blk)
                      ? ENGINE_IO_URING : ENGINE_THREADS;
    }
    blk->loop = loop;
    if (blk->engine == ENGINE_IO_URING) {
        uring_attach(blk, loop);
    }
}

static void blk_submit(BlockBackend *blk, BlkRequest *req)
{
    bool nothing_to_do;

    if (!blk->loop) {
        EventLoop *loop = event_loop_current();

        if (!loop) {
            loop = main_loop();
        }
        /* A request with no loop to complete in is a caller bug. */
        assert(loop);
        blk_attach_loop(blk, loop);
    }
    pthread_mutex_lock(&blk->lock);
    blk->in_flight++;
    pthread_mutex_unlock(&blk->lock);

    if (!req->ret && op_writes(req->op) && blk->read_only) {
        req->ret = -EROFS;
    }
    /* A read-only file has nothing to write back. */
    nothing_to_do = req->op == BLK_OP_FLUSH ? blk->read_only
                                            : req->bytes == 0;
    if (req->ret || nothing_to_do) {
        /* Nothing to do, or refused: still complete asynchronously. */
        event_loop_run_later(blk->loop, req_complete_early, req);
    } else if (blk->engine == ENGINE_IO_URING) {
        uring_submit(blk, req);
    } else {
        blk_worker_submit(blk, req);
    }
}

static void blk_rw(BlockBackend *blk, BlkOp op, uint64_t offset,
                   const struct iovec *iov, int iovcnt,
                   BlockCompletion *cb, void *opaque)
{
    BlkRequest *req = req_new(blk, op, offset, 0, cb, opaque);

    req->ret = req_setup_vector(req, iov, iovcnt);
    blk_submit(blk, req);
}

void blk_preadv(BlockBackend *blk, uint64_t offset, const struct iovec *iov,
                int iovcnt, BlockCompletion *cb, void *opaque)
{
    blk_rw(blk, BLK_OP_READ, offset, iov, iovcnt, cb, opaque);
}

void blk_pwritev(BlockBackend *blk, uint64_t offset, const struct iovec *iov,
                 int iovcnt, BlockCompletion *cb, void *opaque)
{
    blk_rw(blk, BLK_OP_WRITE, offset, iov, iovcnt, cb, opaque);
}

void blk_flush(BlockBackend *blk, BlockCompletion *cb, void *opaque)
{
    blk_submit(blk, req_new(blk, BLK_OP_FLUSH, 0, 0, cb, opaque));
}

static void blk_range_op(BlockBackend *blk, BlkOp op, uint64_t offset,
                         uint64_t bytes, BlockCompletion *cb, void *opaque)
{
    BlkRequest *req = req_new(blk, op, offset, bytes, cb, opaque);

    if (!range_is_valid(offset, bytes)) {
        req->ret = -EINVAL;
    }
    blk_submit(blk, req);
}

void blk_discard(BlockBackend *blk, uint64_t offset, uint64_t bytes,
                 BlockCompletion *cb, void *opaque)
{
    blk_range_op(blk, BLK_OP_DISCARD, offset, bytes, cb, opaque);
}

void blk_write_zeroes(BlockBackend *blk, uint64_t offset, uint64_t bytes,
                      BlockCompletion *cb, void *opaque)
{
    blk_range_op(blk, BLK_OP_WRITE_ZEROES, offset, bytes, cb, opaque);
}

/* ---- draining and closing */

void blk_drain(BlockBackend *blk)
{
    EventLoop *loop = blk->loop;
    bool offline;

    if (!loop) {
        return;     /* never attached: nothing was submitted */
    }
    if (event_loop_in_own_thread(loop)) {
        /* Callbacks of ours beneath us on this stack stay in flight
         * until we return to them: do not wait for those. */
        while (blk_in_flight(blk) > blk->cb_depth) {
            event_loop_poll(loop, true);
        }
        return;
    }
    pthread_mutex_lock(&blk->lock);
    blk->drain_waiters++;
    offline = blk->in_flight && weft_rcu_thread_registered() &&
              weft_rcu_thread_online() && !weft_rcu_in_read_section();
    if (offline) {
        weft_rcu_go_offline();   /* a grace period must not wait for us */
    }
    while (blk->in_flight) {
        pthread_cond_wait(&blk->drained, &blk->lock);
    }
    blk->drain_waiters--;
    pthread_mutex_unlock(&blk->lock);
    if (offline) {
        weft_rcu_go_online();
    }
}

static void blk_free(void *opaque)
{
    BlockBackend *blk = opaque;

    uring_cleanup(blk);
    pthread_cond_destroy(&blk->drained);
    pthread_mutex_destroy(&blk->lock);
    free(blk->filename);
    free(blk);
}

void blk_close(BlockBackend *blk)
{
    EventLoop *loop;

    if (!blk) {
        return;
    }
    loop = blk->loop;
    blk_drain(blk);
    if (loop && blk->engine == ENGINE_IO_URING) {
        uring_detach(blk, loop);
    }
    /* Nothing uses the file once every request's callback has returned:
     * close it now, so that it is closed when we return (blockdev-del,
     * device unplug), even if the memory is freed later. */
    close(blk->fd);
    blk->fd = -1;
    if (loop && (!event_loop_in_own_thread(loop) || blk->cb_depth)) {
        /* The loop's thread may still be returning from our completion
         * handler or from the last callback (maybe the one that closes
         * us, beneath us on this stack): free after it. */
        event_loop_run_later(loop, blk_free, blk);
    } else {
        blk_free(blk);
    }
}
