/* The main loop: the main thread's loop, and the object finalize context
 * (finalize runs in the main thread, after a grace period, when the main
 * loop runs); cleanup flushes what was handed to it. */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "hw/core/object.h"
#include "system/event-loop.h"
#include "test.h"
#include "util/atomic.h"
#include "util/compiler.h"
#include "util/rcu.h"

typedef struct TestObj {
    Object obj;
    pthread_t *finalized_in;     /* where finalize records its thread */
    unsigned *finalized;         /* atomic flag */
} TestObj;

static void test_obj_finalize(Object *obj)
{
    TestObj *t = container_of(obj, TestObj, obj);

    *t->finalized_in = pthread_self();
    atomic_store_release(t->finalized, 1);
    free(t);
}

static TestObj *test_obj_new(pthread_t *in, unsigned *flag)
{
    TestObj *t = calloc(1, sizeof(*t));

    CHECK(t);
    object_init(&t->obj, "test-obj", test_obj_finalize);
    t->finalized_in = in;
    t->finalized = flag;
    return t;
}

static void *unref_thread(void *arg)
{
    object_unref(arg);         /* drops the reference main handed over */
    return NULL;
}

static pthread_t main_thread;

static void test_init(void)
{
    Error *err = NULL;
    EventLoop *loop;

    CHECK(!main_loop());
    loop = main_loop_init(&err);
    CHECK(loop && !err);
    CHECK(main_loop() == loop);
    CHECK(event_loop_current() == loop);
    CHECK(event_loop_in_own_thread(loop));
    CHECK(weft_rcu_thread_registered() && weft_rcu_thread_online());
}

/* The last reference dropped in another thread: finalize waits for the
 * main loop and runs in the main thread. */
static void test_finalize_deferred_to_main(void)
{
    pthread_t in = 0, t;
    unsigned finalized = 0;
    TestObj *obj = test_obj_new(&in, &finalized);

    pthread_create(&t, NULL, unref_thread, &obj->obj);
    weft_rcu_go_offline();
    pthread_join(t, NULL);
    weft_rcu_go_online();
    /* Every RCU callback has run: the finalize is queued on the main
     * loop, not run (it would run in the reclaim thread without the
     * main loop as finalize context). */
    weft_rcu_barrier();
    CHECK(!atomic_load_acquire(&finalized));
    while (!atomic_load_acquire(&finalized)) {
        event_loop_poll(main_loop(), true);
    }
    CHECK(pthread_equal(in, main_thread));
}

/* Many objects dropped from several threads at once. */
#define DROPPERS 4
#define OBJS 100

static pthread_t many_in[DROPPERS][OBJS];
static unsigned many_done[DROPPERS][OBJS];

static void *drop_many(void *arg)
{
    TestObj **objs = arg;

    for (int i = 0; i < OBJS; i++) {
        object_unref(&objs[i]->obj);
    }
    return NULL;
}

static void test_many_finalizes(void)
{
    static TestObj *objs[DROPPERS][OBJS];
    pthread_t t[DROPPERS];
    unsigned left;

    for (int d = 0; d < DROPPERS; d++) {
        for (int i = 0; i < OBJS; i++) {
            objs[d][i] = test_obj_new(&many_in[d][i], &many_done[d][i]);
        }
    }
    for (int d = 0; d < DROPPERS; d++) {
        pthread_create(&t[d], NULL, drop_many, objs[d]);
    }
    do {
        event_loop_poll(main_loop(), true);
        left = 0;
        for (int d = 0; d < DROPPERS; d++) {
            for (int i = 0; i < OBJS; i++) {
                left += !atomic_load_acquire(&many_done[d][i]);
            }
        }
    } while (left);
    weft_rcu_go_offline();
    for (int d = 0; d < DROPPERS; d++) {
        pthread_join(t[d], NULL);
    }
    weft_rcu_go_online();
    for (int d = 0; d < DROPPERS; d++) {
        for (int i = 0; i < OBJS; i++) {
            CHECK(pthread_equal(many_in[d][i], main_thread));
        }
    }
}

static int pool_work(void *opaque)
{
    usleep(10 * 1000);
    return 3;
}

static void pool_done(void *opaque, int result)
{
    CHECK(pthread_equal(pthread_self(), main_thread));
    *(int *)opaque = result;
}

/* Cleanup finalizes what is waiting for the main loop and runs pending
 * thread-pool completions, in the main thread; afterwards finalize runs
 * in the reclaim thread. */
static void test_cleanup(void)
{
    pthread_t in = 0, in2 = 0;
    unsigned finalized = 0, finalized2 = 0;
    TestObj *obj = test_obj_new(&in, &finalized);
    TestObj *obj2;
    int pool_result = 0;

    thread_pool_submit(main_loop(), pool_work, pool_done, &pool_result);
    object_unref(&obj->obj);
    main_loop_cleanup();
    CHECK(!main_loop());
    CHECK(atomic_load_acquire(&finalized));
    CHECK(pthread_equal(in, main_thread));
    CHECK_EQ(pool_result, 3);
    CHECK_EQ(thread_pool_pending(), 0);

    obj2 = test_obj_new(&in2, &finalized2);
    object_unref(&obj2->obj);
    weft_rcu_barrier();
    CHECK(atomic_load_acquire(&finalized2));
    CHECK(!pthread_equal(in2, main_thread));
}

int main(void)
{
    alarm(60);      /* a lost wake-up hangs: fail instead */
    main_thread = pthread_self();
    RUN(test_init);
    RUN(test_finalize_deferred_to_main);
    RUN(test_many_finalizes);
    RUN(test_cleanup);
    thread_pool_shutdown();
    return 0;
}
