/* Worker pool: work runs in workers, completions in the submitting loop's
 * thread; many concurrent submissions; growth up to the cap, idle exit;
 * workers are RCU readers offline while idle; iothread destruction waits
 * for the completions of its loop. */
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "system/event-loop.h"
#include "test.h"
#include "util/atomic.h"
#include "util/compiler.h"
#include "util/rcu.h"

#define MS 1000000LL

typedef struct Req {
    EventLoop *loop;             /* where done must run */
    pthread_t submitter;         /* thread running loop */
    int input;
    /* set by work (worker thread) */
    pthread_t worker;
    bool worker_online;
    bool worker_sigusr1_blocked;
    /* set by done (loop thread) */
    int result;
    bool done;
    unsigned *done_count;        /* loop-thread counter to bump */
} Req;

static int req_work(void *opaque)
{
    Req *r = opaque;
    sigset_t mask;

    pthread_sigmask(SIG_BLOCK, NULL, &mask);
    r->worker = pthread_self();
    r->worker_online = weft_rcu_thread_registered() &&
                       weft_rcu_thread_online();
    r->worker_sigusr1_blocked = sigismember(&mask, SIGUSR1);
    CHECK(event_loop_current() == NULL);
    return r->input * 2;
}

static void req_done(void *opaque, int result)
{
    Req *r = opaque;

    CHECK(pthread_equal(pthread_self(), r->submitter));
    CHECK(event_loop_current() == r->loop);
    CHECK(!pthread_equal(r->worker, r->submitter));
    CHECK(r->worker_online);
    CHECK(r->worker_sigusr1_blocked);
    r->result = result;
    r->done = true;
    if (r->done_count) {
        (*r->done_count)++;
    }
}

static EventLoop *new_loop(const char *name)
{
    EventLoop *loop = event_loop_new(name, NULL);

    CHECK(loop);
    return loop;
}

static void test_completion_in_submitting_loop(void)
{
    EventLoop *loop = new_loop("submit");
    Req r = { .loop = loop, .submitter = pthread_self(), .input = 21 };

    /* Completion needs the loop: polling is what runs done. */
    thread_pool_submit(loop, req_work, req_done, &r);
    CHECK_EQ(thread_pool_pending(), 1);
    while (!r.done) {
        event_loop_poll(loop, true);
    }
    CHECK_EQ(r.result, 42);
    CHECK_EQ(thread_pool_pending(), 0);
    event_loop_free(loop);
}

/* Submitted from this thread, completed in an iothread's loop. */
static sem_t iot_done_sem;

static void req_done_post(void *opaque, int result)
{
    req_done(opaque, result);
    sem_post(&iot_done_sem);
}

static void record_thread(void *opaque)
{
    *(pthread_t *)opaque = pthread_self();
    sem_post(&iot_done_sem);
}

static void sem_wait_offline(sem_t *sem)
{
    bool online = weft_rcu_thread_registered() && weft_rcu_thread_online();

    if (online) {
        weft_rcu_go_offline();
    }
    while (sem_wait(sem) < 0) {
        continue;
    }
    if (online) {
        weft_rcu_go_online();
    }
}

static void test_completion_in_iothread(void)
{
    IOThread *iot = iothread_create("pool-io", NULL);
    EventLoop *loop = iothread_get_loop(iot);
    Req r = { .loop = loop, .input = 5 };

    sem_init(&iot_done_sem, 0, 0);
    event_loop_run_later(loop, record_thread, &r.submitter);
    sem_wait_offline(&iot_done_sem);
    thread_pool_submit(loop, req_work, req_done_post, &r);
    sem_wait_offline(&iot_done_sem);
    CHECK(r.done);
    CHECK_EQ(r.result, 10);
    iothread_destroy(iot);
    sem_destroy(&iot_done_sem);
}

/* Each of several iothreads submits a batch from inside its own loop
 * (NULL loop: the current one) while this thread submits its own. */
#define IOTHREADS 2
#define BATCH 300

typedef struct Batch {
    EventLoop *loop;
    pthread_t thread;
    Req req[BATCH];
    unsigned done_count;         /* loop thread only */
    sem_t finished;
} Batch;

static void batch_done(void *opaque, int result)
{
    Req *r = opaque;
    Batch *b = container_of(r->done_count, Batch, done_count);

    req_done(opaque, result);
    if (b->done_count == BATCH) {
        sem_post(&b->finished);
    }
}

static void batch_submit(void *opaque)
{
    Batch *b = opaque;

    b->thread = pthread_self();
    for (int i = 0; i < BATCH; i++) {
        b->req[i] = (Req){ .loop = b->loop, .submitter = b->thread,
                           .input = i, .done_count = &b->done_count };
        thread_pool_submit(NULL, req_work, batch_done, &b->req[i]);
    }
}

static void test_many_concurrent(void)
{
    static Batch b[IOTHREADS + 1];
    IOThread *iot[IOTHREADS];
    char id[16];

    for (int i = 0; i < IOTHREADS; i++) {
        snprintf(id, sizeof(id), "pool%d", i);
        iot[i] = iothread_create(id, NULL);
        CHECK(iot[i]);
        b[i].loop = iothread_get_loop(iot[i]);
    }
    b[IOTHREADS].loop = new_loop("pool-main");
    for (int i = 0; i <= IOTHREADS; i++) {
        sem_init(&b[i].finished, 0, 0);
    }
    for (int i = 0; i <= IOTHREADS; i++) {
        event_loop_run_later(b[i].loop, batch_submit, &b[i]);
    }
    while (b[IOTHREADS].done_count < BATCH) {
        event_loop_poll(b[IOTHREADS].loop, true);
    }
    for (int i = 0; i < IOTHREADS; i++) {
        sem_wait_offline(&b[i].finished);
    }
    for (int i = 0; i <= IOTHREADS; i++) {
        CHECK_EQ(b[i].done_count, BATCH);
        for (int j = 0; j < BATCH; j++) {
            CHECK(b[i].req[j].done);
            CHECK_EQ(b[i].req[j].result, 2 * j);
        }
    }
    CHECK(thread_pool_nr_workers() >= 1);
    for (int i = 0; i < IOTHREADS; i++) {
        iothread_destroy(iot[i]);
    }
    /* The last done() may still be returning until its loop is gone. */
    CHECK_EQ(thread_pool_pending(), 0);
    event_loop_free(b[IOTHREADS].loop);
}

/* Blocking work: the pool grows so that `want` requests run at once,
 * never beyond the cap, and idle workers exit after the timeout. */
static struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    unsigned running, max_running, arrived;
    unsigned want;
} gather = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER };

/* Returns 1 if `want` requests were running together at some point. */
static int gather_work(void *opaque)
{
    struct timespec deadline;
    int met;

    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 5;
    weft_rcu_go_offline();       /* about to block: see event-loop.h */
    pthread_mutex_lock(&gather.lock);
    gather.running++;
    gather.max_running = MAX(gather.max_running, gather.running);
    gather.arrived++;
    pthread_cond_broadcast(&gather.cond);
    while (gather.arrived < gather.want &&
           pthread_cond_timedwait(&gather.cond, &gather.lock, &deadline) == 0) {
        continue;
    }
    met = gather.arrived >= gather.want;
    usleep(1000);
    gather.running--;
    pthread_mutex_unlock(&gather.lock);
    weft_rcu_go_online();
    return met;
}

static void gather_done(void *opaque, int result)
{
    unsigned *met = opaque;

    *met += result;
}

static void test_grow_cap_and_idle_exit(void)
{
    EventLoop *loop = new_loop("grow");
    const unsigned cap = 4;
    unsigned met = 0;

    thread_pool_shutdown();
    CHECK_EQ(thread_pool_nr_workers(), 0);
    thread_pool_set_limits(cap, 100 * MS);
    gather.want = cap;
    for (unsigned i = 0; i < 2 * cap; i++) {
        thread_pool_submit(loop, gather_work, gather_done, &met);
    }
    while (thread_pool_pending()) {
        event_loop_poll(loop, true);
    }
    CHECK_EQ(met, 2 * cap);              /* cap requests ran together */
    CHECK(gather.max_running <= cap);
    CHECK(thread_pool_nr_workers() <= cap);

    /* Idle workers are offline: a grace period does not wait for them
     * (else this hangs and the alarm fails the test). */
    CHECK(thread_pool_nr_workers() > 0);
    weft_synchronize_rcu();

    /* ...and they exit after the idle timeout. */
    for (int i = 0; i < 300 && thread_pool_nr_workers(); i++) {
        usleep(10 * 1000);
    }
    CHECK_EQ(thread_pool_nr_workers(), 0);
    thread_pool_set_limits(16, 10000 * MS);
    event_loop_free(loop);
}

/* iothread_destroy() right after a submission: the completion still runs
 * in the iothread before destroy returns. */
static int slow_work(void *opaque)
{
    usleep(20 * 1000);
    return 7;
}

static void slow_done(void *opaque, int result)
{
    atomic_store_release((int *)opaque, result);
}

static void test_destroy_waits_for_completions(void)
{
    IOThread *iot = iothread_create("pool-drain", NULL);
    int result = 0;

    thread_pool_submit(iothread_get_loop(iot), slow_work, slow_done, &result);
    iothread_destroy(iot);
    CHECK_EQ(atomic_load_acquire(&result), 7);
    CHECK_EQ(thread_pool_pending(), 0);
}

int main(void)
{
    alarm(60);      /* a lost wake-up hangs: fail instead */
    weft_rcu_register_thread();
    RUN(test_completion_in_submitting_loop);
    RUN(test_completion_in_iothread);
    RUN(test_many_concurrent);
    RUN(test_grow_cap_and_idle_exit);
    RUN(test_destroy_waits_for_completions);
    thread_pool_shutdown();
    CHECK_EQ(thread_pool_nr_workers(), 0);
    weft_rcu_unregister_thread();
    return 0;
}
