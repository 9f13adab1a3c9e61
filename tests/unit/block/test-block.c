/* Block backend (block/block.h), run once per engine:
 *   test-block threads|io_uring
 * Random vectored reads and writes against a shadow copy, reads past the
 * end of file, flush, discard, write-zeroes, O_DIRECT with aligned and
 * unaligned buffers, more than IOV_MAX segments, drain with many requests
 * in flight, completions in an iothread, blk_close() letting go of the
 * file before it returns (from another thread, and from the backend's
 * own callback), durability of flushed writes across SIGKILL, and the
 * error paths (files and requests).
 * The binary re-executes itself for the parts that need another process
 * ("crash-child", "perm-child"). */
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <grp.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "block/block.h"
#include "system/event-loop.h"
#include "test.h"
#include "util/atomic.h"
#include "util/rcu.h"

static const char *engine;      /* "threads" or "io_uring" */
static int engine_flags;        /* BLK_ENGINE_THREADS for "threads" */
static EventLoop *loop;         /* this thread's loop */
static char tmpdir[PATH_MAX];
static const char *self_exe;

/* ---- helpers */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static uint64_t rnd_below(uint64_t n)
{
    return n ? rnd() % n : 0;
}

static void fill_random(void *buf, size_t len)
{
    unsigned char *p = buf;

    for (size_t i = 0; i < len; i++) {
        p[i] = rnd();
    }
}

static char *path_in_tmp(const char *name)
{
    static char path[PATH_MAX + 64];

    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    return path;
}

/* Creates name in tmpdir with `len` bytes of content; returns its path. */
static char *make_file(const char *name, const void *content, size_t len)
{
    char *path = path_in_tmp(name);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);

    CHECK(fd >= 0);
    CHECK(write(fd, content, len) == (ssize_t)len);
    close(fd);
    return path;
}

static void read_file(const char *path, void *buf, size_t len, off_t off)
{
    int fd = open(path, O_RDONLY);

    CHECK(fd >= 0);
    CHECK(pread(fd, buf, len, off) == (ssize_t)len);
    close(fd);
}

static BlockBackend *open_ok(const char *path, int flags)
{
    Error *err = NULL;
    BlockBackend *blk = blk_open(path, flags | engine_flags, &err);

    if (!blk) {
        fprintf(stderr, "blk_open: %s\n", error_get_pretty(err));
    }
    CHECK(blk && !err);
    blk_attach_loop(blk, loop);
    CHECK(!strcmp(blk_engine_name(blk), engine));
    return blk;
}

/* How many of our descriptors are open on path. */
static unsigned fds_on(const char *path)
{
    char want[PATH_MAX], link[PATH_MAX + 32], got[PATH_MAX];
    struct dirent *e;
    unsigned n = 0;
    DIR *dir;

    CHECK(realpath(path, want));
    dir = opendir("/proc/self/fd");
    CHECK(dir);
    while ((e = readdir(dir))) {
        ssize_t len;

        snprintf(link, sizeof(link), "/proc/self/fd/%s", e->d_name);
        len = readlink(link, got, sizeof(got) - 1);
        if (len > 0) {
            got[len] = '\0';
            n += !strcmp(got, want);
        }
    }
    closedir(dir);
    return n;
}

/* One request's outcome, filled in by its callback. */
typedef struct Wait {
    bool done;
    int ret;
    pthread_t thread;
} Wait;

static void wait_cb(void *opaque, int ret)
{
    Wait *w = opaque;

    CHECK(!w->done);
    CHECK(event_loop_current() == loop);
    w->ret = ret;
    w->thread = pthread_self();
    w->done = true;
}

static int wait_done(Wait *w)
{
    while (!w->done) {
        event_loop_poll(loop, true);
    }
    return w->ret;
}

static int wait_for(Wait *w)
{
    /* Completions are never delivered from inside the submission. */
    CHECK(!w->done);
    return wait_done(w);
}

static int sync_preadv(BlockBackend *blk, uint64_t off, struct iovec *iov,
                       int cnt)
{
    Wait w = { 0 };

    blk_preadv(blk, off, iov, cnt, wait_cb, &w);
    return wait_for(&w);
}

static int sync_pwritev(BlockBackend *blk, uint64_t off, struct iovec *iov,
                        int cnt)
{
    Wait w = { 0 };

    blk_pwritev(blk, off, iov, cnt, wait_cb, &w);
    return wait_for(&w);
}

static int sync_read(BlockBackend *blk, uint64_t off, void *buf, size_t len)
{
    struct iovec iov = { buf, len };

    return sync_preadv(blk, off, &iov, 1);
}

static int sync_write(BlockBackend *blk, uint64_t off, void *buf, size_t len)
{
    struct iovec iov = { buf, len };

    return sync_pwritev(blk, off, &iov, 1);
}

static int sync_flush(BlockBackend *blk)
{
    Wait w = { 0 };

    blk_flush(blk, wait_cb, &w);
    return wait_for(&w);
}

static int sync_discard(BlockBackend *blk, uint64_t off, uint64_t len)
{
    Wait w = { 0 };

    blk_discard(blk, off, len, wait_cb, &w);
    return wait_for(&w);
}

static int sync_write_zeroes(BlockBackend *blk, uint64_t off, uint64_t len)
{
    Wait w = { 0 };

    blk_write_zeroes(blk, off, len, wait_cb, &w);
    return wait_for(&w);
}

static bool all_zero(const void *buf, size_t len)
{
    const unsigned char *p = buf;

    for (size_t i = 0; i < len; i++) {
        if (p[i]) {
            return false;
        }
    }
    return true;
}

/* Splits buf into up to max_segs random pieces (some empty). */
static int split_iov(struct iovec *iov, int max_segs, void *buf, size_t len)
{
    int n = 1 + rnd_below(max_segs);
    char *p = buf;

    for (int i = 0; i < n; i++) {
        size_t piece = i == n - 1 ? len : rnd_below(len + 1);

        iov[i] = (struct iovec){ p, piece };
        p += piece;
        len -= piece;
    }
    return n;
}

/* ---- random I/O against a shadow copy */

#define SLOTS 16
#define SLOT_SIZE (256 * 1024)
#define FILE_SIZE (SLOTS * SLOT_SIZE)

typedef enum { OP_READ, OP_WRITE, OP_ZEROES, OP_DISCARD } TestOp;

typedef struct SlotReq {
    TestOp op;
    uint64_t off;
    size_t len;
    unsigned char *buf;
    struct iovec iov[8];
    int cnt;
    Wait w;
} SlotReq;

static void slot_submit(BlockBackend *blk, SlotReq *r, unsigned slot,
                        unsigned char *shadow)
{
    unsigned choice = rnd_below(10);

    r->off = slot * (uint64_t)SLOT_SIZE + rnd_below(SLOT_SIZE / 2);
    r->len = 1 + rnd_below(SLOT_SIZE / 2 - 1);
    r->op = choice < 4 ? OP_READ : choice < 8 ? OP_WRITE
          : choice < 9 ? OP_ZEROES : OP_DISCARD;
    r->w = (Wait){ 0 };
    switch (r->op) {
    case OP_READ:
        memset(r->buf, 0xa5, r->len);
        r->cnt = split_iov(r->iov, 8, r->buf, r->len);
        blk_preadv(blk, r->off, r->iov, r->cnt, wait_cb, &r->w);
        break;
    case OP_WRITE:
        fill_random(r->buf, r->len);
        memcpy(shadow + r->off, r->buf, r->len);
        r->cnt = split_iov(r->iov, 8, r->buf, r->len);
        blk_pwritev(blk, r->off, r->iov, r->cnt, wait_cb, &r->w);
        break;
    case OP_ZEROES:
        memset(shadow + r->off, 0, r->len);
        blk_write_zeroes(blk, r->off, r->len, wait_cb, &r->w);
        break;
    case OP_DISCARD:
        memset(shadow + r->off, 0, r->len);
        blk_discard(blk, r->off, r->len, wait_cb, &r->w);
        break;
    }
}

static void test_random_io_shadow(void)
{
    unsigned char *shadow = malloc(FILE_SIZE), *check = malloc(FILE_SIZE);
    static SlotReq req[SLOTS];
    BlockBackend *blk;
    char *path;

    fill_random(shadow, FILE_SIZE);
    path = make_file("shadow.img", shadow, FILE_SIZE);
    blk = open_ok(path, 0);
    CHECK_EQ(blk_getlength(blk), FILE_SIZE);
    CHECK_EQ(blk_get_align(blk), 1);
    for (int i = 0; i < SLOTS; i++) {
        req[i].buf = malloc(SLOT_SIZE);
    }
    /* One request per slot per round: those in flight never overlap. */
    for (int round = 0; round < 60; round++) {
        for (int i = 0; i < SLOTS; i++) {
            slot_submit(blk, &req[i], i, shadow);
        }
        CHECK(blk_in_flight(blk) > 0);
        for (int i = 0; i < SLOTS; i++) {
            CHECK_EQ(wait_done(&req[i].w), 0);
            if (req[i].op == OP_READ) {
                CHECK(!memcmp(req[i].buf, shadow + req[i].off, req[i].len));
            }
        }
    }
    CHECK_EQ(blk_in_flight(blk), 0);
    CHECK_EQ(blk_getlength(blk), FILE_SIZE);
    blk_close(blk);
    read_file(path, check, FILE_SIZE, 0);
    CHECK(!memcmp(check, shadow, FILE_SIZE));
    for (int i = 0; i < SLOTS; i++) {
        free(req[i].buf);
    }
    free(shadow);
    free(check);
}

/* ---- end of file, flush, discard, write-zeroes */

static void test_read_past_eof(void)
{
    unsigned char data[1000], buf[8192];
    BlockBackend *blk;
    struct iovec iov[2] = { { buf, 3000 }, { buf + 3000, 5192 } };

    fill_random(data, sizeof(data));
    blk = open_ok(make_file("short.img", data, sizeof(data)), 0);
    memset(buf, 0xa5, sizeof(buf));
    CHECK_EQ(sync_preadv(blk, 0, iov, 2), 0);
    CHECK(!memcmp(buf, data, sizeof(data)));
    CHECK(all_zero(buf + sizeof(data), sizeof(buf) - sizeof(data)));
    /* Wholly beyond the end. */
    memset(buf, 0xa5, sizeof(buf));
    CHECK_EQ(sync_read(blk, 1 << 20, buf, sizeof(buf)), 0);
    CHECK(all_zero(buf, sizeof(buf)));
    /* Reading does not grow the file. */
    CHECK_EQ(blk_getlength(blk), sizeof(data));
    blk_close(blk);
}

static void test_flush_discard_zeroes(void)
{
    size_t len = 1 << 20;
    unsigned char *data = malloc(len), *buf = malloc(len);
    BlockBackend *blk;
    char *path;

    fill_random(data, len);
    path = strdup(make_file("fdz.img", data, len));
    blk = open_ok(path, 0);
    /* write + flush: on disk afterwards */
    fill_random(data, 65536);
    CHECK_EQ(sync_write(blk, 4096, data, 65536), 0);
    CHECK_EQ(sync_flush(blk), 0);
    read_file(path, buf, 65536, 4096);
    CHECK(!memcmp(buf, data, 65536));

    /* discard reads as zeros, size kept, neighbours intact */
    CHECK_EQ(sync_discard(blk, 65536, 131072), 0);
    CHECK_EQ(sync_read(blk, 0, buf, len), 0);
    CHECK(all_zero(buf + 65536, 131072));
    CHECK(!memcmp(buf + 4096, data, 65536 - 4096));
    CHECK_EQ(blk_getlength(blk), len);

    /* write-zeroes over an unaligned range */
    memset(buf, 0xff, len);
    CHECK_EQ(sync_write(blk, 0, buf, len), 0);
    CHECK_EQ(sync_write_zeroes(blk, 300001, 77777), 0);
    CHECK_EQ(sync_read(blk, 0, buf, len), 0);
    CHECK(all_zero(buf + 300001, 77777));
    CHECK_EQ(buf[300000], 0xff);
    CHECK_EQ(buf[300001 + 77777], 0xff);
    /* write-zeroes past the end grows the file like a write */
    CHECK_EQ(sync_write_zeroes(blk, len, 8192), 0);
    CHECK_EQ(blk_getlength(blk), len + 8192);
    /* empty ranges are fine */
    CHECK_EQ(sync_discard(blk, 0, 0), 0);
    CHECK_EQ(sync_write(blk, 0, buf, 0), 0);
    blk_close(blk);
    free(path);
    free(data);
    free(buf);
}

/* ---- O_DIRECT */

static void test_odirect(void)
{
    size_t len = 1 << 20;
    unsigned char *data = malloc(len), *buf, *raw;
    BlockBackend *blk;
    Error *err = NULL;
    unsigned align;
    char *path;
    struct iovec iov[3];

    fill_random(data, len);
    path = strdup(make_file("direct.img", data, len));
    blk = blk_open(path, BLK_CACHE_NONE | engine_flags, &err);
    if (!blk) {
        /* tmpfs and friends: the message says why; nothing to test. */
        CHECK(strstr(error_get_pretty(err), "O_DIRECT"));
        printf("# O_DIRECT unsupported here: %s\n", error_get_pretty(err));
        error_free(err);
        free(path);
        free(data);
        return;
    }
    blk_attach_loop(blk, loop);
    align = blk_get_align(blk);
    CHECK(align >= 512 && !(align & (align - 1)));
    CHECK(posix_memalign((void **)&raw, 4096, len + 4096) == 0);

    /* aligned buffer, aligned offset */
    buf = raw;
    fill_random(buf, 65536);
    memcpy(data + 8 * align, buf, 65536);
    CHECK_EQ(sync_write(blk, 8 * align, buf, 65536), 0);
    memset(buf, 0, 65536);
    CHECK_EQ(sync_read(blk, 8 * align, buf, 65536), 0);
    CHECK(!memcmp(buf, data + 8 * align, 65536));

    /* unaligned buffer, aligned offset and length: bounced both ways */
    buf = raw + 1;
    fill_random(buf, 4 * align);
    memcpy(data + 32 * align, buf, 4 * align);
    CHECK_EQ(sync_write(blk, 32 * align, buf, 4 * align), 0);
    buf = raw + 3;
    CHECK_EQ(sync_read(blk, 32 * align, buf, 4 * align), 0);
    CHECK(!memcmp(buf, data + 32 * align, 4 * align));

    /* odd vector pieces adding up to aligned lengths */
    fill_random(raw, 2 * align);
    iov[0] = (struct iovec){ raw, 100 };
    iov[1] = (struct iovec){ raw + 100, align - 100 };
    iov[2] = (struct iovec){ raw + align, align };
    memcpy(data + 64 * align, raw, 2 * align);
    CHECK_EQ(sync_pwritev(blk, 64 * align, iov, 3), 0);

    /* unaligned offset and length on reads: bounced */
    buf = raw + 5;
    CHECK_EQ(sync_read(blk, 64 * align + 77, buf, 3 * align - 300), 0);
    CHECK(!memcmp(buf, data + 64 * align + 77, 3 * align - 300));

    /* ... refused on writes, and the file is unchanged */
    CHECK_EQ(sync_write(blk, 100 * align + 1, raw, align), -EINVAL);
    CHECK_EQ(sync_write(blk, 100 * align, raw, align + 1), -EINVAL);

    /* write-zeroes, discard, flush */
    memset(data + 128 * align, 0, 4 * align);
    CHECK_EQ(sync_write_zeroes(blk, 128 * align, 4 * align), 0);
    memset(data + 256 * align, 0, 8 * align);
    CHECK_EQ(sync_discard(blk, 256 * align, 8 * align), 0);
    CHECK_EQ(sync_flush(blk), 0);

    /* the whole file, through the backend and through the page cache */
    CHECK_EQ(sync_read(blk, 0, raw, len), 0);
    CHECK(!memcmp(raw, data, len));
    /* past the end under O_DIRECT: zeros */
    memset(raw, 0xa5, 2 * align);
    CHECK_EQ(sync_read(blk, len, raw, 2 * align), 0);
    CHECK(all_zero(raw, 2 * align));
    blk_close(blk);
    read_file(path, raw, len, 0);
    CHECK(!memcmp(raw, data, len));

    /* a file whose size is not a multiple of the block size: the read
     * stops short at an unaligned offset, the rest is zeros */
    blk = blk_open(make_file("direct-short.img", data, 1000),
                   BLK_CACHE_NONE | engine_flags, NULL);
    CHECK(blk);
    blk_attach_loop(blk, loop);
    memset(raw, 0xa5, 3 * align);
    CHECK_EQ(sync_read(blk, 0, raw, 3 * align), 0);
    CHECK(!memcmp(raw, data, 1000));
    CHECK(all_zero(raw + 1000, 3 * align - 1000));
    memset(raw, 0xa5, 3 * align);
    CHECK_EQ(sync_read(blk, 0, raw + 1, 3 * align - 7), 0);
    CHECK(!memcmp(raw + 1, data, 1000));
    CHECK(all_zero(raw + 1001, 3 * align - 1007));
    blk_close(blk);
    free(raw);
    free(path);
    free(data);
}

/* ---- more segments than IOV_MAX */

static void test_iov_max(void)
{
    enum { SEGS = IOV_MAX * 2 + 3, SEG = 3 };
    unsigned char *data = malloc(SEGS * SEG), *buf = malloc(SEGS * SEG);
    struct iovec *iov = malloc(sizeof(*iov) * SEGS);
    unsigned char zero[16384] = { 0 };
    BlockBackend *blk;

    blk = open_ok(make_file("iovmax.img", zero, sizeof(zero)), 0);
    fill_random(data, SEGS * SEG);
    for (int i = 0; i < SEGS; i++) {
        iov[i] = (struct iovec){ data + i * SEG, SEG };
    }
    CHECK_EQ(sync_pwritev(blk, 1, iov, SEGS), 0);
    for (int i = 0; i < SEGS; i++) {
        iov[i] = (struct iovec){ buf + i * SEG, SEG };
    }
    memset(buf, 0, SEGS * SEG);
    CHECK_EQ(sync_preadv(blk, 1, iov, SEGS), 0);
    CHECK(!memcmp(buf, data, SEGS * SEG));
    blk_close(blk);
    free(iov);
    free(data);
    free(buf);
}

/* ---- drain */

#define MANY 1000
#define BLOCK 4096

typedef struct DrainState {
    BlockBackend *blk;
    unsigned completed;         /* atomic: callbacks may run elsewhere */
    unsigned errors;
    bool drained_in_cb;
} DrainState;

static void count_cb(void *opaque, int ret)
{
    DrainState *s = opaque;

    if (ret) {
        atomic_fetch_inc(&s->errors);
    }
    atomic_fetch_inc(&s->completed);
}

/* A callback may drain its own backend: it must not wait for itself. */
static void drain_from_cb(void *opaque, int ret)
{
    DrainState *s = opaque;

    CHECK_EQ(ret, 0);
    blk_drain(s->blk);
    CHECK_EQ(blk_in_flight(s->blk), 1);     /* just this callback */
    s->drained_in_cb = true;
}

static void test_drain_many(void)
{
    unsigned char *data = calloc(MANY, BLOCK), *buf = malloc(BLOCK);
    static unsigned order[MANY];
    DrainState s = { 0 };

    s.blk = open_ok(make_file("drain.img", data, MANY * BLOCK), 0);
    for (unsigned i = 0; i < MANY; i++) {
        order[i] = i;
    }
    for (unsigned i = MANY - 1; i > 0; i--) {
        unsigned j = rnd_below(i + 1), t = order[i];

        order[i] = order[j];
        order[j] = t;
    }
    for (unsigned i = 0; i < MANY; i++) {
        struct iovec iov = { data + order[i] * BLOCK, BLOCK };

        memset(iov.iov_base, order[i] & 0xff, BLOCK);
        blk_pwritev(s.blk, (uint64_t)order[i] * BLOCK, &iov, 1,
                    count_cb, &s);
    }
    CHECK(blk_in_flight(s.blk) > 0);
    blk_drain(s.blk);
    CHECK_EQ(blk_in_flight(s.blk), 0);
    CHECK_EQ(s.completed, MANY);
    CHECK_EQ(s.errors, 0);
    for (unsigned i = 0; i < MANY; i += 37) {
        CHECK_EQ(sync_read(s.blk, (uint64_t)i * BLOCK, buf, BLOCK), 0);
        CHECK(!memcmp(buf, data + i * BLOCK, BLOCK));
    }

    /* drain from inside a completion callback */
    s.completed = 0;
    for (int i = 0; i < 50; i++) {
        struct iovec iov = { buf + i, 1 };     /* one byte each: no race */

        blk_preadv(s.blk, i, &iov, 1, count_cb, &s);
    }
    blk_flush(s.blk, drain_from_cb, &s);
    blk_drain(s.blk);
    CHECK(s.drained_in_cb);
    CHECK_EQ(s.completed, 50);
    blk_close(s.blk);
    free(data);
    free(buf);
}

/* ---- completions in an iothread */

typedef struct IotState {
    EventLoop *loop;
    BlockBackend *blk;
    unsigned char *buf;
    unsigned completed;         /* atomic */
    unsigned wrong_thread;      /* atomic */
    unsigned errors;            /* atomic */
    bool inner_done;            /* atomic */
} IotState;

static void iot_cb(void *opaque, int ret)
{
    IotState *s = opaque;

    if (event_loop_current() != s->loop ||
        !event_loop_in_own_thread(s->loop)) {
        atomic_fetch_inc(&s->wrong_thread);
    }
    if (ret) {
        atomic_fetch_inc(&s->errors);
    }
    atomic_fetch_inc(&s->completed);
}

/* Runs in the iothread: submits there and drains in its own loop. */
static void iot_submit_and_drain(void *opaque)
{
    IotState *s = opaque;

    for (int i = 0; i < 200; i++) {
        struct iovec iov = { s->buf + i * 512, 512 };

        blk_preadv(s->blk, i * 512, &iov, 1, iot_cb, s);
    }
    blk_drain(s->blk);
    CHECK_EQ(blk_in_flight(s->blk), 0);
    atomic_store_release(&s->inner_done, true);
}

static void test_iothread_completions(void)
{
    IOThread *iot = iothread_create("blk-io0", NULL);
    static unsigned char data[200 * 512];
    IotState s = { 0 };
    char img[PATH_MAX + 64];

    CHECK(iot);
    s.loop = iothread_get_loop(iot);
    s.buf = malloc(sizeof(data));
    fill_random(data, sizeof(data));
    memset(s.buf, 0, sizeof(data));
    snprintf(img, sizeof(img), "%s", make_file("iot.img", s.buf,
                                               sizeof(data)));
    s.blk = blk_open(img, engine_flags, NULL);
    CHECK(s.blk);
    /* first served here, then moved to the iothread */
    blk_attach_loop(s.blk, loop);
    CHECK_EQ(sync_write(s.blk, 0, data, 512), 0);
    blk_attach_loop(s.blk, s.loop);
    CHECK(blk_get_loop(s.blk) == s.loop);
    CHECK(!strcmp(blk_engine_name(s.blk), engine));

    /* submitted here, completed there; drained from here */
    for (int i = 0; i < 200; i++) {
        struct iovec iov = { data + i * 512, 512 };

        blk_pwritev(s.blk, i * 512, &iov, 1, iot_cb, &s);
    }
    blk_drain(s.blk);
    CHECK_EQ(atomic_read(&s.completed), 200);
    CHECK_EQ(blk_in_flight(s.blk), 0);

    /* submitted and drained inside the iothread */
    event_loop_run_later(s.loop, iot_submit_and_drain, &s);
    while (!atomic_load_acquire(&s.inner_done)) {
        weft_rcu_go_offline();
        usleep(1000);
        weft_rcu_go_online();
    }
    CHECK_EQ(atomic_read(&s.completed), 400);
    CHECK_EQ(atomic_read(&s.wrong_thread), 0);
    CHECK_EQ(atomic_read(&s.errors), 0);
    CHECK(!memcmp(s.buf, data, sizeof(data)));
    /* closed from here: the file at once (blockdev-del relies on it),
     * the memory later in the iothread */
    CHECK_EQ(fds_on(img), 1);
    blk_close(s.blk);
    CHECK_EQ(fds_on(img), 0);
    iothread_destroy(iot);
    free(s.buf);
}

static BlockBackend *closing_blk;

/* A completion callback that closes its own backend (a device unplug
 * that ends inside the last completion, in the backend's loop). */
static void close_own_backend(void *opaque, int ret)
{
    wait_cb(opaque, ret);
    blk_close(closing_blk);     /* we are beneath its completion */
}

static void test_close_from_callback(void)
{
    static unsigned char buf[4096];
    struct iovec iov = { buf, sizeof(buf) };
    char *img = make_file("close-cb.img", buf, sizeof(buf));
    Wait w = { 0 };

    closing_blk = open_ok(img, 0);
    CHECK_EQ(fds_on(img), 1);
    blk_preadv(closing_blk, 0, &iov, 1, close_own_backend, &w);
    CHECK_EQ(wait_done(&w), 0);
    CHECK_EQ(fds_on(img), 0);
    /* The memory goes in a later iteration of the loop (ASan checks
     * that nothing touched it after the callback returned). */
    while (event_loop_poll(loop, false)) {
    }
    closing_blk = NULL;
}

/* ---- durability across SIGKILL */

#define CRASH_SIZE (4 << 20)
#define CRASH_SEED 0x1234567ull

static void crash_pattern(unsigned char *buf)
{
    rng_state = CRASH_SEED;
    fill_random(buf, CRASH_SIZE);
}

/* Child: writes the pattern, flushes, says so, then waits to be killed. */
static int crash_child(const char *path)
{
    unsigned char *data = malloc(CRASH_SIZE);
    DrainState s = { 0 };
    Wait w = { 0 };

    crash_pattern(data);
    s.blk = open_ok(path, 0);
    for (int i = 0; i < CRASH_SIZE / 65536; i++) {
        struct iovec iov = { data + i * 65536, 65536 };

        blk_pwritev(s.blk, i * 65536, &iov, 1, count_cb, &s);
    }
    while (atomic_read(&s.completed) < CRASH_SIZE / 65536) {
        event_loop_poll(loop, true);
    }
    CHECK_EQ(s.errors, 0);
    blk_flush(s.blk, wait_cb, &w);
    CHECK_EQ(wait_done(&w), 0);
    printf("flushed\n");
    fflush(stdout);
    for (;;) {
        pause();
    }
}

static pid_t spawn_self(const char *mode, const char *arg, int *out_fd)
{
    int fds[2];
    pid_t pid;

    CHECK(pipe(fds) == 0);
    pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        execl(self_exe, self_exe, engine, mode, arg, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    *out_fd = fds[0];
    return pid;
}

static void test_crash_durability(void)
{
    unsigned char *data = malloc(CRASH_SIZE), *buf = malloc(CRASH_SIZE);
    char *path = strdup(make_file("crash.img", "", 0));
    char line[32] = "";
    int status, fd;
    pid_t pid;

    pid = spawn_self("crash-child", path, &fd);
    CHECK(read(fd, line, sizeof(line) - 1) > 0);
    CHECK(!strcmp(line, "flushed\n"));
    CHECK(kill(pid, SIGKILL) == 0);
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    close(fd);
    crash_pattern(data);
    read_file(path, buf, CRASH_SIZE, 0);
    CHECK(!memcmp(buf, data, CRASH_SIZE));
    free(path);
    free(data);
    free(buf);
}

/* ---- error paths */

static void expect_open_error(const char *path, int flags, const char *what)
{
    Error *err = NULL;
    const char *msg;

    CHECK(blk_open(path, flags | engine_flags, &err) == NULL);
    CHECK(err);
    msg = error_get_pretty(err);
    if (!strstr(msg, what) || strchr(msg, '\n') ||
        (path && *path && !strstr(msg, path))) {
        fprintf(stderr, "unexpected message for %s: %s\n", path, msg);
        CHECK(0);
    }
    error_free(err);
}

/* Child, as an unprivileged user: permission errors.  Exits 77 when it
 * cannot drop root. */
static int perm_child(const char *dir)
{
    char noread[PATH_MAX + 16], ro[PATH_MAX + 16];
    BlockBackend *blk;

    if (geteuid() == 0 && (setgroups(0, NULL) < 0 || setgid(65534) < 0 ||
                           setuid(65534) < 0)) {
        return 77;
    }
    snprintf(noread, sizeof(noread), "%s/noread.img", dir);
    snprintf(ro, sizeof(ro), "%s/ro.img", dir);
    expect_open_error(noread, BLK_RDONLY, "Permission denied");
    expect_open_error(ro, 0, "read-write");
    blk = blk_open(ro, BLK_RDONLY | engine_flags, NULL);
    CHECK(blk && blk_is_read_only(blk));
    blk_close(blk);
    return 0;
}

static void test_open_errors(void)
{
    char *fifo = strdup(path_in_tmp("fifo"));
    char *noread, *ro;
    int status, fd;
    pid_t pid;

    expect_open_error(NULL, 0, "no image file name");
    expect_open_error("", 0, "no image file name");
    expect_open_error(path_in_tmp("missing.img"), 0,
                      "No such file or directory");
    expect_open_error(tmpdir, 0, "directory");
    expect_open_error(tmpdir, BLK_RDONLY, "directory");
    CHECK(mkfifo(fifo, 0600) == 0);
    expect_open_error(fifo, BLK_RDONLY, "not a regular file");
    expect_open_error("/dev/null", 0, "not a regular file");

    /* permissions: checked in a child running as nobody */
    noread = strdup(make_file("noread.img", "x", 1));
    ro = strdup(make_file("ro.img", "x", 1));
    CHECK(chmod(noread, 0) == 0 && chmod(ro, 0444) == 0);
    CHECK(chmod(tmpdir, 0755) == 0);
    pid = spawn_self("perm-child", tmpdir, &fd);
    CHECK(waitpid(pid, &status, 0) == pid);
    close(fd);
    CHECK(WIFEXITED(status));
    if (WEXITSTATUS(status) == 77) {
        printf("# cannot drop root: permission errors not checked\n");
    } else {
        CHECK_EQ(WEXITSTATUS(status), 0);
    }
    CHECK(chmod(tmpdir, 0700) == 0);
    free(noread);
    free(ro);
    free(fifo);
}

static void test_request_errors(void)
{
    unsigned char buf[4096] = { 0 };
    struct iovec huge[2] = { { buf, SIZE_MAX }, { buf, 2 } };
    struct iovec iov = { buf, sizeof(buf) };
    BlockBackend *blk, *ro;
    char *path = strdup(make_file("err.img", buf, sizeof(buf)));
    Wait w = { 0 };

    blk = open_ok(path, 0);
    blk_preadv(blk, 0, &iov, -1, wait_cb, &w);
    CHECK_EQ(wait_for(&w), -EINVAL);
    CHECK_EQ(sync_read(blk, UINT64_MAX - 10, buf, 100), -EINVAL);
    CHECK_EQ(sync_write(blk, (uint64_t)INT64_MAX, buf, 1), -EINVAL);
    CHECK_EQ(sync_preadv(blk, 0, huge, 2), -EINVAL);
    CHECK_EQ(sync_discard(blk, UINT64_MAX - 10, 100), -EINVAL);
    CHECK_EQ(sync_write_zeroes(blk, 0, UINT64_MAX), -EINVAL);
    CHECK_EQ(blk_in_flight(blk), 0);
    blk_close(blk);

    ro = open_ok(path, BLK_RDONLY);
    CHECK(blk_is_read_only(ro));
    CHECK_EQ(sync_write(ro, 0, buf, 512), -EROFS);
    CHECK_EQ(sync_discard(ro, 0, 512), -EROFS);
    CHECK_EQ(sync_write_zeroes(ro, 0, 512), -EROFS);
    CHECK_EQ(sync_flush(ro), 0);
    CHECK_EQ(sync_read(ro, 0, buf, 512), 0);
    blk_close(ro);
    free(path);
}

/* WEFT_BLK_ENGINE=threads forces the worker pool. */
static void test_engine_choice(void)
{
    char *path = make_file("engine.img", "", 0);
    BlockBackend *blk;

    setenv("WEFT_BLK_ENGINE", "threads", 1);
    blk = blk_open(path, 0, NULL);
    CHECK(blk);
    CHECK(!strcmp(blk_engine_name(blk), "none"));
    blk_attach_loop(blk, loop);
    CHECK(!strcmp(blk_engine_name(blk), "threads"));
    blk_close(blk);
    unsetenv("WEFT_BLK_ENGINE");
}

/* io_uring refused at run time (as under a seccomp policy): the backend
 * falls back to the worker pool.  The filter is installed in a helper
 * thread only, which is where blk_attach_loop() sets the ring up. */
static void *attach_without_io_uring(void *opaque)
{
    struct sock_filter insns[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = { ARRAY_SIZE(insns), insns };

    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
        prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0) {
        return NULL;
    }
    blk_attach_loop(opaque, loop);
    return opaque;
}

static void test_io_uring_refused_at_run_time(void)
{
    unsigned char data[4096], buf[4096];
    BlockBackend *blk = blk_open(make_file("seccomp.img", "", 0), 0, NULL);
    pthread_t thread;
    void *attached;

    CHECK(blk);
    CHECK(pthread_create(&thread, NULL, attach_without_io_uring, blk) == 0);
    CHECK(pthread_join(thread, &attached) == 0);
    if (!attached) {
        printf("# seccomp unavailable: run-time fallback not checked\n");
        blk_close(blk);
        return;
    }
    CHECK(!strcmp(blk_engine_name(blk), "threads"));
    fill_random(data, sizeof(data));
    CHECK_EQ(sync_write(blk, 512, data, sizeof(data)), 0);
    CHECK_EQ(sync_read(blk, 512, buf, sizeof(buf)), 0);
    CHECK(!memcmp(buf, data, sizeof(data)));
    blk_close(blk);
}

/* ---- main */

static int remove_entry(const char *path, const struct stat *st, int type,
                        struct FTW *ftw)
{
    return remove(path);
}

static pid_t tmpdir_owner;

/* Also after a failed CHECK (exit(1)): leave no image files behind. */
static void remove_tmpdir(void)
{
    if (tmpdir[0] && getpid() == tmpdir_owner) {
        nftw(tmpdir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    }
}

static void engine_available_or_skip(void)
{
    BlockBackend *blk;

    if (engine_flags) {
        return;
    }
    blk = blk_open(make_file("probe.img", "", 0), 0, NULL);
    CHECK(blk);
    blk_attach_loop(blk, loop);
    if (strcmp(blk_engine_name(blk), "io_uring")) {
        blk_close(blk);
        test_skip("io_uring unavailable (built without liburing, or the "
                  "kernel refuses io_uring_setup)");
    }
    blk_close(blk);
}

int main(int argc, char **argv)
{
    const char *base = getenv("TMPDIR");

    if (argc < 2 || (strcmp(argv[1], "threads") &&
                     strcmp(argv[1], "io_uring"))) {
        fprintf(stderr, "usage: %s threads|io_uring\n", argv[0]);
        return 1;
    }
    engine = argv[1];
    engine_flags = !strcmp(engine, "threads") ? BLK_ENGINE_THREADS : 0;
    self_exe = "/proc/self/exe";
    unsetenv("WEFT_BLK_ENGINE");
    alarm(120);         /* a lost completion hangs: fail instead */
    weft_rcu_register_thread();
    loop = event_loop_new("test-block", NULL);
    CHECK(loop);
    if (argc >= 4 && !strcmp(argv[2], "crash-child")) {
        return crash_child(argv[3]);
    }
    if (argc >= 4 && !strcmp(argv[2], "perm-child")) {
        return perm_child(argv[3]);
    }
    snprintf(tmpdir, sizeof(tmpdir), "%s/weft-block-XXXXXX",
             base && *base ? base : "/tmp");
    CHECK(mkdtemp(tmpdir));
    tmpdir_owner = getpid();
    atexit(remove_tmpdir);
    engine_available_or_skip();
    printf("# engine %s, files in %s\n", engine, tmpdir);

    RUN(test_random_io_shadow);
    RUN(test_read_past_eof);
    RUN(test_flush_discard_zeroes);
    RUN(test_odirect);
    RUN(test_iov_max);
    RUN(test_drain_many);
    RUN(test_iothread_completions);
    RUN(test_close_from_callback);
    RUN(test_crash_durability);
    RUN(test_open_errors);
    RUN(test_request_errors);
    if (engine_flags) {
        RUN(test_engine_choice);
    } else {
        RUN(test_io_uring_refused_at_run_time);
    }

    event_loop_free(loop);
    thread_pool_shutdown();
    weft_rcu_unregister_thread();
    return 0;
}
