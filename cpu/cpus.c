/* vCPU threads: creation, the run loop, kicks, halt, pause and resume.
 *
 * One iteration of the loop (cpu_loop_once):
 *   1. clear exit_request, then look at why we might have been kicked;
 *   2. report an RCU quiescent state if a grace period waits for one;
 *   3. under the BQL: acknowledge a stop request, run queued work;
 *   4. if the CPU cannot run (stopped, or halted without work), sleep on
 *      cpu->cond, RCU-offline;
 *   5. otherwise run guest code: cpu_exec_start, ops->exec, cpu_exec_end.
 * The BQL is taken only in step 3, and only when there is something to do.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>

#include "cpu/cpu-internal.h"
#include "system/bql.h"
#include "util/compiler.h"
#include "util/rcu.h"

__thread CPUState *current_cpu;

/* Both with the BQL: a vCPU was created or exited; a vCPU stopped. */
static pthread_cond_t cpus_state_cond = PTHREAD_COND_INITIALIZER;
static pthread_cond_t cpus_pause_cond = PTHREAD_COND_INITIALIZER;

static pthread_once_t cpus_once = PTHREAD_ONCE_INIT;

bool cpu_rcu_offline_before_blocking(void)
{
    if (weft_rcu_thread_registered() && weft_rcu_thread_online() &&
        !weft_rcu_in_read_section()) {
        weft_rcu_go_offline();
        return true;
    }
    return false;
}

void cpu_rcu_online_after_blocking(bool was_offlined)
{
    if (was_offlined) {
        weft_rcu_go_online();
    }
}

/* ---- signals */

static void sig_ipi_handler(int sig)
{
    /* Nothing: delivery alone interrupts the blocking system call. */
    (void)sig;
}

/* Everything blocked but SIG_IPI and the synchronous fault signals (those
 * cannot be usefully blocked: a fault with them blocked kills the process
 * without the sanitizers' or a future SIGSEGV handler's say). */
static void cpu_thread_set_sigmask(void)
{
    static const int faults[] = {
        SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS,
    };
    sigset_t set;

    sigfillset(&set);
    sigdelset(&set, SIG_IPI);
    for (unsigned i = 0; i < ARRAY_SIZE(faults); i++) {
        sigdelset(&set, faults[i]);
    }
    pthread_sigmask(SIG_SETMASK, &set, NULL);
}

/* ---- RCU */

/* The RCU kicker thread calls this over and over while a grace period is
 * pending.  Only exit_request: an online vCPU then reports at its next TB
 * boundary; halted and stopped vCPUs are offline and need nothing. */
static void cpus_rcu_kick(void)
{
    pthread_mutex_lock(&cpu_list_lock);
    for (int i = 0; i < cpu_index_limit(); i++) {
        CPUState *cpu = cpu_by_index(i);

        if (cpu) {
            cpu_exit(cpu);
        }
    }
    pthread_mutex_unlock(&cpu_list_lock);
}

static void cpus_init_once(void)
{
    struct sigaction sa = { .sa_handler = sig_ipi_handler };

    /* No SA_RESTART: the point is to make the system call return. */
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIG_IPI, &sa, NULL) < 0) {
        perror("weft: sigaction(SIG_IPI)");
        abort();
    }
    weft_rcu_set_kick_hook(cpus_rcu_kick);
}

static void cpu_report_quiescent_state(CPUState *cpu)
{
    if (weft_rcu_quiescent_state_wanted()) {
        /* Count first: once reported, the grace period may end and a
         * test may look at the counter. */
        atomic_store_release(&cpu->qs_reports, cpu->qs_reports + 1);
        weft_rcu_quiescent_state();
    }
}

/* ---- kicks */

void cpu_kick(CPUState *cpu)
{
    cpu_exit(cpu);
    /* Under cpu->lock, so a vCPU between its idle check and its wait
     * cannot miss it. */
    pthread_mutex_lock(&cpu->lock);
    pthread_cond_broadcast(&cpu->cond);
    pthread_mutex_unlock(&cpu->lock);
    if (cpu->ops->kick) {
        cpu->ops->kick(cpu);
    }
}

void cpu_kick_signal(CPUState *cpu)
{
    /* cpu->thread is published by `created`; after `exited` the thread
     * may be gone. */
    if (atomic_load_acquire(&cpu->created) &&
        !atomic_load_acquire(&cpu->exited)) {
        pthread_kill(cpu->thread, SIG_IPI);
    }
}

void cpu_interrupt(CPUState *cpu, uint32_t mask)
{
    atomic_fetch_or(&cpu->interrupt_request, mask);
    cpu_kick(cpu);
}

void cpu_reset_interrupt(CPUState *cpu, uint32_t mask)
{
    atomic_fetch_and(&cpu->interrupt_request, ~mask);
}

/* ---- the loop */

static bool cpu_has_work(CPUState *cpu)
{
    if (cpu->ops->has_work) {
        return cpu->ops->has_work(cpu);
    }
    return atomic_read(&cpu->interrupt_request) != 0;
}

/* Things the loop handles under the BQL. */
static bool cpu_events_pending(CPUState *cpu)
{
    return atomic_read(&cpu->stop) || atomic_read(&cpu->exit_thread) ||
           cpu_work_pending(cpu);
}

static bool cpu_can_run(CPUState *cpu)
{
    if (atomic_read(&cpu->stopped)) {
        return false;
    }
    return !atomic_read(&cpu->halted) || cpu_has_work(cpu);
}

/* Sleeps until the CPU may run or has an event.  Offline meanwhile: a
 * sleeping vCPU holds up no grace period. */
static void cpu_idle_wait(CPUState *cpu)
{
    weft_rcu_go_offline();
    pthread_mutex_lock(&cpu->lock);
    while (!cpu_events_pending(cpu) && !cpu_can_run(cpu)) {
        pthread_cond_wait(&cpu->cond, &cpu->lock);
    }
    pthread_mutex_unlock(&cpu->lock);
    weft_rcu_go_online();
}

/* BQL held. */
static void cpu_set_stopped(CPUState *cpu)
{
    assert(bql_locked());
    atomic_set(&cpu->stop, false);
    atomic_set(&cpu->stopped, true);
    pthread_cond_broadcast(&cpus_pause_cond);
}

/* Returns true if the thread must exit: decided under the BQL, together
 * with closing the work queue. */
static bool cpu_handle_events(CPUState *cpu)
{
    bool exit;

    bql_lock();
    if (atomic_read(&cpu->stop)) {
        cpu_set_stopped(cpu);
    }
    cpu_process_work(cpu);
    exit = atomic_read(&cpu->exit_thread);
    if (exit) {
        /* Still under the BQL that run_on_cpu queues under: every
         * synchronous item queued so far has run. */
        cpu->work_closed = true;
    }
    bql_unlock();
    return exit;
}

static void cpu_handle_exec_result(CPUState *cpu, int r)
{
    switch (r) {
    case CPU_EXEC_EXIT:
        break;
    case CPU_EXEC_HALTED:
        atomic_set(&cpu->halted, true);
        break;
    case CPU_EXEC_STOP:
        bql_lock();
        cpu_set_stopped(cpu);
        bql_unlock();
        break;
    default:
        fprintf(stderr, "weft: %s: bad exec result %d\n", cpu->ops->name, r);
        abort();
    }
}

/* Returns false when the thread must exit. */
static bool cpu_loop_once(CPUState *cpu)
{
    int r;

    /* Clear, then look at the reasons.  A kick that lands after the clear
     * makes exec return at its first TB entry; one that landed before was
     * store-released after its reason, which this exchange acquires. */
    atomic_xchg(&cpu->exit_request, 0);
    cpu_report_quiescent_state(cpu);

    if (cpu_events_pending(cpu) && cpu_handle_events(cpu)) {
        return false;
    }
    if (!cpu_can_run(cpu)) {
        cpu_idle_wait(cpu);
        return true;
    }
    if (atomic_read(&cpu->halted)) {
        atomic_set(&cpu->halted, false);   /* has_work() said so */
    }

    cpu_exec_start(cpu);
    r = cpu->ops->exec(cpu);
    cpu_exec_end(cpu);
    assert(!weft_rcu_in_read_section());
    cpu_handle_exec_result(cpu, r);
    return true;
}

/* Sets created or exited and wakes whoever waits for it (BQL cond). */
static void cpu_publish_flag(bool *flag)
{
    bql_lock();
    atomic_store_release(flag, true);
    pthread_cond_broadcast(&cpus_state_cond);
    bql_unlock();
}

static void *cpu_thread_main(void *opaque)
{
    CPUState *cpu = opaque;
    char name[16];

    current_cpu = cpu;
    cpu->thread = pthread_self();   /* published by `created` */
    cpu_thread_set_sigmask();
    snprintf(name, sizeof(name), "vcpu%d", cpu->index);
    pthread_setname_np(pthread_self(), name);
    weft_rcu_register_thread();
    if (cpu->ops->thread_init) {
        cpu->ops->thread_init(cpu);
    }
    cpu_publish_flag(&cpu->created);

    while (cpu_loop_once(cpu)) {
    }

    if (cpu->ops->thread_exit) {
        cpu->ops->thread_exit(cpu);
    }
    weft_rcu_unregister_thread();
    cpu_publish_flag(&cpu->exited);
    current_cpu = NULL;
    return NULL;
}

/* ---- lifecycle */

static void cpu_init_sync(CPUState *cpu)
{
    pthread_mutex_init(&cpu->lock, NULL);
    pthread_cond_init(&cpu->cond, NULL);
    pthread_mutex_init(&cpu->work_lock, NULL);
}

static void cpu_destroy_sync(CPUState *cpu)
{
    pthread_mutex_destroy(&cpu->lock);
    pthread_cond_destroy(&cpu->cond);
    pthread_mutex_destroy(&cpu->work_lock);
}

bool cpu_create(CPUState *cpu, const AccelOps *ops, Error **errp)
{
    sigset_t all, old;
    pthread_t thread;
    int err;

    assert(bql_locked() && !current_cpu);
    assert(ops && ops->exec);
    assert(!cpu->created && !cpu->work_first);
    pthread_once(&cpus_once, cpus_init_once);

    cpu->ops = ops;
    cpu->stopped = true;
    cpu_init_sync(cpu);
    if (!cpu_list_add(cpu)) {
        cpu_destroy_sync(cpu);
        error_setg(errp, "too many vCPUs (at most %d)", CPU_MAX);
        return false;
    }

    /* The thread starts with every signal blocked and opens SIG_IPI
     * itself, so no signal reaches it half set up. */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    err = pthread_create(&thread, NULL, cpu_thread_main, cpu);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (err) {
        cpu_list_remove(cpu);
        cpu_destroy_sync(cpu);
        error_setg_errno(errp, err, "cannot create the thread of vCPU %d",
                         cpu->index);
        return false;
    }
    while (!atomic_load_acquire(&cpu->created)) {
        bql_cond_wait(&cpus_state_cond);
    }
    return true;
}

bool cpu_is_stopped(CPUState *cpu)
{
    return atomic_read(&cpu->stopped);
}

bool all_vcpus_paused(void)
{
    CPUState *cpu;

    CPU_FOREACH(cpu) {
        if (!cpu_is_stopped(cpu)) {
            return false;
        }
    }
    return true;
}

void pause_all_vcpus(void)
{
    CPUState *cpu;

    assert(bql_locked() && !current_cpu && !cpu_in_exclusive_section());
    CPU_FOREACH(cpu) {
        if (!cpu_is_stopped(cpu)) {
            atomic_set(&cpu->stop, true);
            cpu_kick(cpu);
        }
    }
    while (!all_vcpus_paused()) {
        bql_cond_wait(&cpus_pause_cond);
    }
}

void resume_all_vcpus(void)
{
    CPUState *cpu;

    assert(bql_locked());
    CPU_FOREACH(cpu) {
        atomic_set(&cpu->stop, false);
        atomic_set(&cpu->stopped, false);
        cpu_kick(cpu);
    }
}

void cpus_start_all(void)
{
    resume_all_vcpus();
}

void cpus_stop_and_join_all(void)
{
    CPUState *cpu;

    assert(bql_locked() && !current_cpu);
    CPU_FOREACH(cpu) {
        atomic_set(&cpu->exit_thread, true);
        cpu_kick(cpu);
    }
    CPU_FOREACH(cpu) {
        while (!atomic_load_acquire(&cpu->exited)) {
            bql_cond_wait(&cpus_state_cond);
        }
    }
    /* Each thread released the BQL for the last time before we could
     * see `exited`: joining with it held cannot deadlock. */
    CPU_FOREACH(cpu) {
        pthread_join(cpu->thread, NULL);
        cpu_list_remove(cpu);
        cpu_drop_work(cpu);
        cpu_destroy_sync(cpu);
    }
}
