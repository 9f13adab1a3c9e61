/* Event-loop core: fd and notifier handlers, BHs (also scheduled from
 * other threads and from a signal handler), timers, stop, nesting, and
 * the loop's duties as an RCU reader. */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "system/event-loop.h"
#include "test.h"
#include "util/atomic.h"
#include "util/rcu.h"

#define MS 1000000LL

static EventLoop *new_loop(const char *name)
{
    Error *err = NULL;
    EventLoop *loop = event_loop_new(name, &err);

    CHECK(loop && !err);
    return loop;
}

static void make_pipe(int fds[2])
{
    CHECK(pipe2(fds, O_NONBLOCK | O_CLOEXEC) == 0);
}

static void write_byte(int fd)
{
    CHECK(write(fd, "x", 1) == 1);
}

/* Runs blocking iterations until *flag reaches want.  A lost wake-up
 * hangs here; the alarm() in main() turns that into a failure. */
static void poll_until(EventLoop *loop, unsigned *flag, unsigned want)
{
    while (atomic_load_acquire(flag) < want) {
        event_loop_poll(loop, true);
    }
}

/* ---- fd handlers */

typedef struct PipeCtx {
    EventLoop *loop;
    int fds[2];
    unsigned reads, writes;
    unsigned bytes;
} PipeCtx;

static void pipe_read(void *opaque)
{
    PipeCtx *p = opaque;
    char buf[16];
    ssize_t n = read(p->fds[0], buf, sizeof(buf));

    CHECK(event_loop_current() == p->loop);
    CHECK(event_loop_in_own_thread(p->loop));
    CHECK(weft_rcu_thread_online());
    p->reads++;
    if (n > 0) {
        p->bytes += n;
    }
}

static void pipe_write(void *opaque)
{
    PipeCtx *p = opaque;

    p->writes++;
}

static void test_fd_handlers(void)
{
    PipeCtx p = { .loop = new_loop("fd") };

    make_pipe(p.fds);
    event_loop_set_fd_handler(p.loop, p.fds[0], pipe_read, NULL, &p);
    CHECK(!event_loop_poll(p.loop, false));
    CHECK_EQ(p.reads, 0);

    write_byte(p.fds[1]);
    CHECK(event_loop_poll(p.loop, true));
    CHECK_EQ(p.reads, 1);
    CHECK_EQ(p.bytes, 1);
    CHECK(!event_loop_poll(p.loop, false));   /* drained: not ready */

    /* A pipe's write end is writable at once. */
    event_loop_set_fd_handler(p.loop, p.fds[1], NULL, pipe_write, &p);
    CHECK(event_loop_poll(p.loop, false));
    CHECK_EQ(p.writes, 1);
    event_loop_set_fd_handler(p.loop, p.fds[1], NULL, NULL, NULL);
    CHECK(!event_loop_poll(p.loop, false));
    CHECK_EQ(p.writes, 1);

    /* Removed: a readable fd no longer calls anything. */
    event_loop_set_fd_handler(p.loop, p.fds[0], NULL, NULL, NULL);
    write_byte(p.fds[1]);
    CHECK(!event_loop_poll(p.loop, false));
    CHECK_EQ(p.reads, 1);

    /* Re-added: the pending byte is delivered. */
    event_loop_set_fd_handler(p.loop, p.fds[0], pipe_read, NULL, &p);
    CHECK(event_loop_poll(p.loop, false));
    CHECK_EQ(p.reads, 2);
    event_loop_set_fd_handler(p.loop, p.fds[0], NULL, NULL, NULL);
    close(p.fds[0]);
    close(p.fds[1]);
    event_loop_free(p.loop);
}

/* An fd closed without removing its handler, its number reused by a new
 * file: registering the new one works and gets its events. */
static void test_fd_closed_without_removal(void)
{
    PipeCtx p = { .loop = new_loop("reuse") };
    int old_read;

    make_pipe(p.fds);
    old_read = p.fds[0];
    event_loop_set_fd_handler(p.loop, p.fds[0], pipe_read, NULL, &p);
    close(p.fds[0]);
    close(p.fds[1]);
    make_pipe(p.fds);        /* lowest free numbers: the same ones */
    CHECK_EQ(p.fds[0], old_read);
    event_loop_set_fd_handler(p.loop, p.fds[0], pipe_read, NULL, &p);
    write_byte(p.fds[1]);
    CHECK(event_loop_poll(p.loop, true));
    CHECK_EQ(p.reads, 1);
    event_loop_set_fd_handler(p.loop, p.fds[0], NULL, NULL, NULL);
    close(p.fds[0]);
    close(p.fds[1]);
    event_loop_free(p.loop);
}

/* Both pipes are readable in the same epoll batch; whichever handler
 * runs first removes both.  The other event is stale and must be
 * dropped.  The handler also closes its own fd: removal comes first. */
typedef struct RemoveCtx {
    EventLoop *loop;
    int a[2], b[2];
    unsigned calls;
    unsigned readd_calls;
    bool readd;             /* re-register the other fd after removal */
} RemoveCtx;

static void readded(void *opaque)
{
    RemoveCtx *r = opaque;

    r->readd_calls++;
}

static void remove_both(void *opaque)
{
    RemoveCtx *r = opaque;

    r->calls++;
    event_loop_set_fd_handler(r->loop, r->a[0], NULL, NULL, NULL);
    event_loop_set_fd_handler(r->loop, r->b[0], NULL, NULL, NULL);
    if (r->readd) {
        /* A new registration of both fds: the events of this batch
         * belong to the old ones and must not reach it. */
        event_loop_set_fd_handler(r->loop, r->a[0], readded, NULL, r);
        event_loop_set_fd_handler(r->loop, r->b[0], readded, NULL, r);
    }
}

static void test_remove_from_handler(void)
{
    RemoveCtx r = { .loop = new_loop("remove") };

    make_pipe(r.a);
    make_pipe(r.b);
    event_loop_set_fd_handler(r.loop, r.a[0], remove_both, NULL, &r);
    event_loop_set_fd_handler(r.loop, r.b[0], remove_both, NULL, &r);
    write_byte(r.a[1]);
    write_byte(r.b[1]);
    CHECK(event_loop_poll(r.loop, true));
    CHECK_EQ(r.calls, 1);
    CHECK(!event_loop_poll(r.loop, false));
    CHECK_EQ(r.calls, 1);

    /* Same, with both fds registered again from the handler. */
    r.readd = true;
    event_loop_set_fd_handler(r.loop, r.a[0], remove_both, NULL, &r);
    event_loop_set_fd_handler(r.loop, r.b[0], remove_both, NULL, &r);
    CHECK(event_loop_poll(r.loop, false));
    CHECK_EQ(r.calls, 2);
    CHECK_EQ(r.readd_calls, 0);
    /* Both are still readable: the new handlers see that next time. */
    CHECK(event_loop_poll(r.loop, false));
    CHECK_EQ(r.readd_calls, 2);
    event_loop_set_fd_handler(r.loop, r.a[0], NULL, NULL, NULL);
    event_loop_set_fd_handler(r.loop, r.b[0], NULL, NULL, NULL);
    for (int i = 0; i < 2; i++) {
        close(r.a[i]);
        close(r.b[i]);
    }
    event_loop_free(r.loop);
}

/* ---- notifiers */

typedef struct NotifierCtx {
    EventLoop *loop;
    EventNotifier en;
    unsigned calls;
    bool remove_self;
} NotifierCtx;

static void notifier_handler(void *opaque)
{
    NotifierCtx *n = opaque;

    n->calls++;
    /* The loop cleared it before calling us. */
    CHECK(!event_notifier_test_and_clear(&n->en));
    if (n->remove_self) {
        event_loop_set_notifier(n->loop, &n->en, NULL, NULL);
        event_notifier_cleanup(&n->en);
    }
}

static void test_notifier(void)
{
    NotifierCtx n = { .loop = new_loop("notifier") };

    CHECK(event_notifier_init(&n.en, false, NULL));
    event_loop_set_notifier(n.loop, &n.en, notifier_handler, &n);
    CHECK(!event_loop_poll(n.loop, false));
    event_notifier_set(&n.en);
    event_notifier_set(&n.en);
    CHECK(event_loop_poll(n.loop, true));
    CHECK_EQ(n.calls, 1);
    CHECK(!event_loop_poll(n.loop, false));

    /* Removed, then set: nothing runs and the loop leaves it set. */
    event_loop_set_notifier(n.loop, &n.en, NULL, NULL);
    event_notifier_set(&n.en);
    CHECK(!event_loop_poll(n.loop, false));
    CHECK_EQ(n.calls, 1);
    CHECK(event_notifier_test_and_clear(&n.en));

    /* A handler that removes and closes its own notifier. */
    n.remove_self = true;
    event_loop_set_notifier(n.loop, &n.en, notifier_handler, &n);
    event_notifier_set(&n.en);
    CHECK(event_loop_poll(n.loop, true));
    CHECK_EQ(n.calls, 2);
    CHECK(!event_loop_poll(n.loop, false));
    event_loop_free(n.loop);
}

/* ---- bottom halves */

typedef struct BhCtx {
    EventLoop *loop;
    BH *bh;
    unsigned runs;
    unsigned order[8];
    unsigned nr_order;
    unsigned id;
    int reschedule;         /* times the callback schedules itself again */
    bool delete_self;
    struct BhCtx *log;      /* where to append id, if set */
} BhCtx;

static void bh_cb(void *opaque)
{
    BhCtx *c = opaque;

    CHECK(event_loop_current() == c->loop);
    c->runs++;
    if (c->log) {
        c->log->order[c->log->nr_order++] = c->id;
    }
    if (c->reschedule > 0) {
        c->reschedule--;
        bh_schedule(c->bh);
    }
    if (c->delete_self) {
        bh_delete(c->bh);
        c->bh = NULL;
    }
}

static void test_bh_basic(void)
{
    EventLoop *loop = new_loop("bh");
    BhCtx c = { .loop = loop };

    c.bh = bh_new(loop, bh_cb, &c);
    CHECK(!event_loop_poll(loop, false));
    bh_schedule(c.bh);
    bh_schedule(c.bh);
    bh_schedule(c.bh);
    CHECK(event_loop_poll(loop, true));
    CHECK_EQ(c.runs, 1);
    CHECK(!event_loop_poll(loop, false));

    /* Cancelled, then scheduled again: runs once. */
    bh_schedule(c.bh);
    bh_cancel(c.bh);
    CHECK(!event_loop_poll(loop, false));
    CHECK_EQ(c.runs, 1);
    bh_schedule(c.bh);
    bh_cancel(c.bh);
    bh_schedule(c.bh);
    CHECK(event_loop_poll(loop, false));
    CHECK_EQ(c.runs, 2);

    /* Scheduled from its own callback: runs again, one poll each. */
    c.reschedule = 2;
    bh_schedule(c.bh);
    CHECK(event_loop_poll(loop, false));
    CHECK_EQ(c.runs, 3);
    CHECK(event_loop_poll(loop, false));
    CHECK(event_loop_poll(loop, false));
    CHECK_EQ(c.runs, 5);
    CHECK(!event_loop_poll(loop, false));

    /* Deleted while scheduled: never runs (ASan checks the free). */
    bh_schedule(c.bh);
    bh_delete(c.bh);
    CHECK(!event_loop_poll(loop, false));
    CHECK_EQ(c.runs, 5);

    /* Deleted by its own callback. */
    c.bh = bh_new(loop, bh_cb, &c);
    c.delete_self = true;
    bh_schedule(c.bh);
    CHECK(event_loop_poll(loop, false));
    CHECK_EQ(c.runs, 6);
    CHECK(!c.bh);
    event_loop_free(loop);
}

static void test_bh_order_and_run_later(void)
{
    EventLoop *loop = new_loop("bh-order");
    BhCtx log = { .loop = loop };
    BhCtx c[4];

    for (unsigned i = 0; i < 4; i++) {
        c[i] = (BhCtx){ .loop = loop, .id = i, .log = &log };
        c[i].bh = bh_new(loop, bh_cb, &c[i]);
    }
    bh_schedule(c[2].bh);
    bh_schedule(c[0].bh);
    bh_schedule(c[3].bh);
    bh_schedule(c[2].bh);    /* already scheduled: keeps its place */
    event_loop_run_later(loop, bh_cb, &c[1]);
    CHECK(event_loop_poll(loop, false));
    CHECK_EQ(log.nr_order, 4);
    CHECK_EQ(log.order[0], 2);
    CHECK_EQ(log.order[1], 0);
    CHECK_EQ(log.order[2], 3);
    CHECK_EQ(log.order[3], 1);
    CHECK(!event_loop_poll(loop, false));    /* one-shot ran once */
    CHECK_EQ(c[1].runs, 1);

    /* A one-shot still queued when the loop is freed is dropped. */
    event_loop_run_later(loop, bh_cb, &c[1]);
    for (unsigned i = 0; i < 4; i++) {
        bh_delete(c[i].bh);
    }
    event_loop_free(loop);
    CHECK_EQ(c[1].runs, 1);
}

/* Rounds: several threads schedule the same BHs at once, then the loop
 * runs.  Each BH must run exactly once per round. */
#define BURST_THREADS 3
#define BURST_BHS 4
#define BURST_ROUNDS 300

static struct {
    pthread_barrier_t start, done;
    BH *bh[BURST_BHS];
    unsigned runs[BURST_BHS];
} burst;

static void burst_cb(void *opaque)
{
    unsigned *runs = opaque;

    (*runs)++;
}

static void *burst_thread(void *arg)
{
    for (int r = 0; r < BURST_ROUNDS; r++) {
        pthread_barrier_wait(&burst.start);
        for (int i = 0; i < BURST_BHS; i++) {
            bh_schedule(burst.bh[i]);
            bh_schedule(burst.bh[i]);
        }
        pthread_barrier_wait(&burst.done);
    }
    return NULL;
}

static void test_bh_bursts_from_threads(void)
{
    EventLoop *loop = new_loop("burst");
    pthread_t t[BURST_THREADS];

    pthread_barrier_init(&burst.start, NULL, BURST_THREADS + 1);
    pthread_barrier_init(&burst.done, NULL, BURST_THREADS + 1);
    for (int i = 0; i < BURST_BHS; i++) {
        burst.bh[i] = bh_new(loop, burst_cb, &burst.runs[i]);
    }
    for (int i = 0; i < BURST_THREADS; i++) {
        pthread_create(&t[i], NULL, burst_thread, NULL);
    }
    weft_rcu_go_offline();     /* we block on barriers below */
    for (unsigned r = 1; r <= BURST_ROUNDS; r++) {
        pthread_barrier_wait(&burst.start);
        pthread_barrier_wait(&burst.done);
        weft_rcu_go_online();
        for (int i = 0; i < BURST_BHS; i++) {
            poll_until(loop, &burst.runs[i], r);
        }
        CHECK(!event_loop_poll(loop, false));
        for (int i = 0; i < BURST_BHS; i++) {
            CHECK_EQ(burst.runs[i], r);
        }
        weft_rcu_go_offline();
    }
    weft_rcu_go_online();
    for (int i = 0; i < BURST_THREADS; i++) {
        pthread_join(t[i], NULL);
    }
    for (int i = 0; i < BURST_BHS; i++) {
        bh_delete(burst.bh[i]);
    }
    pthread_barrier_destroy(&burst.start);
    pthread_barrier_destroy(&burst.done);
    event_loop_free(loop);
}

/* Stress: producers schedule their own BHs as fast as they can while the
 * loop runs in its own thread.  No schedule may be lost: every BH's last
 * run sees the last sequence number its producer published. */
#define STRESS_PRODUCERS 4
#define STRESS_BHS 16
#define STRESS_ITERS 1500

typedef struct StressBh {
    BH *bh;
    unsigned seq;            /* atomic: last published by the producer */
    unsigned seen;           /* last seq a run observed (loop thread) */
    unsigned runs;           /* loop thread */
} StressBh;

static StressBh stress[STRESS_PRODUCERS][STRESS_BHS];

static void stress_cb(void *opaque)
{
    StressBh *s = opaque;

    s->seen = atomic_load_acquire(&s->seq);
    s->runs++;
}

static void *stress_producer(void *arg)
{
    StressBh *mine = arg;

    for (unsigned it = 1; it <= STRESS_ITERS; it++) {
        for (int i = 0; i < STRESS_BHS; i++) {
            atomic_store_release(&mine[i].seq, it);
            bh_schedule(mine[i].bh);
        }
        if (it % 256 == 0) {
            usleep(100);      /* let the loop block now and then */
        }
    }
    return NULL;
}

static void *loop_thread(void *arg)
{
    EventLoop *loop = arg;

    weft_rcu_register_thread();
    event_loop_run(loop);
    weft_rcu_unregister_thread();
    return NULL;
}

static void stop_cb(void *opaque)
{
    event_loop_stop(opaque);
}

static void test_bh_stress(void)
{
    EventLoop *loop = new_loop("stress");
    pthread_t lt, prod[STRESS_PRODUCERS];

    for (int p = 0; p < STRESS_PRODUCERS; p++) {
        for (int i = 0; i < STRESS_BHS; i++) {
            stress[p][i].bh = bh_new(loop, stress_cb, &stress[p][i]);
        }
    }
    pthread_create(&lt, NULL, loop_thread, loop);
    for (int p = 0; p < STRESS_PRODUCERS; p++) {
        pthread_create(&prod[p], NULL, stress_producer, stress[p]);
    }
    weft_rcu_go_offline();
    for (int p = 0; p < STRESS_PRODUCERS; p++) {
        pthread_join(prod[p], NULL);
    }
    /* Queued after every last schedule, so it runs after them. */
    event_loop_run_later(loop, stop_cb, loop);
    pthread_join(lt, NULL);
    weft_rcu_go_online();
    for (int p = 0; p < STRESS_PRODUCERS; p++) {
        for (int i = 0; i < STRESS_BHS; i++) {
            CHECK_EQ(stress[p][i].seen, STRESS_ITERS);
            CHECK(stress[p][i].runs >= 1);
            CHECK(stress[p][i].runs <= STRESS_ITERS);
            bh_delete(stress[p][i].bh);
        }
    }
    event_loop_free(loop);
}

/* bh_schedule() from a signal handler wakes a loop blocked in another
 * thread. */
static BH *signal_bh;
static unsigned signal_bh_runs;

static void on_sigusr2(int sig)
{
    bh_schedule(signal_bh);
}

static void signal_bh_cb(void *opaque)
{
    atomic_fetch_inc(&signal_bh_runs);
    event_loop_stop(opaque);
}

static void test_bh_from_signal_handler(void)
{
    EventLoop *loop = new_loop("signal");
    struct sigaction sa = { .sa_handler = on_sigusr2 };
    pthread_t lt;

    signal_bh = bh_new(loop, signal_bh_cb, loop);
    sigemptyset(&sa.sa_mask);
    CHECK(sigaction(SIGUSR2, &sa, NULL) == 0);
    pthread_create(&lt, NULL, loop_thread, loop);
    usleep(20 * 1000);         /* let it block in epoll_wait */
    CHECK(pthread_kill(pthread_self(), SIGUSR2) == 0);
    weft_rcu_go_offline();
    pthread_join(lt, NULL);
    weft_rcu_go_online();
    CHECK_EQ(atomic_read(&signal_bh_runs), 1);
    signal(SIGUSR2, SIG_DFL);
    bh_delete(signal_bh);
    event_loop_free(loop);
}

/* ---- timers */

typedef struct TimerRec {
    EventLoop *loop;
    Timer *t;
    int64_t deadline;
    int64_t fired_at;
    unsigned fires;
    int rearm;               /* times to re-arm itself, 1 ms later */
    bool rearm_past;         /* re-arm into the past, once per run */
    bool free_self;
    unsigned *order;         /* where to append id, if set */
    unsigned *nr_order;
    unsigned id;
} TimerRec;

static void timer_cb(void *opaque)
{
    TimerRec *r = opaque;

    r->fired_at = clock_monotonic_ns();
    CHECK(r->fired_at >= r->deadline);             /* never early */
    CHECK(event_loop_current() == r->loop);
    CHECK(!timer_pending(r->t));
    r->fires++;
    if (r->order) {
        r->order[(*r->nr_order)++] = r->id;
    }
    if (r->rearm > 0) {
        r->rearm--;
        r->deadline = r->fired_at + MS;
        timer_mod_ns(r->t, r->deadline);
    } else if (r->rearm_past) {
        timer_mod_ns(r->t, 0);
    }
    if (r->free_self) {
        timer_free(r->t);
        r->t = NULL;
    }
}

/* Timers fire in deadline order (FIFO among equals) and never early. */
static void test_timer_order_never_early(void)
{
    static const int64_t offsets_us[] = {
        3000, 1000, 4000, 1500, 1000, 200, 2500, 1000, 50, 5000,
    };
    enum { N = ARRAY_SIZE(offsets_us) };
    EventLoop *loop = new_loop("timers");
    TimerRec r[N];
    unsigned order[N], nr_order = 0;
    int64_t base = clock_monotonic_ns();
    unsigned fired = 0;

    for (unsigned i = 0; i < N; i++) {
        r[i] = (TimerRec){ .loop = loop, .id = i, .order = order,
                           .nr_order = &nr_order,
                           .deadline = base + offsets_us[i] * 1000 };
        r[i].t = timer_new(loop, timer_cb, &r[i]);
        timer_mod_ns(r[i].t, r[i].deadline);
        CHECK(timer_pending(r[i].t));
    }
    while (fired < N) {
        event_loop_poll(loop, true);
        fired = nr_order;
    }
    for (unsigned i = 0; i < N; i++) {
        TimerRec *t = &r[order[i]];

        CHECK_EQ(t->fires, 1);
        CHECK(t->fired_at >= t->deadline);                /* never early */
        CHECK(t->fired_at - t->deadline < 500 * MS);      /* nor lost */
        if (i > 0) {
            TimerRec *prev = &r[order[i - 1]];

            CHECK(prev->deadline < t->deadline ||
                  (prev->deadline == t->deadline && prev->id < t->id));
        }
        timer_free(t->t);
    }
    event_loop_free(loop);
}

static void test_timer_rearm_and_delete(void)
{
    EventLoop *loop = new_loop("rearm");
    TimerRec a = { .loop = loop }, b = { .loop = loop }, s = { .loop = loop };
    int64_t now = clock_monotonic_ns();

    a.t = timer_new(loop, timer_cb, &a);
    b.t = timer_new(loop, timer_cb, &b);
    s.t = timer_new(loop, timer_cb, &s);

    /* Re-armed earlier: fires once, at the new deadline. */
    timer_mod_ns(a.t, now + 200 * MS);
    a.deadline = now + 2 * MS;
    timer_mod_ns(a.t, a.deadline);
    /* Deleted: never fires, though the sentinel after it does. */
    timer_mod_ns(b.t, now + 3 * MS);
    timer_del(b.t);
    CHECK(!timer_pending(b.t));
    timer_mod_ns(s.t, now + 6 * MS);
    while (!s.fires) {
        event_loop_poll(loop, true);
    }
    CHECK_EQ(a.fires, 1);
    CHECK(a.fired_at >= a.deadline);
    CHECK_EQ(b.fires, 0);
    CHECK(!timer_pending(a.t));

    /* Periodic: re-arms itself from the callback. */
    a.rearm = 3;
    a.deadline = clock_monotonic_ns() + MS;
    timer_mod_ns(a.t, a.deadline);
    while (a.fires < 5) {
        event_loop_poll(loop, true);
    }
    CHECK(!timer_pending(a.t));

    /* A deadline in the past fires at the next iteration; one that keeps
     * re-arming itself into the past runs once per iteration. */
    b.rearm_past = true;
    timer_mod_ns(b.t, 0);
    CHECK(event_loop_poll(loop, false));
    CHECK_EQ(b.fires, 1);
    CHECK(event_loop_poll(loop, false));
    CHECK_EQ(b.fires, 2);
    timer_del(b.t);

    /* A timer that frees itself. */
    s.free_self = true;
    timer_mod_ns(s.t, 0);
    CHECK(event_loop_poll(loop, false));
    CHECK(!s.t);

    timer_free(a.t);
    timer_free(b.t);
    CHECK(!event_loop_poll(loop, false));
    event_loop_free(loop);
}

/* A timer armed from another thread while the loop is blocked with no
 * deadline at all: the loop must wake and fire it on time. */
typedef struct CrossTimer {
    TimerRec rec;
    int64_t delay_ns;
} CrossTimer;

static void *arm_later(void *arg)
{
    CrossTimer *c = arg;

    usleep(20 * 1000);
    c->rec.deadline = clock_monotonic_ns() + c->delay_ns;
    timer_mod_ns(c->rec.t, c->rec.deadline);
    return NULL;
}

static void test_timer_from_other_thread(void)
{
    EventLoop *loop = new_loop("cross-timer");
    CrossTimer c = { .rec = { .loop = loop }, .delay_ns = 10 * MS };
    pthread_t t;

    c.rec.t = timer_new(loop, timer_cb, &c.rec);
    pthread_create(&t, NULL, arm_later, &c);
    while (!c.rec.fires) {
        event_loop_poll(loop, true);
    }
    weft_rcu_go_offline();
    pthread_join(t, NULL);
    weft_rcu_go_online();
    CHECK(c.rec.fired_at >= c.rec.deadline);
    CHECK(c.rec.fired_at - c.rec.deadline < 500 * MS);
    timer_free(c.rec.t);
    event_loop_free(loop);
}

/* ---- run, stop, nesting */

static void *stop_later(void *arg)
{
    usleep(10 * 1000);
    event_loop_stop(arg);
    return NULL;
}

static void test_run_stop(void)
{
    EventLoop *loop = new_loop("stop");
    pthread_t t;

    /* A stop requested before run makes it return at once. */
    event_loop_stop(loop);
    event_loop_run(loop);
    /* A stop from another thread ends a blocked run. */
    pthread_create(&t, NULL, stop_later, loop);
    event_loop_run(loop);
    weft_rcu_go_offline();
    pthread_join(t, NULL);
    weft_rcu_go_online();
    event_loop_free(loop);
}

typedef struct NestCtx {
    EventLoop *loop;
    BH *outer, *inner;
    unsigned inner_runs;
} NestCtx;

static void nest_inner(void *opaque)
{
    NestCtx *n = opaque;

    n->inner_runs++;
}

static void nest_outer(void *opaque)
{
    NestCtx *n = opaque;

    bh_schedule(n->inner);
    /* A nested iteration runs what this handler just scheduled. */
    CHECK(event_loop_poll(n->loop, false));
    CHECK_EQ(n->inner_runs, 1);
}

static void test_nested_poll(void)
{
    NestCtx n = { .loop = new_loop("nested") };

    n.outer = bh_new(n.loop, nest_outer, &n);
    n.inner = bh_new(n.loop, nest_inner, &n);
    bh_schedule(n.outer);
    CHECK(event_loop_poll(n.loop, false));
    CHECK_EQ(n.inner_runs, 1);
    CHECK(event_loop_current() == NULL);
    bh_delete(n.outer);
    bh_delete(n.inner);
    event_loop_free(n.loop);
}

/* ---- RCU duties */

/* An idle loop blocked in epoll_wait is offline: a grace period does not
 * wait for it.  Without that, weft_synchronize_rcu() below never returns
 * (there is no kick hook) and the alarm fails the test. */
static void test_rcu_offline_while_blocked(void)
{
    EventLoop *loop = new_loop("rcu-idle");
    pthread_t lt;

    pthread_create(&lt, NULL, loop_thread, loop);
    usleep(10 * 1000);
    weft_synchronize_rcu();
    weft_synchronize_rcu();
    event_loop_stop(loop);
    weft_rcu_go_offline();
    pthread_join(lt, NULL);
    weft_rcu_go_online();
    event_loop_free(loop);
}

/* A loop that never blocks (a BH keeps rescheduling itself) still lets
 * grace periods end: it reports a quiescent state every iteration. */
static BH *spin_bh;
static unsigned spin_stop, spin_runs;

static void spin_cb(void *opaque)
{
    atomic_fetch_inc(&spin_runs);
    if (atomic_load_acquire(&spin_stop)) {
        event_loop_stop(opaque);
    } else {
        bh_schedule(spin_bh);
    }
}

static void test_rcu_quiescent_per_iteration(void)
{
    EventLoop *loop = new_loop("rcu-busy");
    unsigned long before = weft_rcu_grace_periods();
    pthread_t lt;

    spin_bh = bh_new(loop, spin_cb, loop);
    bh_schedule(spin_bh);
    pthread_create(&lt, NULL, loop_thread, loop);
    while (atomic_read(&spin_runs) < 100) {
        usleep(1000);
    }
    weft_synchronize_rcu();
    CHECK(weft_rcu_grace_periods() > before);
    atomic_store_release(&spin_stop, 1);
    weft_rcu_go_offline();
    pthread_join(lt, NULL);
    weft_rcu_go_online();
    bh_delete(spin_bh);
    event_loop_free(loop);
}

int main(void)
{
    alarm(60);      /* a lost wake-up hangs: fail instead */
    weft_rcu_register_thread();
    RUN(test_fd_handlers);
    RUN(test_fd_closed_without_removal);
    RUN(test_remove_from_handler);
    RUN(test_notifier);
    RUN(test_bh_basic);
    RUN(test_bh_order_and_run_later);
    RUN(test_bh_bursts_from_threads);
    RUN(test_bh_stress);
    RUN(test_bh_from_signal_handler);
    RUN(test_timer_order_never_early);
    RUN(test_timer_rearm_and_delete);
    RUN(test_timer_from_other_thread);
    RUN(test_run_stop);
    RUN(test_nested_poll);
    RUN(test_rcu_offline_while_blocked);
    RUN(test_rcu_quiescent_per_iteration);
    weft_rcu_unregister_thread();
    return 0;
}
