/* The QSBR protocol of vCPU threads: online in guest code, a quiescent
 * state only when a grace period wants one, offline while sleeping. */
#include <pthread.h>
#include <stdlib.h>

#include "fake-accel.h"
#include "system/bql.h"

static unsigned long sum_qs(FakeCPU *cpus, int n)
{
    unsigned long sum = 0;

    for (int i = 0; i < n; i++) {
        sum += atomic_read(&cpus[i].parent.qs_reports);
    }
    return sum;
}

static unsigned long sum_execs(FakeCPU *cpus, int n)
{
    unsigned long sum = 0;

    for (int i = 0; i < n; i++) {
        sum += atomic_read(&cpus[i].execs);
    }
    return sum;
}

/* With no grace period pending, vCPUs leave exec thousands of times and
 * report nothing; one grace period makes every spinning vCPU report. */
static void test_qs_only_when_wanted(void)
{
    const int n = 4;
    FakeCPU *cpus;
    unsigned long qs0, execs0, qs1, execs1;

    fake_box_init();
    cpus = fake_cpus_create(n, 64, 0, &fake_ops);
    fake_cpus_start();
    for (int i = 0; i < n; i++) {
        WAIT_FOR(atomic_read(&cpus[i].tbs) > 0, 5000);
    }
    weft_rcu_barrier();
    usleep(50 * 1000);  /* a report decided just before the barrier lands */

    qs0 = sum_qs(cpus, n);
    execs0 = sum_execs(cpus, n);
    usleep(200 * 1000);
    qs1 = sum_qs(cpus, n);
    execs1 = sum_execs(cpus, n);
    printf("# quiet: %lu exec calls, %lu reports\n", execs1 - execs0,
           qs1 - qs0);
    CHECK(execs1 - execs0 > 10u * n);
    /* At most one report per vCPU decided before the window began. */
    CHECK(qs1 - qs0 <= (unsigned long)n);

    fake_box_replace();
    weft_rcu_barrier();
    CHECK_EQ(fake_box_retired(), 1);
    for (int i = 0; i < n; i++) {
        CHECK(atomic_read(&cpus[i].parent.qs_reports) > 0);
    }
    fake_cpus_destroy(cpus);
    fake_box_fini();
}

/* vCPUs spin in exec until kicked (slice 0).  In the first phase nothing
 * else kicks them: grace periods complete only because the RCU kick hook
 * sets exit_request and each vCPU reports at its next TB boundary.  In
 * the second, vCPUs also halt, wake, pause and resume.  No retired box is
 * ever read (poison check in every TB). */
static void test_writer(void)
{
    const int n = 8, updates = 1500, quiet_updates = 500;
    FakeCPU *cpus;
    unsigned long gps0 = weft_rcu_grace_periods();

    fake_box_init();
    cpus = fake_cpus_create(n, 0, 1u << 7, &fake_ops);
    for (int i = 0; i < n; i++) {
        cpus[i].halt_after_irq = true;
    }
    fake_cpus_start();
    for (int i = 0; i < n - 1; i++) {
        WAIT_FOR(atomic_read(&cpus[i].tbs) > 0, 5000);
    }
    for (int u = 1; u <= updates; u++) {
        fake_box_replace();
        if (u % 50 == 0) {
            usleep(1000);
        }
        if (u == quiet_updates) {
            weft_rcu_barrier();
            CHECK_EQ(fake_box_retired(), quiet_updates);
            for (int i = 0; i < n - 1; i++) {
                CHECK(atomic_read(&cpus[i].req_exits) > 0);
                CHECK(atomic_read(&cpus[i].parent.qs_reports) > 0);
            }
        }
        if (u > quiet_updates && u % 300 == 0) {
            bql_lock();
            pause_all_vcpus();
            resume_all_vcpus();
            bql_unlock();
        }
        if (u > quiet_updates && u % 200 == 0) {
            cpu_interrupt(&cpus[7].parent, FAKE_IRQ);
        }
    }
    weft_rcu_barrier();
    CHECK_EQ(fake_box_retired(), updates);
    CHECK(weft_rcu_grace_periods() > gps0);
    for (int i = 0; i < n - 1; i++) {
        CHECK(atomic_read(&cpus[i].tbs) > 0);
    }
    CHECK(atomic_read(&cpus[7].irqs_taken) > 0);
    printf("# %d updates, %lu grace periods, %lu reports\n", updates,
           weft_rcu_grace_periods() - gps0, sum_qs(cpus, n));
    fake_cpus_destroy(cpus);
    fake_box_fini();
}

/* Everything at once for a while: a writer thread, exclusive sections and
 * run_on_cpu from vCPUs, halts and interrupts, pause/resume. */
#define SN 6
static FakeCPU *scpus;
static bool stress_stop;
static unsigned long stress_items;

static void item_count(CPUState *cpu, void *data)
{
    CHECK(current_cpu == cpu && bql_locked());
    atomic_fetch_inc(&stress_items);
}

static bool hook_stress(FakeCPU *f)
{
    unsigned long k = atomic_read(&f->hook_calls);
    int i = f->parent.index;

    if (k % 1000 == 0) {
        fake_block_begin();
        start_exclusive();
        CHECK_EQ(SC_LOAD(&fake_in_exec), 0);
        end_exclusive();
        fake_block_end();
        return true;
    }
    if (k % 300 == 0 && i + 1 < SN) {
        fake_block_begin();
        bql_lock();
        run_on_cpu(&scpus[i + 1].parent, item_count, NULL);
        bql_unlock();
        fake_block_end();
        return true;
    }
    if (k % 700 == 0) {
        async_run_on_cpu(&scpus[(i + 3) % SN].parent, item_count, NULL);
        atomic_set(&f->halt_request, true);
        cpu_interrupt(&scpus[(i + 1) % SN].parent, FAKE_IRQ);
    }
    return false;
}

static void *stress_writer(void *arg)
{
    unsigned long n = 0;

    while (!atomic_load_acquire(&stress_stop)) {
        fake_box_replace();
        if (++n % 20 == 0) {
            usleep(500);
        }
    }
    return (void *)n;
}

static void test_stress(void)
{
    pthread_t writer;
    void *updates;
    int64_t end;

    fake_box_init();
    scpus = fake_cpus_create(SN, 128, 0, &fake_ops);
    for (int i = 0; i < SN; i++) {
        scpus[i].halt_after_irq = (i % 2) == 0;
    }
    atomic_store_release(&fake_tb_hook, hook_stress);
    fake_cpus_start();
    pthread_create(&writer, NULL, stress_writer, NULL);
    end = now_ns() + 1500 * 1000000LL;
    for (int r = 0; now_ns() < end; r++) {
        usleep(2000);
        for (int i = 0; i < SN; i++) {
            cpu_interrupt(&scpus[i].parent, FAKE_IRQ);
        }
        if (r % 10 == 0) {
            bql_lock();
            pause_all_vcpus();
            CHECK_EQ(SC_LOAD(&fake_in_exec), 0);
            resume_all_vcpus();
            bql_unlock();
        } else if (r % 10 == 5) {
            start_exclusive();
            CHECK_EQ(SC_LOAD(&fake_in_exec), 0);
            end_exclusive();
        }
    }
    atomic_store_release(&stress_stop, true);
    pthread_join(writer, &updates);
    weft_rcu_barrier();
    CHECK_EQ(fake_box_retired(), (unsigned long)updates);
    printf("# stress: %lu updates, %lu TBs, %lu items\n",
           (unsigned long)updates, fake_sum_tbs(scpus, SN),
           atomic_read(&stress_items));
    CHECK(atomic_read(&stress_items) > 0);
    fake_cpus_destroy(scpus);
    fake_box_fini();
}

int main(void)
{
    alarm(50);      /* below the Meson timeout: a hang fails with SIGALRM */
    RUN(test_qs_only_when_wanted);
    RUN(test_writer);
    RUN(test_stress);
    return 0;
}
