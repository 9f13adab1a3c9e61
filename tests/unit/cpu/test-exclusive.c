/* Exclusive sections: no vCPU in guest code while one is held, everyone
 * runs again after, from the main thread and from vCPUs inside exec. */
#include <pthread.h>
#include <stdlib.h>

#include "fake-accel.h"
#include "system/bql.h"

/* While exclusive: nobody inside exec and no TB starts. */
static void check_world_stopped(FakeCPU *cpus, int n, unsigned expect_in_exec)
{
    unsigned long tbs = fake_sum_tbs(cpus, n);
    int64_t end = now_ns() + 100 * 1000;

    do {
        CHECK_EQ(SC_LOAD(&fake_in_exec), expect_in_exec);
    } while (now_ns() < end);
    CHECK_EQ(fake_sum_tbs(cpus, n), tbs);
}

/* vCPUs take the BQL inside exec now and then (an MMIO access). */
static bool hook_bql(FakeCPU *f)
{
    if (atomic_read(&f->hook_calls) % 32) {
        return false;
    }
    bql_lock();
    bql_unlock();
    return true;
}

static void test_exclusive_main(void)
{
    const int n = 8, rounds = 150;
    FakeCPU *cpus = fake_cpus_create(n, 0, 1u << 7, &fake_ops);
    unsigned long seen[n];

    atomic_store_release(&fake_tb_hook, hook_bql);
    fake_cpus_start();
    for (int r = 0; r < rounds; r++) {
        if (r % 25 == 0) {
            for (int i = 0; i < n - 1; i++) {
                WAIT_FOR(atomic_read(&cpus[i].tbs) > (r ? seen[i] : 0), 5000);
                seen[i] = atomic_read(&cpus[i].tbs);
            }
        }
        start_exclusive();
        check_world_stopped(cpus, n, 0);
        if (r % 10 == 0) {
            bql_lock();     /* allowed inside */
            bql_unlock();
        }
        end_exclusive();
    }
    CHECK(cpu_is_halted(&cpus[n - 1].parent));
    fake_cpus_destroy(cpus);
}

/* The cpu_exec_start/cpu_exec_end handshake under fire: vCPUs leave exec
 * after every TB while sections come and go. */
static void test_exclusive_fast_exits(void)
{
    const int n = 4, rounds = 400;
    FakeCPU *cpus = fake_cpus_create(n, 1, 0, &fake_ops);

    fake_cpus_start();
    for (int r = 0; r < rounds; r++) {
        start_exclusive();
        CHECK_EQ(SC_LOAD(&fake_in_exec), 0);
        end_exclusive();
    }
    for (int i = 0; i < n; i++) {
        unsigned long tbs = atomic_read(&cpus[i].tbs);

        WAIT_FOR(atomic_read(&cpus[i].tbs) > tbs, 5000);
    }
    fake_cpus_destroy(cpus);
}

/* vCPUs start sections from inside exec (as an MMIO atomic would),
 * several at once, while the main thread does too and pauses. */
#define VN 4
static FakeCPU *vcpus;
static unsigned long sections[VN];

static bool hook_exclusive(FakeCPU *f)
{
    if (atomic_read(&f->hook_calls) % 200) {
        return false;
    }
    fake_block_begin();
    start_exclusive();
    CHECK(atomic_read(&f->in_exec));
    check_world_stopped(vcpus, VN, 0);
    atomic_fetch_inc(&sections[f->parent.index]);
    end_exclusive();
    fake_block_end();
    return true;
}

static void test_exclusive_from_vcpus(void)
{
    int64_t end;
    int rounds = 0;

    vcpus = fake_cpus_create(VN, 64, 0, &fake_ops);
    atomic_store_release(&fake_tb_hook, hook_exclusive);
    fake_cpus_start();
    end = now_ns() + 1000 * 1000000LL;
    while (now_ns() < end) {
        start_exclusive();
        check_world_stopped(vcpus, VN, 0);
        end_exclusive();
        if (++rounds % 10 == 0) {
            bql_lock();
            pause_all_vcpus();
            CHECK_EQ(SC_LOAD(&fake_in_exec), 0);
            resume_all_vcpus();
            bql_unlock();
        }
        usleep(500);
    }
    for (int i = 0; i < VN; i++) {
        WAIT_FOR(atomic_read(&sections[i]) > 0, 10000);
    }
    printf("# sections from vCPUs: %lu %lu %lu %lu, from main: %d\n",
           atomic_read(&sections[0]), atomic_read(&sections[1]),
           atomic_read(&sections[2]), atomic_read(&sections[3]), rounds);
    fake_cpus_destroy(vcpus);
}

/* Two non-vCPU threads compete for sections: they are serialised. */
static unsigned holders;

static void *competitor(void *arg)
{
    for (int r = 0; r < 200; r++) {
        start_exclusive();
        CHECK_EQ(atomic_fetch_inc(&holders), 0);
        CHECK_EQ(SC_LOAD(&fake_in_exec), 0);
        atomic_fetch_dec(&holders);
        end_exclusive();
    }
    return NULL;
}

static void test_exclusive_competing(void)
{
    FakeCPU *cpus = fake_cpus_create(2, 16, 0, &fake_ops);
    pthread_t t[2];

    fake_cpus_start();
    for (int i = 0; i < 2; i++) {
        pthread_create(&t[i], NULL, competitor, NULL);
    }
    for (int i = 0; i < 2; i++) {
        pthread_join(t[i], NULL);
    }
    fake_cpus_destroy(cpus);
}

int main(void)
{
    alarm(50);      /* below the Meson timeout: a hang fails with SIGALRM */
    RUN(test_exclusive_main);
    RUN(test_exclusive_fast_exits);
    RUN(test_exclusive_from_vcpus);
    RUN(test_exclusive_competing);
    return 0;
}
