/* vCPU threads: lifecycle, kicks, halt, pause/resume. */
#include <pthread.h>
#include <stdlib.h>

#include "fake-accel.h"
#include "system/bql.h"

/* Threads start stopped; start, run, stop and join 1..8 vCPUs on however
 * many host cores there are. */
static void test_lifecycle(void)
{
    static const int counts[] = { 1, 2, 4, 8 };

    for (unsigned k = 0; k < ARRAY_SIZE(counts); k++) {
        int n = counts[k];
        FakeCPU *cpus = fake_cpus_create(n, 32, 0, &fake_ops);

        CHECK_EQ(cpu_index_limit(), n);
        for (int i = 0; i < n; i++) {
            CPUState *cs = &cpus[i].parent;

            CHECK(atomic_read(&cpus[i].init_ran));
            CHECK(atomic_read(&cpus[i].sigmask_ok));
            CHECK(cpu_is_stopped(cs));
            CHECK(cpu_by_index(i) == cs);
        }
        bql_lock();
        CHECK(all_vcpus_paused());
        bql_unlock();
        usleep(20 * 1000);
        CHECK_EQ(fake_sum_tbs(cpus, n), 0);     /* created stopped */

        fake_cpus_start();
        for (int i = 0; i < n; i++) {
            WAIT_FOR(atomic_read(&cpus[i].tbs) > 100, 10000);
            CHECK(!cpu_is_stopped(&cpus[i].parent));
        }
        fake_cpus_destroy(cpus);
    }
}

/* exit_request is seen at the next TB entry: after cpu_kick() returns, at
 * most the TB already past its check runs to completion. */
static void test_kick_latency(void)
{
    const int n = 4, kicks = 200;
    FakeCPU *cpus = fake_cpus_create(n, 0, 0, &fake_ops);
    int64_t worst = 0;

    fake_cpus_start();
    for (int k = 0; k < kicks; k++) {
        FakeCPU *f = &cpus[k % n];
        unsigned long execs = atomic_read(&f->execs);
        unsigned long exits, tbs_after_kick;
        int64_t t0;

        /* Kick inside an exec call, not between two (where the loop
         * would rightly swallow a kick that has no reason). */
        WAIT_FOR(SC_LOAD(&f->tbs) > 0 && SC_LOAD(&f->in_exec), 5000);
        exits = SC_LOAD(&f->req_exits);
        t0 = now_ns();
        cpu_kick(&f->parent);
        tbs_after_kick = SC_LOAD(&f->tbs);
        WAIT_FOR(SC_LOAD(&f->req_exits) > exits, 5000);
        worst = MAX(worst, now_ns() - t0);
        CHECK(SC_LOAD(&f->tb_at_req_exit) <= tbs_after_kick + 1);
        WAIT_FOR(atomic_read(&f->execs) > execs, 5000);
    }
    printf("# kick: worst exit latency %" PRId64 " us\n", worst / 1000);
    CHECK(worst < 2000 * 1000000LL);
    fake_cpus_destroy(cpus);
}

/* An accelerator sleeping in the host leaves early only thanks to
 * ops->kick = cpu_kick_signal (SIG_IPI interrupts the sleep). */
static void test_kick_signal(void)
{
    const int kicks = 10;
    FakeCPU *cpus = fake_cpus_create(1, 0, 0, &fake_sleep_ops);
    FakeCPU *f = &cpus[0];
    int fast = 0;

    fake_cpus_start();
    for (int k = 0; k < kicks; k++) {
        unsigned long exits = SC_LOAD(&f->req_exits);
        int64_t t0;

        WAIT_FOR(SC_LOAD(&f->execs) > (unsigned long)k &&
                 SC_LOAD(&f->in_exec), 5000);
        usleep(2000);   /* let it reach nanosleep */
        t0 = now_ns();
        cpu_kick(&f->parent);
        WAIT_FOR(SC_LOAD(&f->req_exits) > exits, 5000);
        if (now_ns() - t0 < 100 * 1000000LL) {    /* the sleep is 200 ms */
            fast++;
        }
    }
    printf("# kick signal: %d of %d fast, %lu sleeps interrupted\n",
           fast, kicks, atomic_read(&f->irqs_taken));
    CHECK(fast >= kicks / 2);
    CHECK(atomic_read(&f->irqs_taken) >= (unsigned long)kicks / 2);
    fake_cpus_destroy(cpus);
}

static bool all_halted(FakeCPU *cpus, int n)
{
    for (int i = 0; i < n; i++) {
        if (!cpu_is_halted(&cpus[i].parent)) {
            return false;
        }
    }
    return true;
}

/* Halted vCPUs sleep (no CPU time, also while grace periods run and
 * while they are kicked), and cpu_interrupt wakes exactly the target. */
static void test_halt(void)
{
    const int n = 4;
    FakeCPU *cpus = fake_cpus_create(n, 32, 0x3, &fake_ops);
    int64_t cpu0[n];
    unsigned long execs0[n];

    for (int i = 0; i < n; i++) {
        cpus[i].halt_after_irq = true;
    }
    fake_cpus_start();
    WAIT_FOR(atomic_read(&cpus[2].tbs) > 0 && atomic_read(&cpus[3].tbs) > 0,
             5000);
    CHECK_EQ(atomic_read(&cpus[0].execs), 0);      /* preset halted */
    atomic_set(&cpus[2].halt_request, true);
    atomic_set(&cpus[3].halt_request, true);
    WAIT_FOR(all_halted(cpus, n), 5000);
    usleep(20 * 1000);

    for (int i = 0; i < n; i++) {
        cpu0[i] = fake_thread_cpu_ns(&cpus[i].parent);
        execs0[i] = atomic_read(&cpus[i].execs);
    }
    for (int k = 0; k < 20; k++) {
        weft_synchronize_rcu();         /* halted vCPUs are offline */
        cpu_kick(&cpus[k % n].parent);  /* a kick with no work: no exec */
        usleep(20 * 1000);
    }
    for (int i = 0; i < n; i++) {
        int64_t used = fake_thread_cpu_ns(&cpus[i].parent) - cpu0[i];

        /* A sleeper wakes 5 times for the kicks: microseconds.  A spinner
         * gets a fair share of 400 ms on even a loaded host. */
        printf("# halted vCPU %d: %" PRId64 " us CPU in 400 ms\n", i,
               used / 1000);
        CHECK(used < 5 * 1000000LL);
        CHECK_EQ(atomic_read(&cpus[i].execs), execs0[i]);
        CHECK(cpu_is_halted(&cpus[i].parent));
    }

    for (int i = 0; i < n; i++) {
        cpu_interrupt(&cpus[i].parent, FAKE_IRQ);
        WAIT_FOR(atomic_read(&cpus[i].irqs_taken) == 1, 5000);
        for (int j = i + 1; j < n; j++) {
            CHECK_EQ(atomic_read(&cpus[j].irqs_taken), 0);
        }
        WAIT_FOR(cpu_is_halted(&cpus[i].parent), 5000);
    }
    fake_cpus_destroy(cpus);
}

/* pause_all/resume_all, over and over, with one vCPU halted: paused means
 * out of guest code and not moving; resumed means every runnable vCPU
 * moves again and the halted one stays halted. */
static void test_pause_resume(void)
{
    const int n = 6, rounds = 40;
    FakeCPU *cpus = fake_cpus_create(n, 64, 1u << (n - 1), &fake_ops);
    unsigned long before[n];

    fake_cpus_start();
    for (int r = 0; r < rounds; r++) {
        unsigned long tbs;

        bql_lock();
        pause_all_vcpus();
        CHECK(all_vcpus_paused());
        CHECK_EQ(SC_LOAD(&fake_in_exec), 0);
        tbs = fake_sum_tbs(cpus, n);
        bql_unlock();
        if (r % 8 == 0) {
            weft_synchronize_rcu();     /* paused vCPUs are offline */
        }
        usleep(1000);
        CHECK_EQ(fake_sum_tbs(cpus, n), tbs);
        for (int i = 0; i < n; i++) {
            CHECK(cpu_is_stopped(&cpus[i].parent));
            before[i] = atomic_read(&cpus[i].tbs);
        }

        bql_lock();
        resume_all_vcpus();
        CHECK(!all_vcpus_paused());
        bql_unlock();
        for (int i = 0; i < n - 1; i++) {
            WAIT_FOR(atomic_read(&cpus[i].tbs) > before[i], 5000);
        }
    }
    CHECK(cpu_is_halted(&cpus[n - 1].parent));
    CHECK_EQ(atomic_read(&cpus[n - 1].execs), 0);
    fake_cpus_destroy(cpus);
}

/* A vCPU that stops itself (CPU_EXEC_STOP) stays stopped while the
 * others run, until the next resume_all_vcpus(). */
static void test_self_stop(void)
{
    FakeCPU *cpus = fake_cpus_create(3, 32, 0, &fake_ops);
    unsigned long tbs0, tbs1;

    fake_cpus_start();
    WAIT_FOR(atomic_read(&cpus[0].tbs) > 0, 5000);
    atomic_set(&cpus[0].stop_request, true);
    WAIT_FOR(cpu_is_stopped(&cpus[0].parent), 5000);
    tbs0 = atomic_read(&cpus[0].tbs);
    tbs1 = atomic_read(&cpus[1].tbs);
    WAIT_FOR(atomic_read(&cpus[1].tbs) > tbs1 + 1000, 5000);
    CHECK_EQ(atomic_read(&cpus[0].tbs), tbs0);
    bql_lock();
    CHECK(!all_vcpus_paused());
    pause_all_vcpus();
    resume_all_vcpus();
    bql_unlock();
    WAIT_FOR(atomic_read(&cpus[0].tbs) > tbs0, 5000);
    fake_cpus_destroy(cpus);
}

/* vCPUs that never started stop and join. */
static void test_never_started(void)
{
    FakeCPU *cpus = fake_cpus_create(3, 32, 0, &fake_ops);

    usleep(5000);
    CHECK_EQ(fake_sum_tbs(cpus, 3), 0);
    fake_cpus_destroy(cpus);
}

int main(void)
{
    alarm(50);      /* below the Meson timeout: a hang fails with SIGALRM */
    RUN(test_lifecycle);
    RUN(test_kick_latency);
    RUN(test_kick_signal);
    RUN(test_halt);
    RUN(test_pause_resume);
    RUN(test_self_stop);
    RUN(test_never_started);
    return 0;
}
