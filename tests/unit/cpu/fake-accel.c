#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>

#include "fake-accel.h"
#include "system/bql.h"

unsigned fake_in_exec;
Box *fake_box;
FakeTBHook *fake_tb_hook;

#define HELD_BOXES 4

/* One fake TB: some work, the test hook, RCU reads.  Boxes read earlier in
 * this exec call stay in `held` and are checked at every TB: a QSBR reader
 * may keep them until it leaves exec. */
static void fake_tb(FakeCPU *f, Box **held, unsigned long n)
{
    FakeTBHook *hook = atomic_load_acquire(&fake_tb_hook);
    volatile unsigned sink = 0;

    for (unsigned i = 0; i < 64; i++) {
        sink = sink * 1103515245u + 12345u;
    }
    if (hook) {
        atomic_fetch_inc(&f->hook_calls);
        if (hook(f)) {
            for (int i = 0; i < HELD_BOXES; i++) {
                held[i] = NULL;
            }
        }
    }
    if (n % 16 == 0) {
        Box *b = weft_rcu_dereference(fake_box);

        held[(n / 16) % HELD_BOXES] = b;
    }
    for (int i = 0; i < HELD_BOXES; i++) {
        if (held[i]) {
            CHECK(atomic_read(&held[i]->magic) == BOX_LIVE);
        }
    }
}

static bool fake_take_irq(FakeCPU *f)
{
    CPUState *cs = &f->parent;

    if (!(atomic_read(&cs->interrupt_request) & FAKE_IRQ)) {
        return false;
    }
    cpu_reset_interrupt(cs, FAKE_IRQ);
    atomic_fetch_inc(&f->irqs_taken);
    return true;
}

static int fake_exec(CPUState *cs)
{
    FakeCPU *f = fake_cpu(cs);
    Box *held[HELD_BOXES] = { NULL };
    unsigned slice = atomic_read(&f->slice);
    int ret = CPU_EXEC_EXIT;

    CHECK(!bql_locked() && weft_rcu_thread_online());
    CHECK(current_cpu == cs && !cpu_is_halted(cs));
    atomic_fetch_inc(&f->execs);
    atomic_fetch_inc(&fake_in_exec);
    atomic_set(&f->in_exec, true);
    if (fake_take_irq(f) && atomic_read(&f->halt_after_irq)) {
        ret = CPU_EXEC_HALTED;
        goto out;
    }
    for (unsigned long n = 0;; n++) {
        /* TB entry: what generated code does. */
        if (SC_LOAD(&cs->exit_request)) {
            atomic_set(&f->tb_at_req_exit, SC_LOAD(&f->tbs));
            atomic_fetch_inc(&f->req_exits);
            break;
        }
        if (slice && n == slice) {
            break;
        }
        if (atomic_xchg(&f->halt_request, false)) {
            ret = CPU_EXEC_HALTED;
            break;
        }
        if (atomic_xchg(&f->stop_request, false)) {
            ret = CPU_EXEC_STOP;
            break;
        }
        atomic_fetch_inc(&f->tbs);
        fake_tb(f, held, n);
    }
out:
    if (ret == CPU_EXEC_HALTED) {
        atomic_fetch_inc(&f->halts);
    }
    atomic_set(&f->in_exec, false);
    atomic_fetch_dec(&fake_in_exec);
    return ret;
}

static bool fake_has_work(CPUState *cs)
{
    return atomic_read(&cs->interrupt_request) & FAKE_IRQ;
}

static void fake_thread_init(CPUState *cs)
{
    FakeCPU *f = fake_cpu(cs);
    sigset_t set;

    CHECK(current_cpu == cs);
    CHECK(weft_rcu_thread_registered());
    pthread_sigmask(SIG_BLOCK, NULL, &set);
    atomic_set(&f->sigmask_ok, sigismember(&set, SIGINT) &&
                               sigismember(&set, SIGTERM) &&
                               !sigismember(&set, SIG_IPI));
    atomic_set(&f->init_ran, true);
}

static void fake_thread_exit(CPUState *cs)
{
    CHECK(current_cpu == cs);
    atomic_set(&fake_cpu(cs)->exit_ran, true);
}

const AccelOps fake_ops = {
    .name = "fake",
    .thread_init = fake_thread_init,
    .thread_exit = fake_thread_exit,
    .exec = fake_exec,
    .has_work = fake_has_work,
};

/* Guest code that sleeps in the host, like KVM_RUN: only the kick signal
 * gets it out early. */
static int fake_sleep_exec(CPUState *cs)
{
    FakeCPU *f = fake_cpu(cs);

    atomic_fetch_inc(&f->execs);
    atomic_set(&f->in_exec, true);
    while (!SC_LOAD(&cs->exit_request)) {
        struct timespec ts = { 0, 200 * 1000 * 1000 };

        if (nanosleep(&ts, NULL) < 0) {
            CHECK(errno == EINTR);
            atomic_fetch_inc(&f->irqs_taken);   /* counts interruptions */
        }
    }
    atomic_set(&f->in_exec, false);
    atomic_fetch_inc(&f->req_exits);
    return CPU_EXEC_EXIT;
}

const AccelOps fake_sleep_ops = {
    .name = "fake-sleep",
    .thread_init = fake_thread_init,
    .exec = fake_sleep_exec,
    .kick = cpu_kick_signal,
};

FakeCPU *fake_cpus_create(int n, unsigned slice, unsigned halted_mask,
                          const AccelOps *ops)
{
    FakeCPU *cpus = calloc(n, sizeof(*cpus));

    CHECK(cpus);
    bql_lock();
    for (int i = 0; i < n; i++) {
        cpus[i].slice = slice;
        cpus[i].parent.halted = (halted_mask >> i) & 1;
        CHECK(cpu_create(&cpus[i].parent, ops, NULL));
        CHECK_EQ(cpus[i].parent.index, i);
    }
    bql_unlock();
    return cpus;
}

void fake_cpus_start(void)
{
    bql_lock();
    cpus_start_all();
    bql_unlock();
}

void fake_cpus_destroy(FakeCPU *cpus)
{
    atomic_store_release(&fake_tb_hook, NULL);
    bql_lock();
    cpus_stop_and_join_all();
    CHECK_EQ(cpu_index_limit(), 0);
    bql_unlock();
    CHECK_EQ(atomic_read(&fake_in_exec), 0);
    free(cpus);
}

/* Retired boxes are poisoned, not freed, until fake_box_fini(): a vCPU
 * that reads one sees the poison deterministically. */
static pthread_mutex_t retired_lock = PTHREAD_MUTEX_INITIALIZER;
static Box *retired;
static unsigned long retired_count;
static unsigned long box_seq;

static void box_retire(RcuHead *head)
{
    Box *b = container_of(head, Box, rcu);

    CHECK(atomic_read(&b->magic) == BOX_LIVE);
    atomic_set(&b->magic, BOX_DEAD);
    pthread_mutex_lock(&retired_lock);
    b->retired_next = retired;
    retired = b;
    retired_count++;
    pthread_mutex_unlock(&retired_lock);
}

static Box *box_new(void)
{
    Box *b = calloc(1, sizeof(*b));

    CHECK(b);
    b->magic = BOX_LIVE;
    b->seq = ++box_seq;
    return b;
}

void fake_box_init(void)
{
    CHECK(!fake_box);
    weft_rcu_assign_pointer(fake_box, box_new());
}

void fake_box_replace(void)
{
    Box *old = fake_box;

    weft_rcu_assign_pointer(fake_box, box_new());
    weft_call_rcu(&old->rcu, box_retire);
}

unsigned long fake_box_retired(void)
{
    unsigned long n;

    pthread_mutex_lock(&retired_lock);
    n = retired_count;
    pthread_mutex_unlock(&retired_lock);
    return n;
}

void fake_box_fini(void)
{
    Box *b = fake_box;

    weft_rcu_assign_pointer(fake_box, NULL);
    weft_rcu_barrier();
    free(b);
    pthread_mutex_lock(&retired_lock);
    while (retired) {
        b = retired;
        retired = b->retired_next;
        free(b);
    }
    retired_count = 0;
    pthread_mutex_unlock(&retired_lock);
}

unsigned long fake_sum_tbs(FakeCPU *cpus, int n)
{
    unsigned long sum = 0;

    for (int i = 0; i < n; i++) {
        sum += atomic_read(&cpus[i].tbs);
    }
    return sum;
}

int64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int64_t fake_thread_cpu_ns(CPUState *cs)
{
    clockid_t cid;
    struct timespec ts;

    CHECK(pthread_getcpuclockid(cs->thread, &cid) == 0);
    CHECK(clock_gettime(cid, &ts) == 0);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}
