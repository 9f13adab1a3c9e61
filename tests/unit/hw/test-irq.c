/* Interrupt lines: wiring, the sink's reference, and levels raised from
 * several threads at once, counted exactly. */
#include <pthread.h>
#include <string.h>

#include "system/bql.h"
#include "test.h"
#include "testdev.h"
#include "util/atomic.h"

#define NTHREADS 4
#define PULSES 20000

/* A sink with one lock over its per-line state, as a real interrupt
 * controller would have (the handler runs in the raising thread). */
typedef struct Sink {
    pthread_mutex_t lock;        /* protects level, rises, calls */
    int level[NTHREADS];
    unsigned long rises[NTHREADS];
    unsigned long calls[NTHREADS];
} Sink;

static Sink sink = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void sink_handler(void *opaque, int n, int level)
{
    Sink *s = opaque;

    CHECK(s == &sink && n >= 0 && n < NTHREADS);
    pthread_mutex_lock(&s->lock);
    if (level && !s->level[n]) {
        s->rises[n]++;
    }
    s->level[n] = level;
    s->calls[n]++;
    pthread_mutex_unlock(&s->lock);
}

/* A handler that only counts, with atomics. */
static unsigned long raises, lowers;

static void counting_handler(void *opaque, int n, int level)
{
    atomic_fetch_inc(level ? &raises : &lowers);
}

static void test_wiring(void)
{
    IrqLine in, out;

    irq_init_in(&in, sink_handler, &sink, 2, NULL);
    irq_init_out(&out, NULL);
    irq_raise(NULL);                    /* ignored */
    irq_raise(&out);                    /* unconnected: dropped */
    CHECK_EQ(sink.calls[2], 0);
    bql_lock();
    irq_connect(&out, &in);
    bql_unlock();
    CHECK(irq_is_connected(&out));
    irq_raise(&out);
    CHECK(sink.level[2] == 1 && sink.rises[2] == 1);
    irq_set_level(&out, 0);
    irq_pulse(&out);
    CHECK(sink.level[2] == 0 && sink.rises[2] == 2 && sink.calls[2] == 4);
    irq_raise(&in);                     /* inputs can be driven directly */
    CHECK(sink.rises[2] == 3);
    irq_lower(&in);
    bql_lock();
    irq_disconnect(&out);
    irq_disconnect(&out);               /* no-op */
    bql_unlock();
    irq_raise(&out);
    CHECK(sink.calls[2] == 6 && !irq_is_connected(&out));
    memset(sink.level, 0, sizeof(sink.level));
    memset(sink.rises, 0, sizeof(sink.rises));
    memset(sink.calls, 0, sizeof(sink.calls));
}

/* Device lines: a connection holds a reference on the sink device until
 * the source is finalized; a self-loop holds none. */
static void dev_in_handler(void *opaque, int n, int level)
{
    Device *dev = opaque;

    ev_log("irq:%s:%d:%d", dev_label(dev), n, level);
}

static void test_device_lines(void)
{
    unsigned long live = object_count_live();
    Device *src, *dst;

    bql_lock();
    ev_reset();
    src = device_new("test-dev", NULL);
    dst = device_new("test-dev", NULL);
    CHECK(device_set_id(src, "src", NULL) && device_set_id(dst, "dst", NULL));
    device_init_irqs_out(src, 2);
    device_init_irqs_in(src, dev_in_handler, 1);
    device_init_irqs_in(dst, dev_in_handler, 3);
    device_connect_irq(src, 1, dst, 2);
    CHECK_EQ(object_refcount(&dst->obj), 2);    /* ours + the wire's */
    device_connect_irq(src, 0, src, 0);          /* self-loop */
    CHECK_EQ(object_refcount(&src->obj), 1);
    irq_pulse(device_irq_out(src, 1));
    irq_raise(device_irq_out(src, 0));
    CHECK(ev_equals("irq:dst:2:1 irq:dst:2:0 irq:src:0:1"));

    device_unref(dst);          /* the wire keeps dst alive */
    settle();
    CHECK_EQ(object_count_live(), live + 2);
    CHECK_EQ(object_refcount(&dst->obj), 1);
    irq_lower(device_irq_out(src, 1));
    CHECK(ev_contains("irq:dst:2:0"));
    device_unref(src);          /* finalize disconnects, freeing dst too */
    settle();
    CHECK_EQ(object_count_live(), live);
    bql_unlock();
}

static IrqLine lines_in[NTHREADS], lines_out[NTHREADS], shared_in;
static unsigned start;          /* atomic: threads spin until set */

/* Each thread pulses its own line, then beats on the shared one. */
static void *pulser(void *arg)
{
    IrqLine *out = arg;

    while (!atomic_load_acquire(&start)) {
    }
    for (int i = 0; i < PULSES; i++) {
        irq_pulse(out);
        irq_set_level(&shared_in, i & 1);
    }
    return NULL;
}

static void test_threads(void)
{
    pthread_t t[NTHREADS];

    bql_lock();
    irq_init_in(&shared_in, counting_handler, NULL, 0, NULL);
    for (int i = 0; i < NTHREADS; i++) {
        irq_init_in(&lines_in[i], sink_handler, &sink, i, NULL);
        irq_init_out(&lines_out[i], NULL);
        irq_connect(&lines_out[i], &lines_in[i]);
    }
    bql_unlock();
    for (int i = 0; i < NTHREADS; i++) {
        CHECK(!pthread_create(&t[i], NULL, pulser, &lines_out[i]));
    }
    atomic_store_release(&start, 1);
    for (int i = 0; i < NTHREADS; i++) {
        pthread_join(t[i], NULL);
    }
    for (int i = 0; i < NTHREADS; i++) {
        CHECK_EQ(sink.rises[i], PULSES);
        CHECK_EQ(sink.calls[i], 2 * PULSES);
        CHECK_EQ(sink.level[i], 0);
    }
    CHECK_EQ(atomic_read(&raises), NTHREADS * PULSES / 2);
    CHECK_EQ(atomic_read(&lowers), NTHREADS * PULSES / 2);
    bql_lock();
    for (int i = 0; i < NTHREADS; i++) {
        irq_disconnect(&lines_out[i]);
    }
    bql_unlock();
}

int main(void)
{
    RUN(test_wiring);
    RUN(test_device_lines);
    RUN(test_threads);
    return 0;
}
