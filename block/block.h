/* Host block backends: asynchronous I/O on a raw image file (or a host
 * block device), for virtio-blk and friends.
 *
 * A BlockBackend is opened from the main thread, attached to one event
 * loop (the main loop or an iothread's), and then takes requests from any
 * thread.  Every request completes by calling cb(opaque, ret) in the
 * attached loop's thread, never from inside the submitting call; ret is 0
 * on success or a negative errno.  Engines: io_uring (one ring per
 * backend, its eventfd served by the attached loop) and the worker pool
 * (system/event-loop.h), used when liburing was absent at build time,
 * when the ring cannot be set up at run time (old kernel, seccomp), or
 * when asked for with BLK_ENGINE_THREADS or WEFT_BLK_ENGINE=threads.
 *
 * Semantics shared by both engines:
 *  - reads past the end of the file return zeros up to the request end;
 *    short reads and writes are resubmitted until done;
 *  - writes, discard and write-zeroes on a read-only backend fail with
 *    -EROFS; flush on it succeeds;
 *  - BLK_CACHE_NONE opens with O_DIRECT.  Buffers or offsets not aligned
 *    to blk_get_align() are bounced through an aligned buffer; a write
 *    whose offset or length is unaligned fails with -EINVAL (a device
 *    advertises blk_get_align() as its logical block size);
 *  - every request is counted in flight from submission until its
 *    callback has returned; blk_drain() waits for them.
 */
#ifndef BLOCK_BLOCK_H
#define BLOCK_BLOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "system/event-loop.h"
#include "util/error.h"

typedef struct BlockBackend BlockBackend;
typedef void BlockCompletion(void *opaque, int ret);

enum {
    BLK_RDONLY          = 1 << 0,  /* open read-only */
    BLK_CACHE_WRITEBACK = 0,       /* host page cache (the default) */
    BLK_CACHE_NONE      = 1 << 1,  /* O_DIRECT: bypass the page cache */
    BLK_ENGINE_THREADS  = 1 << 2,  /* never use io_uring */
};

/* Opens a raw image.  Fails with a one-line message on a missing,
 * unreadable or non-regular file (directories, FIFOs, character
 * devices), on a read-only file opened read-write, and when the file
 * system refuses O_DIRECT.  The backend is attached to no loop yet. */
BlockBackend *blk_open(const char *filename, int flags, Error **errp);

/* Completions run in `loop` from now on; picks the engine (the io_uring
 * ring is created here).  Call before the first request, or later with
 * nothing in flight (blk_drain() first), from any thread. */
void blk_attach_loop(BlockBackend *blk, EventLoop *loop);
EventLoop *blk_get_loop(BlockBackend *blk);

/* Requests: callable from any thread once a loop is attached.  The
 * iovec array is copied; the buffers it points to must stay valid until
 * cb runs. */
void blk_preadv(BlockBackend *blk, uint64_t offset, const struct iovec *iov,
                int iovcnt, BlockCompletion *cb, void *opaque);
void blk_pwritev(BlockBackend *blk, uint64_t offset, const struct iovec *iov,
                 int iovcnt, BlockCompletion *cb, void *opaque);
/* fdatasync: every write completed before the flush was submitted is on
 * stable storage when cb runs with 0. */
void blk_flush(BlockBackend *blk, BlockCompletion *cb, void *opaque);
/* Deallocates the range (reads return zeros afterwards); -ENOTSUP when
 * the file system cannot punch holes. */
void blk_discard(BlockBackend *blk, uint64_t offset, uint64_t bytes,
                 BlockCompletion *cb, void *opaque);
/* Makes the range read as zeros: fallocate(ZERO_RANGE), or writes zeros
 * where that is not supported. */
void blk_write_zeroes(BlockBackend *blk, uint64_t offset, uint64_t bytes,
                      BlockCompletion *cb, void *opaque);

/* The size of the file now (0 if it cannot be read). */
uint64_t blk_getlength(BlockBackend *blk);
bool blk_is_read_only(BlockBackend *blk);
/* Alignment of offsets, lengths and buffers: 1 with the page cache, the
 * O_DIRECT requirement (512 or more) with BLK_CACHE_NONE. */
unsigned blk_get_align(BlockBackend *blk);
/* "io_uring" or "threads"; "none" before blk_attach_loop(). */
const char *blk_engine_name(BlockBackend *blk);
/* Requests whose callback has not returned yet (stats and tests). */
unsigned blk_in_flight(BlockBackend *blk);

/* Waits until every request submitted before the call has completed
 * (its callback returned).  From the attached loop's thread it polls the
 * loop; from a completion callback of this backend it does not wait for
 * the callbacks running beneath it.  From another thread it sleeps
 * (RCU-offline) until the loop's thread has completed them: that thread
 * must be polling the loop, and the caller must not hold a lock the
 * callbacks take (the BQL, if they take it). */
void blk_drain(BlockBackend *blk);
/* Drains, detaches from the loop and closes the file: the file is
 * closed when the call returns.  From a thread other than the loop's,
 * the memory is freed later in the loop. */
void blk_close(BlockBackend *blk);

#endif
