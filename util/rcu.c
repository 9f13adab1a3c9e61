/* Reclaim thread and reader registration on top of liburcu QSBR.
 * This is the only file that includes liburcu's QSBR header for readers:
 * its macro names (rcu_read_lock, call_rcu, ...) stay out of weft. */
#include "util/compiler.h"
/* Under ThreadSanitizer, call liburcu's library functions rather than
 * inlining its static ones: they synchronise with plain accesses and
 * barriers TSan cannot see, which it reports as races.  The grace period
 * is modelled with the annotations below instead. */
#ifndef WEFT_TSAN
#define _LGPL_SOURCE
#endif
#include <assert.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <urcu-qsbr.h>

#include "util/rcu.h"

#ifdef WEFT_TSAN
/* TSan cannot see liburcu's grace period; model it as "every reader
 * releases at a quiescent state, the reclaimer acquires after the grace
 * period", which is exactly the guarantee liburcu gives. */
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
static char tsan_grace_period;
#define TSAN_READER_QUIESCENT() __tsan_release(&tsan_grace_period)
#define TSAN_GRACE_PERIOD_DONE() __tsan_acquire(&tsan_grace_period)
#else
#define TSAN_READER_QUIESCENT() do { } while (0)
#define TSAN_GRACE_PERIOD_DONE() do { } while (0)
#endif

unsigned weft_rcu_gp_wanted;
__thread int weft_rcu_read_depth;
static __thread bool thread_registered;
static __thread bool thread_online;

/* reclaim.lock protects the pending list, started and barrier counters. */
static struct {
    pthread_mutex_t lock;
    pthread_cond_t work;        /* pending list became non-empty */
    pthread_cond_t done;        /* a batch of callbacks finished */
    RcuHead *head, **tail;
    unsigned long queued;       /* callbacks ever queued */
    unsigned long completed;    /* callbacks ever run */
    bool started;
} reclaim = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .work = PTHREAD_COND_INITIALIZER,
    .done = PTHREAD_COND_INITIALIZER,
    .tail = &reclaim.head,
};

static void (*kick_hook)(void);
static unsigned long grace_periods;

void weft_rcu_set_kick_hook(void (*kick)(void))
{
    atomic_store_release(&kick_hook, kick);
}

unsigned long weft_rcu_grace_periods(void)
{
    return atomic_read(&grace_periods);
}

void weft_rcu_register_thread(void)
{
    assert(!thread_registered);
    urcu_qsbr_register_thread();
    thread_registered = true;
    thread_online = true;
}

void weft_rcu_unregister_thread(void)
{
    assert(thread_registered && weft_rcu_read_depth == 0);
    if (!thread_online) {
        weft_rcu_go_online();
    }
    TSAN_READER_QUIESCENT();
    urcu_qsbr_unregister_thread();
    thread_registered = false;
    thread_online = false;
}

bool weft_rcu_thread_registered(void)
{
    return thread_registered;
}

bool weft_rcu_thread_online(void)
{
    return thread_online;
}

void weft_rcu_quiescent_state(void)
{
    assert(thread_registered && thread_online);
    assert(weft_rcu_read_depth == 0);
    TSAN_READER_QUIESCENT();
    urcu_qsbr_quiescent_state();
}

void weft_rcu_go_offline(void)
{
    assert(thread_registered && thread_online);
    assert(weft_rcu_read_depth == 0);
    TSAN_READER_QUIESCENT();
    urcu_qsbr_thread_offline();
    thread_online = false;
}

void weft_rcu_go_online(void)
{
    assert(thread_registered && !thread_online);
    urcu_qsbr_thread_online();
    thread_online = true;
}

/* Kicks readers while a grace period is pending.  A vCPU that reported
 * just before liburcu advanced its counter must report once more, so one
 * kick is not enough: we repeat with a growing interval until the grace
 * period ends.  kicker.lock protects nothing but the condition wait on
 * weft_rcu_gp_wanted. */
static struct {
    pthread_mutex_t lock;
    pthread_cond_t wake;
} kicker = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER };

static void *kicker_main(void *arg)
{
    (void)arg;
    for (;;) {
        struct timespec delay = { 0, 20 * 1000 };

        pthread_mutex_lock(&kicker.lock);
        while (!atomic_load_acquire(&weft_rcu_gp_wanted)) {
            pthread_cond_wait(&kicker.wake, &kicker.lock);
        }
        pthread_mutex_unlock(&kicker.lock);
        while (atomic_load_acquire(&weft_rcu_gp_wanted)) {
            void (*kick)(void) = atomic_load_acquire(&kick_hook);

            if (kick) {
                kick();
            }
            nanosleep(&delay, NULL);
            if (delay.tv_nsec < 2 * 1000 * 1000) {
                delay.tv_nsec *= 2;
            }
        }
    }
    return NULL;
}

/* Several threads may run a grace period at once (the reclaim thread and
 * weft_synchronize_rcu callers): weft_rcu_gp_wanted counts them. */
static void grace_period(void)
{
    atomic_fetch_inc(&weft_rcu_gp_wanted);
    pthread_mutex_lock(&kicker.lock);
    pthread_cond_signal(&kicker.wake);
    pthread_mutex_unlock(&kicker.lock);
    urcu_qsbr_synchronize_rcu();
    atomic_fetch_dec(&weft_rcu_gp_wanted);
    TSAN_GRACE_PERIOD_DONE();
    atomic_fetch_inc(&grace_periods);
}

static void *reclaim_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&reclaim.lock);
    for (;;) {
        RcuHead *batch;
        unsigned long n = 0;

        while (!reclaim.head) {
            pthread_cond_wait(&reclaim.work, &reclaim.lock);
        }
        batch = reclaim.head;
        reclaim.head = NULL;
        reclaim.tail = &reclaim.head;
        pthread_mutex_unlock(&reclaim.lock);

        grace_period();
        while (batch) {
            RcuHead *next = batch->next;

            batch->func(batch);
            batch = next;
            n++;
        }

        pthread_mutex_lock(&reclaim.lock);
        reclaim.completed += n;
        pthread_cond_broadcast(&reclaim.done);
    }
    return NULL;
}

static void start_detached(void *(*fn)(void *))
{
    pthread_t thread;

    if (pthread_create(&thread, NULL, fn, NULL)) {
        abort();
    }
    pthread_detach(thread);
}

/* Both helper threads live as long as the process. */
static void reclaim_start_locked(void)
{
    sigset_t all, old;

    if (reclaim.started) {
        return;
    }
    /* Signals (the vCPU kick signal among them) go to other threads. */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    start_detached(reclaim_main);
    start_detached(kicker_main);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    reclaim.started = true;
}

void weft_call_rcu(RcuHead *head, RcuCallback *func)
{
    head->func = func;
    head->next = NULL;
    pthread_mutex_lock(&reclaim.lock);
    reclaim_start_locked();
    *reclaim.tail = head;
    reclaim.tail = &head->next;
    reclaim.queued++;
    pthread_cond_signal(&reclaim.work);
    pthread_mutex_unlock(&reclaim.lock);
}

void weft_rcu_barrier(void)
{
    bool was_online = thread_registered && thread_online;
    unsigned long target;

    assert(weft_rcu_read_depth == 0);
    if (was_online) {
        weft_rcu_go_offline();
    }
    pthread_mutex_lock(&reclaim.lock);
    target = reclaim.queued;
    while (reclaim.completed < target) {
        pthread_cond_wait(&reclaim.done, &reclaim.lock);
    }
    pthread_mutex_unlock(&reclaim.lock);
    if (was_online) {
        weft_rcu_go_online();
    }
}

void weft_synchronize_rcu(void)
{
    bool was_online = thread_registered && thread_online;

    assert(weft_rcu_read_depth == 0);
    if (was_online) {
        weft_rcu_go_offline();
    }
    pthread_mutex_lock(&reclaim.lock);
    reclaim_start_locked();
    pthread_mutex_unlock(&reclaim.lock);
    grace_period();
    if (was_online) {
        weft_rcu_go_online();
    }
}
