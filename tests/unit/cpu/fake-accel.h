/* A test accelerator for the vCPU framework.  Its exec() runs fake
 * translation blocks: each checks exit_request at entry like generated
 * code would, spins a little, validates RCU-protected boxes it holds for
 * the whole exec call, and bumps counters the tests look at. */
#ifndef TESTS_UNIT_CPU_FAKE_ACCEL_H
#define TESTS_UNIT_CPU_FAKE_ACCEL_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "cpu/cpu.h"
#include "test.h"
#include "util/compiler.h"
#include "util/rcu.h"

#define FAKE_IRQ CPU_INTERRUPT_HARD

typedef struct FakeCPU {
    CPUState parent;
    /* Set by the test (before start, or atomically while running). */
    unsigned slice;             /* TBs per exec call; 0: until kicked */
    bool halt_request;          /* one-shot: halt at the next TB */
    bool halt_after_irq;        /* go back to halt after taking an IRQ */
    bool stop_request;          /* one-shot: return CPU_EXEC_STOP */
    /* Counters, atomic, written by the vCPU thread. */
    unsigned long tbs;          /* TBs started */
    unsigned long execs;        /* exec calls started */
    unsigned long req_exits;    /* exec returns because of exit_request */
    unsigned long tb_at_req_exit;  /* tbs at the last such return */
    unsigned long irqs_taken;
    unsigned long halts;
    unsigned long hook_calls;
    bool in_exec;
    bool init_ran, exit_ran;
    bool sigmask_ok;            /* thread_init saw the expected mask */
} FakeCPU;

static inline FakeCPU *fake_cpu(CPUState *cs)
{
    return container_of(cs, FakeCPU, parent);
}

/* RCU-protected object with a poison check. */
typedef struct Box {
    unsigned magic;
    unsigned long seq;
    RcuHead rcu;
    struct Box *retired_next;
} Box;
#define BOX_LIVE 0x600df00du
#define BOX_DEAD 0xdeadbeefu

extern const AccelOps fake_ops;        /* the fake-TB accelerator */
extern const AccelOps fake_sleep_ops;  /* exec sleeps in nanosleep */
extern unsigned fake_in_exec;          /* vCPUs inside exec, atomic */
extern Box *fake_box;                  /* RCU pointer; NULL: not used */
/* Called by a vCPU at each fake TB when set (atomic pointer).  Returns
 * true if it may have blocked (bql_lock, run_on_cpu, start_exclusive):
 * the vCPU may have gone RCU-offline, so the TB drops the boxes it held. */
typedef bool FakeTBHook(FakeCPU *f);
extern FakeTBHook *fake_tb_hook;

/* Creates n vCPUs (BQL taken inside); presets halted for those with
 * halted_mask bit set.  They start stopped. */
FakeCPU *fake_cpus_create(int n, unsigned slice, unsigned halted_mask,
                          const AccelOps *ops);
void fake_cpus_start(void);
void fake_cpus_destroy(FakeCPU *cpus);

/* Writer side of fake_box. */
void fake_box_init(void);
void fake_box_replace(void);     /* publishes a new box, retires the old */
unsigned long fake_box_retired(void);
void fake_box_fini(void);        /* after the vCPUs are gone */

unsigned long fake_sum_tbs(FakeCPU *cpus, int n);
int64_t now_ns(void);
/* Thread CPU time of a vCPU thread, ns. */
int64_t fake_thread_cpu_ns(CPUState *cs);

/* Around a call that suspends the vCPU inside exec (start_exclusive,
 * run_on_cpu on another vCPU): it then counts as out of guest code, so
 * fake_in_exec counts only vCPUs that may run TBs. */
static inline void fake_block_begin(void)
{
    atomic_fetch_dec(&fake_in_exec);
}
static inline void fake_block_end(void)
{
    atomic_fetch_inc(&fake_in_exec);
}

#define WAIT_FOR(cond, ms) do {                                           \
        int64_t wait_deadline_ = now_ns() + (int64_t)(ms) * 1000000;      \
        while (!(cond)) {                                                 \
            if (now_ns() > wait_deadline_) {                              \
                fprintf(stderr, "%s:%d: timeout waiting for %s\n",        \
                        __FILE__, __LINE__, #cond);                       \
                exit(1);                                                  \
            }                                                             \
            usleep(100);                                                  \
        }                                                                 \
    } while (0)

#define SC_LOAD(p) __atomic_load_n((p), __ATOMIC_SEQ_CST)

#endif
