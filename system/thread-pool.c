/* The worker pool for blocking work (file I/O, slow host calls) that must
 * not stall an event loop.  Workers start on demand up to a maximum and
 * exit after sitting idle for a while.  Each request completes in the
 * loop that submitted it, through a BH of that loop. */
#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "system/event-loop-internal.h"
#include "util/atomic.h"

#define DEFAULT_MAX_WORKERS 16
#define DEFAULT_IDLE_TIMEOUT_NS (10 * 1000000000LL)

typedef struct PoolRequest PoolRequest;
struct PoolRequest {
    ThreadPoolWork *work;
    ThreadPoolDone *done;
    void *opaque;
    EventLoop *loop;           /* where done runs */
    BH *bh;                    /* of loop; scheduled by the worker */
    int result;                /* written by the worker before bh_schedule */
    PoolRequest *next;         /* queue link, under pool.lock */
};

/* pool.lock protects the queue and the worker accounting below; workers
 * wait for requests on pool.work_cond (CLOCK_MONOTONIC, for the idle
 * timeout).  No callback runs under it. */
static struct {
    pthread_mutex_t lock;
    pthread_cond_t work_cond;  /* a request was queued, or shutdown */
    pthread_cond_t exit_cond;  /* a worker exited */
    PoolRequest *head, **tail;
    unsigned queued;           /* requests on the queue */
    unsigned nr_workers;       /* started and not exited */
    unsigned nr_idle;          /* workers waiting on work_cond */
    unsigned max_workers;
    int64_t idle_timeout_ns;
    bool shutdown;             /* thread_pool_shutdown() is waiting */
} pool = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .exit_cond = PTHREAD_COND_INITIALIZER,
    .tail = &pool.head,
    .max_workers = DEFAULT_MAX_WORKERS,
    .idle_timeout_ns = DEFAULT_IDLE_TIMEOUT_NS,
};
static pthread_once_t pool_once = PTHREAD_ONCE_INIT;

/* Submitted requests whose done callback has not returned (atomic). */
static unsigned pending;

static void pool_init_once(void)
{
    pthread_condattr_t attr;

    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&pool.work_cond, &attr);
    pthread_condattr_destroy(&attr);
}

static void pool_lock(void)
{
    pthread_once(&pool_once, pool_init_once);
    pthread_mutex_lock(&pool.lock);
}

static struct timespec ns_to_timespec(int64_t ns)
{
    struct timespec ts = { ns / 1000000000, ns % 1000000000 };

    return ts;
}

/* Returns the next request, or NULL when this worker should exit: idle
 * for the whole timeout, or the pool shuts down with nothing queued. */
static PoolRequest *worker_next_locked(void)
{
    int64_t idle_since = clock_monotonic_ns();
    PoolRequest *req;

    while (!pool.head) {
        /* Recomputed on each wake-up: the timeout may have changed. */
        struct timespec deadline =
            ns_to_timespec(idle_since + pool.idle_timeout_ns);
        int r;

        if (pool.shutdown) {
            return NULL;
        }
        pool.nr_idle++;
        r = pthread_cond_timedwait(&pool.work_cond, &pool.lock, &deadline);
        pool.nr_idle--;
        if (r == ETIMEDOUT && !pool.head) {
            return NULL;
        }
    }
    req = pool.head;
    pool.head = req->next;
    if (!pool.head) {
        pool.tail = &pool.head;
    }
    pool.queued--;
    return req;
}

/* The worker is online only while work() runs: it may read RCU-protected
 * data there, and an idle worker never holds up a grace period. */
static void worker_run(PoolRequest *req)
{
    weft_rcu_go_online();
    req->result = req->work(req->opaque);
    weft_rcu_go_offline();
    bh_schedule(req->bh);     /* req now belongs to the loop */
}

static void *worker_main(void *unused)
{
    PoolRequest *req;

    weft_rcu_register_thread();
    weft_rcu_go_offline();
    pool_lock();
    while ((req = worker_next_locked())) {
        pthread_mutex_unlock(&pool.lock);
        worker_run(req);
        pthread_mutex_lock(&pool.lock);
    }
    pool.nr_workers--;
    pthread_cond_broadcast(&pool.exit_cond);
    pthread_mutex_unlock(&pool.lock);
    weft_rcu_unregister_thread();
    return NULL;
}

static void spawn_worker_locked(void)
{
    Error *err = NULL;
    pthread_t thread;

    if (!system_thread_create(&thread, "worker", worker_main, NULL, &err)) {
        if (pool.nr_workers == 0) {
            /* Nobody would ever run the queued request. */
            error_report_err(err);
            abort();
        }
        error_free(err);   /* the running workers will get to it */
        return;
    }
    pthread_detach(thread);
    pool.nr_workers++;
}

/* BH of req->loop: hands the result over and frees the request. */
static void request_complete(void *opaque)
{
    PoolRequest *req = opaque;
    EventLoop *loop = req->loop;

    bh_delete(req->bh);
    if (req->done) {
        req->done(req->opaque, req->result);
    }
    free(req);
    event_loop_inflight_dec(loop);
    atomic_fetch_dec(&pending);
}

void thread_pool_submit(EventLoop *loop, ThreadPoolWork *work,
                        ThreadPoolDone *done, void *opaque)
{
    PoolRequest *req = calloc(1, sizeof(*req));

    if (!req) {
        abort();
    }
    loop = loop ? loop : event_loop_current();
    assert(loop && work);
    req->work = work;
    req->done = done;
    req->opaque = opaque;
    req->loop = loop;
    req->bh = bh_new(loop, request_complete, req);
    atomic_fetch_inc(&pending);
    event_loop_inflight_inc(loop);

    pool_lock();
    *pool.tail = req;
    pool.tail = &req->next;
    pool.queued++;
    /* Grow when the idle workers cannot take every queued request. */
    if (pool.queued > pool.nr_idle && pool.nr_workers < pool.max_workers) {
        spawn_worker_locked();
    }
    pthread_cond_signal(&pool.work_cond);
    pthread_mutex_unlock(&pool.lock);
}

unsigned thread_pool_pending(void)
{
    return atomic_load_acquire(&pending);
}

unsigned thread_pool_nr_workers(void)
{
    unsigned n;

    pool_lock();
    n = pool.nr_workers;
    pthread_mutex_unlock(&pool.lock);
    return n;
}

void thread_pool_set_limits(unsigned max_workers, int64_t idle_timeout_ns)
{
    assert(max_workers > 0 && idle_timeout_ns > 0);
    pool_lock();
    pool.max_workers = max_workers;
    pool.idle_timeout_ns = idle_timeout_ns;
    /* Wakes idle workers so that they apply the new timeout now. */
    pthread_cond_broadcast(&pool.work_cond);
    pthread_mutex_unlock(&pool.lock);
}

void thread_pool_shutdown(void)
{
    bool offline = rcu_offline_begin();

    pool_lock();
    pool.shutdown = true;
    pthread_cond_broadcast(&pool.work_cond);
    while (pool.nr_workers) {
        pthread_cond_wait(&pool.exit_cond, &pool.lock);
    }
    pool.shutdown = false;
    pthread_mutex_unlock(&pool.lock);
    rcu_offline_end(offline);
}
