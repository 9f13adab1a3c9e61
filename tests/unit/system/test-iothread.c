/* IOThreads: registry (create, find, destroy, duplicate and invalid ids),
 * work posted to an iothread runs in that thread with the right context,
 * handlers and timers set from another thread reach it. */
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "system/event-loop.h"
#include "test.h"
#include "util/atomic.h"
#include "util/rcu.h"

/* What a callback saw in the thread it ran in. */
typedef struct Probe {
    EventLoop *loop;          /* expected loop */
    sem_t ran;
    pthread_t thread;
    EventLoop *current;
    bool own_thread;
    bool sigusr1_blocked;
    bool rcu_online;
    unsigned runs;
} Probe;

static void probe_init(Probe *p, EventLoop *loop)
{
    memset(p, 0, sizeof(*p));
    p->loop = loop;
    sem_init(&p->ran, 0, 0);
}

static void probe_record(void *opaque)
{
    Probe *p = opaque;
    sigset_t mask;

    pthread_sigmask(SIG_BLOCK, NULL, &mask);
    p->thread = pthread_self();
    p->current = event_loop_current();
    p->own_thread = event_loop_in_own_thread(p->loop);
    p->sigusr1_blocked = sigismember(&mask, SIGUSR1);
    p->rcu_online = weft_rcu_thread_registered() && weft_rcu_thread_online();
    p->runs++;
    sem_post(&p->ran);
}

static void probe_wait(Probe *p)
{
    while (sem_wait(&p->ran) < 0) {
        continue;
    }
}

static void probe_check_iothread(Probe *p)
{
    CHECK(!pthread_equal(p->thread, pthread_self()));
    CHECK(p->current == p->loop);
    CHECK(p->own_thread);
    CHECK(p->sigusr1_blocked);
    CHECK(p->rcu_online);
}

static IOThread *create_ok(const char *id)
{
    Error *err = NULL;
    IOThread *iot = iothread_create(id, &err);

    CHECK(iot && !err);
    return iot;
}

static void test_create_find_destroy(void)
{
    IOThread *iot = create_ok("io0");
    EventLoop *loop = iothread_get_loop(iot);
    Probe p;

    CHECK(iothread_find("io0") == iot);
    CHECK(!iothread_find("io1"));
    CHECK(!iothread_find(NULL));
    CHECK(!strcmp(iothread_get_id(iot), "io0"));
    CHECK(!strcmp(event_loop_name(loop), "io0"));
    CHECK(!event_loop_in_own_thread(loop));

    probe_init(&p, loop);
    event_loop_run_later(loop, probe_record, &p);
    probe_wait(&p);
    probe_check_iothread(&p);

    iothread_destroy(iot);
    CHECK(!iothread_find("io0"));
    /* The id is free again. */
    iot = create_ok("io0");
    CHECK(iothread_find("io0") == iot);
    iothread_destroy(iot);
    iothread_destroy(NULL);
}

static void expect_error(const char *id, const char *words)
{
    Error *err = NULL;

    CHECK(!iothread_create(id, &err));
    CHECK(err);
    if (!strstr(error_get_pretty(err), words)) {
        fprintf(stderr, "unexpected error: %s\n", error_get_pretty(err));
        CHECK(false);
    }
    error_free(err);
}

static void test_bad_ids(void)
{
    IOThread *iot = create_ok("dup.0_x-y");
    char long_id[80];

    expect_error("dup.0_x-y", "'dup.0_x-y' is already in use");
    CHECK(iothread_find("dup.0_x-y") == iot);
    expect_error("", "invalid iothread id");
    expect_error(NULL, "invalid iothread id");
    expect_error("0io", "invalid iothread id '0io'");
    expect_error("io 0", "invalid iothread id");
    expect_error("io/0", "invalid iothread id");
    memset(long_id, 'a', sizeof(long_id) - 1);
    long_id[sizeof(long_id) - 1] = 0;
    expect_error(long_id, "invalid iothread id");
    /* A NULL errp drops the error but still fails. */
    CHECK(!iothread_create("dup.0_x-y", NULL));
    iothread_destroy(iot);
}

/* Two threads race to create the same id: exactly one wins. */
static unsigned race_wins;
static pthread_barrier_t race_start;

static void *race_create(void *arg)
{
    IOThread **out = arg;

    pthread_barrier_wait(&race_start);
    *out = iothread_create("racy", NULL);
    if (*out) {
        atomic_fetch_inc(&race_wins);
    }
    return NULL;
}

static void test_duplicate_race(void)
{
    IOThread *got[4] = { NULL };
    pthread_t t[4];

    for (int round = 0; round < 20; round++) {
        atomic_set(&race_wins, 0);
        pthread_barrier_init(&race_start, NULL, 4);
        for (int i = 0; i < 4; i++) {
            got[i] = NULL;
            pthread_create(&t[i], NULL, race_create, &got[i]);
        }
        for (int i = 0; i < 4; i++) {
            pthread_join(t[i], NULL);
        }
        pthread_barrier_destroy(&race_start);
        CHECK_EQ(atomic_read(&race_wins), 1);
        iothread_destroy_all();
        CHECK(!iothread_find("racy"));
    }
}

static void free_timer(void *opaque)
{
    timer_free(opaque);
}

/* Handlers and timers set from this thread run in the iothread, which
 * is blocked in epoll_wait when they are added. */
typedef struct PipeProbe {
    Probe probe;
    int fds[2];
} PipeProbe;

static void pipe_readable(void *opaque)
{
    PipeProbe *pp = opaque;
    char c;

    if (read(pp->fds[0], &c, 1) == 1) {
        probe_record(&pp->probe);
    }
}

static void test_handlers_from_other_thread(void)
{
    IOThread *iot = create_ok("io-handlers");
    EventLoop *loop = iothread_get_loop(iot);
    PipeProbe pp;
    Probe tp;
    Timer *t;
    int64_t deadline;

    probe_init(&pp.probe, loop);
    CHECK(pipe2(pp.fds, O_NONBLOCK | O_CLOEXEC) == 0);
    usleep(5 * 1000);      /* the iothread is idle in epoll_wait */
    event_loop_set_fd_handler(loop, pp.fds[0], pipe_readable, NULL, &pp);
    CHECK(write(pp.fds[1], "x", 1) == 1);
    probe_wait(&pp.probe);
    probe_check_iothread(&pp.probe);
    event_loop_set_fd_handler(loop, pp.fds[0], NULL, NULL, NULL);

    probe_init(&tp, loop);
    t = timer_new(loop, probe_record, &tp);
    deadline = clock_monotonic_ns() + 5 * 1000000;
    timer_mod_ns(t, deadline);
    probe_wait(&tp);
    probe_check_iothread(&tp);
    CHECK(!timer_pending(t));

    /* A timer is freed in its loop's thread. */
    event_loop_run_later(loop, free_timer, t);
    iothread_destroy(iot);
    close(pp.fds[0]);
    close(pp.fds[1]);
}

/* Many posts from several threads, all run in the iothread. */
#define POSTERS 3
#define POSTS 400

static unsigned posted_runs;
static pthread_t posted_thread;

static void count_post(void *opaque)
{
    CHECK(pthread_equal(pthread_self(), posted_thread));
    posted_runs++;                    /* iothread only */
}

static void *poster(void *arg)
{
    for (int i = 0; i < POSTS; i++) {
        event_loop_run_later(arg, count_post, NULL);
    }
    return NULL;
}

static void test_posts_from_many_threads(void)
{
    IOThread *iot = create_ok("io-posts");
    EventLoop *loop = iothread_get_loop(iot);
    pthread_t t[POSTERS];
    Probe p;

    probe_init(&p, loop);
    event_loop_run_later(loop, probe_record, &p);
    probe_wait(&p);
    posted_thread = p.thread;
    for (int i = 0; i < POSTERS; i++) {
        pthread_create(&t[i], NULL, poster, loop);
    }
    for (int i = 0; i < POSTERS; i++) {
        pthread_join(t[i], NULL);
    }
    /* FIFO: this one runs after every post above. */
    event_loop_run_later(loop, probe_record, &p);
    probe_wait(&p);
    CHECK_EQ(posted_runs, POSTERS * POSTS);
    iothread_destroy(iot);
}

static void test_destroy_all(void)
{
    const char *ids[] = { "a", "b", "c" };

    for (int i = 0; i < 3; i++) {
        create_ok(ids[i]);
    }
    for (int i = 0; i < 3; i++) {
        CHECK(iothread_find(ids[i]));
    }
    iothread_destroy_all();
    for (int i = 0; i < 3; i++) {
        CHECK(!iothread_find(ids[i]));
    }
    iothread_destroy_all();
}

int main(void)
{
    alarm(60);      /* a lost wake-up hangs: fail instead */
    RUN(test_create_find_destroy);
    RUN(test_bad_ids);
    RUN(test_duplicate_race);
    RUN(test_handlers_from_other_thread);
    RUN(test_posts_from_many_threads);
    RUN(test_destroy_all);
    return 0;
}
