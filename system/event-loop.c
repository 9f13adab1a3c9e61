/* Per-thread event loops on epoll: fd and notifier handlers, bottom halves
 * and timers.  system/event-loop.h states the rules callers follow; this
 * file explains how the loop keeps them.
 *
 * One iteration (event_loop_poll):
 *   1. decide the epoll timeout: 0 if a BH is queued or a timer is due,
 *      else block, with the timerfd armed at the earliest deadline;
 *   2. epoll_wait, offline as an RCU reader if it may block;
 *   3. run ready fd and notifier handlers, then queued BHs, then due
 *      timers;
 *   4. report an RCU quiescent state.
 *
 * Cross-thread safety:
 *   - fd handlers and timers live in tables guarded by loop->lock.  The
 *     loop copies a handler out under the lock and calls it after
 *     releasing it, so handlers may add or remove anything, themselves
 *     included.  An epoll event names its fd together with a generation,
 *     so an event collected before its handler was removed (or replaced
 *     by a new registration of the same fd) is dropped, not delivered.
 *   - BHs are scheduled without any lock (signal handlers schedule them):
 *     an atomic flag word says whether the BH is queued and whether it
 *     should run, and queued BHs sit on a lock-free LIFO that only the
 *     loop takes apart.
 *   - Waking the loop writes an eventfd, at most once until the loop has
 *     consumed it (loop->wake_pending).
 */
#include <assert.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "system/event-loop-internal.h"
#include "util/atomic.h"
#include "util/compiler.h"
#include "util/rcu.h"

#define MAX_EVENTS 64
#define NO_DEADLINE INT64_MAX

/* One watched fd.  Slots of loop->fds are indexed by fd; gen == 0 marks a
 * free slot.  epoll_event.data carries gen << 32 | fd, and gen 0 there
 * marks the loop's own fds (wake eventfd, timerfd). */
typedef struct FdHandler {
    IOHandler *read;           /* for a notifier: the notifier handler */
    IOHandler *write;
    void *opaque;
    EventNotifier *notifier;   /* non-NULL: a notifier, not a plain fd */
    uint32_t gen;
} FdHandler;

struct Timer {
    EventLoop *loop;
    IOHandler *cb;
    void *opaque;
    /* The rest is protected by loop->lock. */
    bool pending;
    int64_t expire_ns;
    uint64_t seq;              /* loop->timer_seq when last armed */
    Timer *next, **pprev;      /* on loop->timers, by expire_ns */
};

enum {
    BH_QUEUED  = 1u << 0,  /* on loop->bh_queue; only the loop unlinks it */
    BH_PENDING = 1u << 1,  /* should run when the loop reaches it */
    BH_DELETED = 1u << 2,  /* bh_delete() ran; whoever unlinks it frees it */
    BH_ONESHOT = 1u << 3,  /* event_loop_run_later(): freed after running */
};

struct BH {
    EventLoop *loop;
    IOHandler *cb;
    void *opaque;
    unsigned flags;            /* atomic, BH_* */
    /* Link on loop->bh_queue.  Written by the thread that set BH_QUEUED,
     * read by the loop after it took the queue; nobody else touches it
     * while BH_QUEUED is set. */
    BH *queue_next;
};

struct EventLoop {
    char *name;
    int epfd;
    int timerfd;               /* CLOCK_MONOTONIC, absolute deadlines */
    EventNotifier wake;        /* written by event_loop_notify() */

    /* Atomics, no lock: */
    unsigned wake_pending;     /* wake written and not yet consumed */
    unsigned stop;             /* event_loop_stop() called */
    pthread_t owner;           /* thread that polls (or created) it */
    int depth;                 /* nesting of event_loop_poll() */
    unsigned inflight;         /* see event_loop_inflight_inc() */
    unsigned nr_bhs;           /* bh_new() minus bh_delete() */
    BH *bh_queue;              /* LIFO of scheduled BHs */

    /* lock protects the fd table, the timer list and the timerfd state
     * below.  It is a leaf lock: nothing else is taken while holding it,
     * nothing blocks under it, and no handler runs under it. */
    pthread_mutex_t lock;
    FdHandler *fds;
    int nr_fds;                /* number of slots in fds */
    uint32_t fd_gen;           /* last generation handed out */
    Timer *timers;             /* sorted by expire_ns, FIFO among equals */
    uint64_t timer_seq;        /* counts timer_mod_ns() calls */
    int64_t armed_ns;          /* deadline in timerfd, or NO_DEADLINE */
};

/* The loop this thread is attached to or is polling right now. */
static __thread EventLoop *current_loop;

static void *zalloc(size_t size)
{
    void *p = calloc(1, size);

    if (!p) {
        abort();
    }
    return p;
}

int64_t clock_monotonic_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ---- loops */

static bool watch_internal_fd(EventLoop *loop, int fd, Error **errp)
{
    struct epoll_event ev = { .events = EPOLLIN, .data.u64 = (uint32_t)fd };

    if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        error_setg_errno(errp, errno, "event loop %s: epoll_ctl", loop->name);
        return false;
    }
    return true;
}

static bool event_loop_open_fds(EventLoop *loop, Error **errp)
{
    loop->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (loop->epfd < 0) {
        error_setg_errno(errp, errno, "event loop %s: epoll_create1",
                         loop->name);
        return false;
    }
    loop->timerfd = timerfd_create(CLOCK_MONOTONIC,
                                   TFD_NONBLOCK | TFD_CLOEXEC);
    if (loop->timerfd < 0) {
        error_setg_errno(errp, errno, "event loop %s: timerfd_create",
                         loop->name);
        return false;
    }
    return event_notifier_init(&loop->wake, false, errp) &&
           watch_internal_fd(loop, loop->wake.fd, errp) &&
           watch_internal_fd(loop, loop->timerfd, errp);
}

static void event_loop_close_fds(EventLoop *loop)
{
    event_notifier_cleanup(&loop->wake);
    if (loop->timerfd >= 0) {
        close(loop->timerfd);
    }
    if (loop->epfd >= 0) {
        close(loop->epfd);
    }
}

EventLoop *event_loop_new(const char *name, Error **errp)
{
    EventLoop *loop = zalloc(sizeof(*loop));

    loop->name = strdup(name ? name : "event-loop");
    if (!loop->name) {
        abort();
    }
    loop->epfd = loop->timerfd = loop->wake.fd = -1;
    loop->armed_ns = NO_DEADLINE;
    loop->owner = pthread_self();
    pthread_mutex_init(&loop->lock, NULL);
    if (!event_loop_open_fds(loop, errp)) {
        event_loop_close_fds(loop);
        pthread_mutex_destroy(&loop->lock);
        free(loop->name);
        free(loop);
        return NULL;
    }
    return loop;
}

static void bh_free(BH *bh)
{
    free(bh);
}

/* Drops the queued BHs without running them (event_loop_free). */
static void drop_queued_bhs(EventLoop *loop)
{
    BH *bh = atomic_xchg(&loop->bh_queue, NULL);

    while (bh) {
        BH *next = bh->queue_next;
        unsigned old = atomic_fetch_and(&bh->flags,
                                        ~(BH_QUEUED | BH_PENDING));

        if (old & (BH_DELETED | BH_ONESHOT)) {
            bh_free(bh);
        }
        bh = next;
    }
}

void event_loop_free(EventLoop *loop)
{
    if (!loop) {
        return;
    }
    assert(atomic_read(&loop->depth) == 0);
    assert(atomic_read(&loop->inflight) == 0);
    assert(!loop->timers);
    drop_queued_bhs(loop);
    /* A BH that outlived its loop would point at freed memory. */
    assert(atomic_read(&loop->nr_bhs) == 0);
    if (current_loop == loop) {
        current_loop = NULL;
    }
    event_loop_close_fds(loop);
    pthread_mutex_destroy(&loop->lock);
    free(loop->fds);
    free(loop->name);
    free(loop);
}

const char *event_loop_name(const EventLoop *loop)
{
    return loop->name;
}

EventLoop *event_loop_current(void)
{
    return current_loop;
}

bool event_loop_in_own_thread(const EventLoop *loop)
{
    return pthread_equal(__atomic_load_n(&loop->owner, __ATOMIC_RELAXED),
                         pthread_self());
}

void event_loop_attach_thread(EventLoop *loop)
{
    __atomic_store_n(&loop->owner, pthread_self(), __ATOMIC_RELAXED);
    current_loop = loop;
}

void event_loop_detach_thread(EventLoop *loop)
{
    if (current_loop == loop) {
        current_loop = NULL;
    }
}

void event_loop_inflight_inc(EventLoop *loop)
{
    atomic_fetch_inc(&loop->inflight);
}

void event_loop_inflight_dec(EventLoop *loop)
{
    unsigned old = atomic_fetch_dec(&loop->inflight);

    assert(old > 0);
    (void)old;
}

unsigned event_loop_inflight(EventLoop *loop)
{
    return atomic_load_acquire(&loop->inflight);
}

/* Signal-safe: one atomic exchange and at most one write(2).  The loop
 * reads the eventfd *before* clearing wake_pending (consume_wake), so a
 * caller that finds wake_pending set knows a write is still unconsumed
 * or that the loop will look at its queues after clearing the flag. */
void event_loop_notify(EventLoop *loop)
{
    if (!atomic_xchg(&loop->wake_pending, 1)) {
        int saved_errno = errno;   /* a signal handler must not change it */

        event_notifier_set(&loop->wake);
        errno = saved_errno;
    }
}

static void consume_wake(EventLoop *loop)
{
    event_notifier_test_and_clear(&loop->wake);
    atomic_xchg(&loop->wake_pending, 0);
}

void event_loop_stop(EventLoop *loop)
{
    atomic_xchg(&loop->stop, 1);
    event_loop_notify(loop);
}

void event_loop_run(EventLoop *loop)
{
    /* Consuming the request on exit lets a stop that came before the
     * loop started still stop it, and lets the loop be run again. */
    while (!atomic_xchg(&loop->stop, 0)) {
        event_loop_poll(loop, true);
    }
}

#define FLUSH_MAX_ROUNDS 1000

void event_loop_flush(EventLoop *loop)
{
    int rounds = 0;

    do {
        while (event_loop_inflight(loop)) {
            event_loop_poll(loop, true);
        }
    } while (event_loop_poll(loop, false) && ++rounds < FLUSH_MAX_ROUNDS);
}

/* ---- fd and notifier handlers */

static void fatal_errno(EventLoop *loop, const char *what, int fd)
{
    error_report("event loop %s: %s fd %d: %s", loop->name, what, fd,
                 strerror(errno));
    abort();
}

/* Returns fd's slot, growing the table; loop->lock held. */
static FdHandler *fd_slot_locked(EventLoop *loop, int fd)
{
    if (fd >= loop->nr_fds) {
        int n = MAX(fd + 1, MAX(loop->nr_fds * 2, 16));
        FdHandler *fds = realloc(loop->fds, n * sizeof(*fds));

        if (!fds) {
            abort();
        }
        memset(fds + loop->nr_fds, 0, (n - loop->nr_fds) * sizeof(*fds));
        loop->fds = fds;
        loop->nr_fds = n;
    }
    return &loop->fds[fd];
}

static void remove_handler_locked(EventLoop *loop, int fd)
{
    if (fd < loop->nr_fds && loop->fds[fd].gen) {
        /* Fails with EBADF if the owner closed the fd first; epoll has
         * then forgotten it already. */
        epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
        memset(&loop->fds[fd], 0, sizeof(loop->fds[fd]));
    }
}

static uint64_t fd_key(uint32_t gen, int fd)
{
    return (uint64_t)gen << 32 | (uint32_t)fd;
}

/* Makes epoll watch fd for events under h's registration: the same
 * generation if h is registered already, a new one otherwise. */
static void epoll_watch_locked(EventLoop *loop, FdHandler *h, int fd,
                               uint32_t events)
{
    struct epoll_event ev = { .events = events };

    if (h->gen) {
        ev.data.u64 = fd_key(h->gen, fd);
        if (epoll_ctl(loop->epfd, EPOLL_CTL_MOD, fd, &ev) == 0) {
            return;
        }
        /* ENOENT: the fd was closed without removing its handler, so
         * epoll forgot it, and this is a new file under the same number:
         * register it afresh. */
        if (errno != ENOENT) {
            fatal_errno(loop, "cannot watch", fd);
        }
    }
    do {
        h->gen = ++loop->fd_gen;
    } while (!h->gen);
    ev.data.u64 = fd_key(h->gen, fd);
    if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        fatal_errno(loop, "cannot watch", fd);
    }
}

static void add_handler_locked(EventLoop *loop, int fd, IOHandler *read,
                               IOHandler *write, void *opaque,
                               EventNotifier *notifier)
{
    FdHandler *h = fd_slot_locked(loop, fd);

    epoll_watch_locked(loop, h, fd,
                       (read ? EPOLLIN : 0) | (write ? EPOLLOUT : 0));
    h->read = read;
    h->write = write;
    h->opaque = opaque;
    h->notifier = notifier;
}

static void set_handler(EventLoop *loop, int fd, IOHandler *read,
                        IOHandler *write, void *opaque,
                        EventNotifier *notifier)
{
    assert(fd >= 0);
    pthread_mutex_lock(&loop->lock);
    if (read || write) {
        add_handler_locked(loop, fd, read, write, opaque, notifier);
    } else {
        remove_handler_locked(loop, fd);
    }
    pthread_mutex_unlock(&loop->lock);
}

void event_loop_set_fd_handler(EventLoop *loop, int fd, IOHandler *read,
                               IOHandler *write, void *opaque)
{
    set_handler(loop, fd, read, write, opaque, NULL);
}

void event_loop_set_notifier(EventLoop *loop, EventNotifier *en,
                             IOHandler *handler, void *opaque)
{
    set_handler(loop, en->fd, handler, NULL, opaque, handler ? en : NULL);
}

/* Runs the read (or write) handler registered as fd/gen, if it is still
 * the current registration.  A notifier is cleared under the lock: once
 * its removal returns, the loop never touches it again, so its owner may
 * close it at once. */
static bool dispatch_handler(EventLoop *loop, int fd, uint32_t gen,
                             bool is_read)
{
    IOHandler *cb = NULL;
    void *opaque = NULL;

    pthread_mutex_lock(&loop->lock);
    if (fd < loop->nr_fds && loop->fds[fd].gen == gen) {
        FdHandler *h = &loop->fds[fd];

        if (!h->notifier) {
            cb = is_read ? h->read : h->write;
        } else if (is_read && event_notifier_test_and_clear(h->notifier)) {
            cb = h->read;
        }
        opaque = h->opaque;
    }
    pthread_mutex_unlock(&loop->lock);
    if (!cb) {
        return false;
    }
    cb(opaque);
    return true;
}

static void consume_timerfd(EventLoop *loop)
{
    uint64_t expirations;

    pthread_mutex_lock(&loop->lock);
    if (read(loop->timerfd, &expirations, sizeof(expirations)) > 0) {
        loop->armed_ns = NO_DEADLINE;   /* a fired timerfd is disarmed */
    }
    pthread_mutex_unlock(&loop->lock);
}

static bool dispatch_event(EventLoop *loop, const struct epoll_event *ev)
{
    int fd = (int)(uint32_t)ev->data.u64;
    uint32_t gen = ev->data.u64 >> 32;
    bool progress = false;

    if (!gen) {
        if (fd == loop->wake.fd) {
            consume_wake(loop);
        } else {
            consume_timerfd(loop);
        }
        return false;
    }
    /* Errors and hang-ups go to whichever handlers exist, which then see
     * the condition in read(2)/write(2). */
    if (ev->events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        progress |= dispatch_handler(loop, fd, gen, true);
    }
    if (ev->events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) {
        progress |= dispatch_handler(loop, fd, gen, false);
    }
    return progress;
}

/* ---- bottom halves */

BH *bh_new(EventLoop *loop, IOHandler *cb, void *opaque)
{
    BH *bh = zalloc(sizeof(*bh));

    bh->loop = loop;
    bh->cb = cb;
    bh->opaque = opaque;
    atomic_fetch_inc(&loop->nr_bhs);
    return bh;
}

/* Lock-free push; the sequentially consistent CAS orders the push before
 * the wake_pending exchange in event_loop_notify(). */
static void bh_queue_push(EventLoop *loop, BH *bh)
{
    BH *head = __atomic_load_n(&loop->bh_queue, __ATOMIC_RELAXED);

    do {
        bh->queue_next = head;
    } while (!__atomic_compare_exchange_n(&loop->bh_queue, &head, bh, true,
                                          __ATOMIC_SEQ_CST,
                                          __ATOMIC_RELAXED));
}

/* Async-signal-safe: atomics and event_loop_notify() only.  The thread
 * that sets BH_QUEUED pushes the BH; everyone else only sets BH_PENDING,
 * which the loop reads when it reaches the BH. */
void bh_schedule(BH *bh)
{
    EventLoop *loop = bh->loop;
    unsigned old = atomic_fetch_or(&bh->flags, BH_QUEUED | BH_PENDING);

    assert(!(old & BH_DELETED));
    if (!(old & BH_QUEUED)) {
        bh_queue_push(loop, bh);
        event_loop_notify(loop);
    }
}

void bh_cancel(BH *bh)
{
    atomic_fetch_and(&bh->flags, ~BH_PENDING);
}

void bh_delete(BH *bh)
{
    EventLoop *loop;
    unsigned old;

    if (!bh) {
        return;
    }
    loop = bh->loop;
    assert(event_loop_in_own_thread(loop) || atomic_read(&loop->depth) == 0);
    atomic_fetch_dec(&loop->nr_bhs);
    old = atomic_fetch_or(&bh->flags, BH_DELETED);
    if (!(old & BH_QUEUED)) {
        bh_free(bh);
    }
    /* else the loop frees it when it unlinks it from the queue */
}

void event_loop_run_later(EventLoop *loop, IOHandler *cb, void *opaque)
{
    BH *bh = zalloc(sizeof(*bh));

    bh->loop = loop;
    bh->cb = cb;
    bh->opaque = opaque;
    bh->flags = BH_ONESHOT;
    bh_schedule(bh);
}

/* Runs one BH just unlinked from the queue.  After its callback runs the
 * BH may be gone (it may delete itself), so bh is not touched again. */
static bool bh_run_unlinked(BH *bh)
{
    unsigned old = atomic_fetch_and(&bh->flags, ~(BH_QUEUED | BH_PENDING));

    if (old & BH_DELETED) {
        bh_free(bh);
        return false;
    }
    if (!(old & BH_PENDING)) {
        return false;        /* cancelled */
    }
    bh->cb(bh->opaque);
    if (old & BH_ONESHOT) {
        bh_free(bh);
    }
    return true;
}

static bool run_bhs(EventLoop *loop)
{
    BH *lifo = atomic_xchg(&loop->bh_queue, NULL);
    BH *fifo = NULL;
    bool progress = false;

    /* Reverse so that BHs run in the order they were first scheduled.
     * Every BH here has BH_QUEUED set: their links are ours. */
    while (lifo) {
        BH *next = lifo->queue_next;

        lifo->queue_next = fifo;
        fifo = lifo;
        lifo = next;
    }
    while (fifo) {
        BH *bh = fifo;

        fifo = bh->queue_next;
        progress |= bh_run_unlinked(bh);
    }
    return progress;
}

static bool bh_queue_empty(EventLoop *loop)
{
    return atomic_load_acquire(&loop->bh_queue) == NULL;
}

/* ---- timers */

Timer *timer_new(EventLoop *loop, IOHandler *cb, void *opaque)
{
    Timer *t = zalloc(sizeof(*t));

    t->loop = loop;
    t->cb = cb;
    t->opaque = opaque;
    return t;
}

static void timer_unlink_locked(Timer *t)
{
    *t->pprev = t->next;
    if (t->next) {
        t->next->pprev = t->pprev;
    }
    t->next = NULL;
    t->pprev = NULL;
    t->pending = false;
}

static void timer_insert_locked(EventLoop *loop, Timer *t)
{
    Timer **pp = &loop->timers;

    while (*pp && (*pp)->expire_ns <= t->expire_ns) {
        pp = &(*pp)->next;
    }
    t->next = *pp;
    t->pprev = pp;
    if (*pp) {
        (*pp)->pprev = &t->next;
    }
    *pp = t;
    t->pending = true;
}

void timer_mod_ns(Timer *t, int64_t expire_ns)
{
    EventLoop *loop = t->loop;
    bool first;

    pthread_mutex_lock(&loop->lock);
    if (t->pending) {
        timer_unlink_locked(t);
    }
    t->expire_ns = expire_ns;
    t->seq = ++loop->timer_seq;
    timer_insert_locked(loop, t);
    first = loop->timers == t;
    pthread_mutex_unlock(&loop->lock);
    /* The loop recomputes its deadline before each wait; only a loop
     * already waiting in another thread can hold a stale one. */
    if (first && !event_loop_in_own_thread(loop)) {
        event_loop_notify(loop);
    }
}

void timer_del(Timer *t)
{
    EventLoop *loop = t->loop;

    pthread_mutex_lock(&loop->lock);
    if (t->pending) {
        timer_unlink_locked(t);
    }
    pthread_mutex_unlock(&loop->lock);
}

bool timer_pending(Timer *t)
{
    bool pending;

    pthread_mutex_lock(&t->loop->lock);
    pending = t->pending;
    pthread_mutex_unlock(&t->loop->lock);
    return pending;
}

void timer_free(Timer *t)
{
    if (t) {
        timer_del(t);
        free(t);
    }
}

/* Runs the timers due at entry.  A timer armed during this pass (one
 * that re-arms itself into the past, say) waits for the next iteration,
 * so that it cannot keep the loop here forever. */
static bool run_timers(EventLoop *loop)
{
    int64_t now = clock_monotonic_ns();
    bool progress = false;
    uint64_t limit;

    pthread_mutex_lock(&loop->lock);
    limit = loop->timer_seq;
    for (;;) {
        Timer *t = loop->timers;
        IOHandler *cb;
        void *opaque;

        if (!t || t->expire_ns > now || t->seq > limit) {
            break;
        }
        timer_unlink_locked(t);
        cb = t->cb;
        opaque = t->opaque;
        pthread_mutex_unlock(&loop->lock);
        cb(opaque);               /* may free t */
        progress = true;
        pthread_mutex_lock(&loop->lock);
    }
    pthread_mutex_unlock(&loop->lock);
    return progress;
}

/* Points the timerfd at deadline (NO_DEADLINE disarms it); loop->lock
 * held.  Only the loop's thread arms it. */
static void arm_timerfd_locked(EventLoop *loop, int64_t deadline)
{
    struct itimerspec its = { { 0, 0 }, { 0, 0 } };

    if (deadline == loop->armed_ns) {
        return;
    }
    if (deadline != NO_DEADLINE) {
        its.it_value.tv_sec = deadline / 1000000000;
        its.it_value.tv_nsec = deadline % 1000000000;
    }
    if (timerfd_settime(loop->timerfd, TFD_TIMER_ABSTIME, &its, NULL) < 0) {
        fatal_errno(loop, "cannot arm timer", loop->timerfd);
    }
    loop->armed_ns = deadline;
}

/* Returns the epoll timeout for a blocking iteration: 0 when there is
 * work already, else -1 with the timerfd armed at the next deadline.
 * The timerfd wakes us at the deadline to the nanosecond, never before;
 * run_timers() compares against the clock, so nothing fires early. */
static int prepare_wait(EventLoop *loop)
{
    int64_t deadline;
    int timeout = -1;

    if (!bh_queue_empty(loop)) {
        return 0;
    }
    pthread_mutex_lock(&loop->lock);
    deadline = loop->timers ? loop->timers->expire_ns : NO_DEADLINE;
    if (deadline != NO_DEADLINE && deadline <= clock_monotonic_ns()) {
        timeout = 0;
    } else {
        arm_timerfd_locked(loop, deadline);
    }
    pthread_mutex_unlock(&loop->lock);
    return timeout;
}

/* ---- iterations */

static int wait_events(EventLoop *loop, struct epoll_event *events,
                       int timeout)
{
    int n;

    /* Offline while blocked: a grace period must not wait for an idle
     * loop.  A non-blocking check stays online (it is not a wait). */
    if (timeout != 0) {
        weft_rcu_go_offline();
    }
    n = epoll_wait(loop->epfd, events, MAX_EVENTS, timeout);
    if (timeout != 0) {
        weft_rcu_go_online();
    }
    if (n < 0) {
        if (errno != EINTR) {
            fatal_errno(loop, "epoll_wait on", loop->epfd);
        }
        n = 0;
    }
    return n;
}

static EventLoop *poll_enter(EventLoop *loop)
{
    EventLoop *prev = current_loop;

    if (atomic_fetch_inc(&loop->depth) == 0) {
        __atomic_store_n(&loop->owner, pthread_self(), __ATOMIC_RELAXED);
    } else {
        /* Nested poll from a handler: same thread only. */
        assert(event_loop_in_own_thread(loop));
    }
    current_loop = loop;
    return prev;
}

static void poll_exit(EventLoop *loop, EventLoop *prev)
{
    current_loop = prev;
    atomic_fetch_dec(&loop->depth);
}

bool event_loop_poll(EventLoop *loop, bool blocking)
{
    struct epoll_event events[MAX_EVENTS];
    bool progress = false;
    EventLoop *prev;
    int n;

    /* The polling thread is an online RCU reader outside read sections:
     * it goes offline to wait and reports a quiescent state below. */
    assert(weft_rcu_thread_registered() && weft_rcu_thread_online());
    assert(!weft_rcu_in_read_section());
    prev = poll_enter(loop);
    n = wait_events(loop, events, blocking ? prepare_wait(loop) : 0);
    for (int i = 0; i < n; i++) {
        progress |= dispatch_event(loop, &events[i]);
    }
    progress |= run_bhs(loop);
    progress |= run_timers(loop);
    poll_exit(loop, prev);
    assert(!weft_rcu_in_read_section());   /* a handler leaked one */
    weft_rcu_quiescent_state();
    return progress;
}

/* ---- threads started by system/ */

bool system_thread_create(pthread_t *thread, const char *name,
                          void *(*fn)(void *), void *arg, Error **errp)
{
    static const int faults[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP };
    char short_name[16];
    sigset_t blocked, old;
    int r;

    /* The new thread inherits the creator's mask at pthread_create. */
    sigfillset(&blocked);
    for (size_t i = 0; i < ARRAY_SIZE(faults); i++) {
        sigdelset(&blocked, faults[i]);
    }
    pthread_sigmask(SIG_SETMASK, &blocked, &old);
    r = pthread_create(thread, NULL, fn, arg);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (r) {
        error_setg_errno(errp, r, "cannot create thread %s", name);
        return false;
    }
    snprintf(short_name, sizeof(short_name), "%s", name);
    pthread_setname_np(*thread, short_name);
    return true;
}
