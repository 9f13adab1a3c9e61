/* run_on_cpu, async_run_on_cpu, async_safe_run_on_cpu. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include "fake-accel.h"
#include "system/bql.h"

/* A work item runs on the target's thread, with the BQL, outside exec. */
static void check_item_context(CPUState *cpu)
{
    CHECK(current_cpu == cpu);
    CHECK(pthread_equal(pthread_self(), cpu->thread));
    CHECK(bql_locked());
    CHECK(!atomic_read(&fake_cpu(cpu)->in_exec));
}

static void item_count(CPUState *cpu, void *data)
{
    check_item_context(cpu);
    atomic_fetch_inc((unsigned long *)data);
}

/* From the main thread, on running, halted and paused vCPUs. */
static void test_sync_from_main(void)
{
    const int n = 4, rounds = 300;
    FakeCPU *cpus = fake_cpus_create(n, 32, 1u << 3, &fake_ops);

    fake_cpus_start();
    bql_lock();
    for (int k = 0; k < rounds; k++) {
        unsigned long ran = 0;

        if (k == rounds / 3) {
            pause_all_vcpus();
        } else if (k == 2 * rounds / 3) {
            resume_all_vcpus();
        }
        run_on_cpu(&cpus[k % n].parent, item_count, &ran);
        CHECK_EQ(ran, 1);
    }
    bql_unlock();
    /* The halted vCPU ran its items without running guest code. */
    CHECK(cpu_is_halted(&cpus[3].parent));
    CHECK_EQ(atomic_read(&cpus[3].execs), 0);
    fake_cpus_destroy(cpus);
}

/* On the vCPU's own thread run_on_cpu calls the function directly: from a
 * work item and from inside exec. */
static unsigned long direct_calls;

static void item_direct(CPUState *cpu, void *data)
{
    bool *in_exec = data;

    CHECK(current_cpu == cpu && bql_locked());
    CHECK_EQ(atomic_read(&fake_cpu(cpu)->in_exec), *in_exec);
    atomic_fetch_inc(&direct_calls);
}

static void item_nested(CPUState *cpu, void *data)
{
    static bool no = false;
    unsigned long before = atomic_read(&direct_calls);

    run_on_cpu(cpu, item_direct, &no);
    CHECK_EQ(atomic_read(&direct_calls), before + 1);
}

static bool hook_self(FakeCPU *f)
{
    static bool yes = true;
    unsigned long before;

    if (f->parent.index != 0 || atomic_read(&f->hook_calls) % 64) {
        return false;
    }
    before = atomic_read(&direct_calls);
    bql_lock();
    run_on_cpu(&f->parent, item_direct, &yes);
    bql_unlock();
    CHECK_EQ(atomic_read(&direct_calls), before + 1);
    return true;
}

static void test_run_self(void)
{
    FakeCPU *cpus = fake_cpus_create(2, 32, 0, &fake_ops);
    unsigned long ran = 0;

    fake_cpus_start();
    bql_lock();
    run_on_cpu(&cpus[1].parent, item_nested, NULL);
    bql_unlock();
    CHECK_EQ(atomic_read(&direct_calls), 1);

    atomic_store_release(&fake_tb_hook, hook_self);
    WAIT_FOR(atomic_read(&direct_calls) > 20, 10000);
    atomic_store_release(&fake_tb_hook, NULL);
    bql_lock();
    run_on_cpu(&cpus[0].parent, item_count, &ran);   /* hook has finished */
    bql_unlock();
    CHECK_EQ(ran, 1);
    fake_cpus_destroy(cpus);
}

/* Async items of one producer run in order, on running, halted and
 * paused vCPUs alike, from two producers at once. */
#define ORDER_CPUS 4
#define ORDER_ITEMS 3000

static unsigned long last_seq[ORDER_CPUS][2];   /* vCPU thread only */
static unsigned long order_ran;

static void item_order(CPUState *cpu, void *data)
{
    uintptr_t v = (uintptr_t)data;
    unsigned producer = v & 1;
    unsigned long seq = v >> 1;

    check_item_context(cpu);
    CHECK(seq > last_seq[cpu->index][producer]);
    last_seq[cpu->index][producer] = seq;
    atomic_fetch_inc(&order_ran);
}

static FakeCPU *order_cpus;

static void queue_ordered(unsigned producer)
{
    for (uintptr_t seq = 1; seq <= ORDER_ITEMS; seq++) {
        CPUState *cpu = &order_cpus[seq % ORDER_CPUS].parent;

        async_run_on_cpu(cpu, item_order, (void *)(seq << 1 | producer));
    }
}

static void *order_producer(void *arg)
{
    queue_ordered(1);
    return NULL;
}

static void test_async_order(void)
{
    pthread_t t;

    order_cpus = fake_cpus_create(ORDER_CPUS, 32, 1u << 2, &fake_ops);
    fake_cpus_start();
    pthread_create(&t, NULL, order_producer, NULL);
    queue_ordered(0);
    bql_lock();
    pause_all_vcpus();
    bql_unlock();
    pthread_join(t, NULL);
    WAIT_FOR(atomic_load_acquire(&order_ran) == 2 * ORDER_ITEMS, 10000);
    bql_lock();
    resume_all_vcpus();
    bql_unlock();
    for (int i = 0; i < ORDER_CPUS; i++) {
        CHECK(last_seq[i][0] > 0 && last_seq[i][1] > 0);
    }
    fake_cpus_destroy(order_cpus);
}

/* vCPUs call run_on_cpu on other vCPUs from inside exec (a chain
 * 0 -> 1 -> 2 -> 3, never a cycle) and async_run_on_cpu, while the main
 * thread starts exclusive sections and pauses: nothing deadlocks. */
#define CHAIN 4
static FakeCPU *chain_cpus;
static unsigned long chain_sync[CHAIN], chain_async[CHAIN];
static bool chain_shutdown;

static bool hook_chain(FakeCPU *f)
{
    int i = f->parent.index;
    unsigned long before;

    if (i == CHAIN - 1 || atomic_read(&f->hook_calls) % 128) {
        return false;
    }
    async_run_on_cpu(&chain_cpus[(i + 2) % CHAIN].parent, item_count,
                     &chain_async[(i + 2) % CHAIN]);
    before = atomic_read(&chain_sync[i + 1]);
    fake_block_begin();
    bql_lock();
    run_on_cpu(&chain_cpus[i + 1].parent, item_count, &chain_sync[i + 1]);
    /* At shutdown the target may have closed its queue. */
    CHECK(atomic_read(&chain_sync[i + 1]) > before ||
          atomic_read(&chain_shutdown));
    bql_unlock();
    fake_block_end();
    return true;
}

static void test_from_vcpus(void)
{
    int64_t end;
    int rounds = 0;

    chain_cpus = fake_cpus_create(CHAIN, 32, 0, &fake_ops);
    atomic_store_release(&fake_tb_hook, hook_chain);
    fake_cpus_start();
    end = now_ns() + 1000 * 1000000LL;
    while (now_ns() < end || rounds < 20) {
        start_exclusive();
        CHECK_EQ(SC_LOAD(&fake_in_exec), 0);
        end_exclusive();
        if (++rounds % 5 == 0) {
            bql_lock();
            pause_all_vcpus();
            resume_all_vcpus();
            bql_unlock();
        }
        usleep(1000);
    }
    WAIT_FOR(atomic_read(&chain_sync[CHAIN - 1]) > 0, 10000);
    for (int i = 1; i < CHAIN; i++) {
        printf("# vCPU %d: %lu sync, %lu async items from other vCPUs\n",
               i, atomic_read(&chain_sync[i]), atomic_read(&chain_async[i]));
        CHECK(atomic_read(&chain_sync[i]) > 0);
    }
    fake_cpus_destroy(chain_cpus);
}

/* Stopping the threads while vCPUs run_on_cpu each other: a vCPU whose
 * target already ran its last items does not wait forever. */
static void test_shutdown_busy(void)
{
    atomic_set(&chain_shutdown, true);
    for (int r = 0; r < 10; r++) {
        chain_cpus = fake_cpus_create(CHAIN, 8, 0, &fake_ops);
        atomic_store_release(&fake_tb_hook, hook_chain);
        fake_cpus_start();
        usleep(10 * 1000);
        bql_lock();
        cpus_stop_and_join_all();
        bql_unlock();
        fake_cpus_destroy(chain_cpus);
    }
}

/* Safe work runs with every vCPU out of guest code and without the BQL,
 * in queue order with the normal items around it. */
static unsigned long safe_seq[CHAIN];      /* vCPU thread only */

static void item_safe(CPUState *cpu, void *data)
{
    CHECK(current_cpu == cpu && !bql_locked());
    CHECK_EQ(SC_LOAD(&fake_in_exec), 0);
    CHECK_EQ((uintptr_t)data, safe_seq[cpu->index] + 1);
    atomic_store_release(&safe_seq[cpu->index], safe_seq[cpu->index] + 1);
}

static void item_seq(CPUState *cpu, void *data)
{
    check_item_context(cpu);
    CHECK_EQ((uintptr_t)data, safe_seq[cpu->index] + 1);
    atomic_store_release(&safe_seq[cpu->index], safe_seq[cpu->index] + 1);
}

static void test_safe_work(void)
{
    const uintptr_t items = 200;
    FakeCPU *cpus = fake_cpus_create(CHAIN, 0, 0, &fake_ops);

    fake_cpus_start();
    for (uintptr_t seq = 1; seq <= items; seq++) {
        for (int i = 0; i < CHAIN; i++) {
            if (seq % 3 == 0) {
                async_safe_run_on_cpu(&cpus[i].parent, item_safe,
                                      (void *)seq);
            } else {
                async_run_on_cpu(&cpus[i].parent, item_seq, (void *)seq);
            }
        }
    }
    for (int i = 0; i < CHAIN; i++) {
        WAIT_FOR(atomic_load_acquire(&safe_seq[i]) == items, 10000);
    }
    fake_cpus_destroy(cpus);
}

int main(void)
{
    alarm(50);      /* below the Meson timeout: a hang fails with SIGALRM */
    RUN(test_sync_from_main);
    RUN(test_run_self);
    RUN(test_async_order);
    RUN(test_from_vcpus);
    RUN(test_shutdown_busy);
    RUN(test_safe_work);
    return 0;
}
