/* The execution loop: find or translate the next block, chain it to the
 * previous one, run it, and handle why it stopped.
 *
 * Kicks: cpu_exit() sets exit_request, which every block checks in its
 * prologue (threaded backend: the prologue op), so a request lands within
 * one block even when blocks jump to each other directly.  The loop also
 * checks it before each lookup.  exit_request is never cleared here: the
 * vCPU loop (cpu/cpus.c) clears it before looking at the reasons.
 *
 * Exceptions: helpers and softmmu slow paths set exception_index and the
 * block returns TB_EXIT_NOCHAIN with fault_pc set; the guest state is
 * restored from the faulting instruction's insn_start data, then the
 * architecture delivers the exception (do_interrupt).  Generic codes
 * (EXCP_HLT, EXCP_DEBUG, EXCP_INTERRUPT) end the exec call instead.
 */
#include <inttypes.h>

#include "tcg/tb.h"
#include "tcg/tcg.h"
#include "util/log.h"

/* goto_ptr: the next block's code, NULL to return to the loop. */
const void *tcg_lookup_tb_code(CPUState *cpu);

const void *tcg_lookup_tb_code(CPUState *cpu)
{
    TranslationBlock *tb;
    uint64_t pc, cs_base;
    uint32_t flags;

    tcg_cpu_ops->get_tb_cpu_state(cpu, &pc, &cs_base, &flags);
    tb = tb_lookup(cpu, pc, cs_base, flags);
    return tb ? tb->tc_ptr : NULL;
}

/* Returns a CPU_EXEC_* code to leave with, or -1 to carry on. */
static int handle_exception(CPUState *cpu, TCGCPUState *ts)
{
    int excp = ts->exception_index;

    if (excp <= EXCP_ARCH_MAX) {
        log_mask_printf(LOG_INT, "cpu%d: exception %d\n", cpu->index, excp);
        tcg_cpu_ops->do_interrupt(cpu);
        ts->exception_index = EXCP_NONE;
        return -1;
    }
    ts->exception_index = EXCP_NONE;
    switch (excp) {
    case EXCP_HLT:
        return CPU_EXEC_HALTED;
    case EXCP_DEBUG:
        return CPU_EXEC_STOP;
    default:
        return CPU_EXEC_EXIT;
    }
}

/* Finds or translates the block for the current state; NULL if an
 * exception is pending or the code cache was flushed. */
static TranslationBlock *next_tb(CPUState *cpu)
{
    TranslationBlock *tb;
    uint64_t pc, cs_base;
    uint32_t flags;

    tcg_cpu_ops->get_tb_cpu_state(cpu, &pc, &cs_base, &flags);
    tb = tb_lookup(cpu, pc, cs_base, flags);
    if (!tb && tcg_cpu_state(cpu)->exception_index == EXCP_NONE) {
        tb = tb_gen_code(cpu, pc, cs_base, flags, 0);
    }
    return tb;
}

/* Runs tb (and whatever it chains to); returns the block it left from
 * and the exit code. */
static TranslationBlock *run_tb(CPUState *cpu, TCGCPUState *ts,
                                TranslationBlock *tb, int *exit_code)
{
    uintptr_t ret;
    TranslationBlock *last;

    log_mask_printf(LOG_EXEC, "Trace cpu%d: %p [%016" PRIx64 "]\n",
                    cpu->index, tb->tc_ptr, tb->pc);
    ts->tb_execs++;
    ret = tcg_backend->exec(cpu, tb->tc_ptr);
    last = (TranslationBlock *)(ret & ~(uintptr_t)TB_EXIT_MASK);
    *exit_code = (int)(ret & TB_EXIT_MASK);
    if (*exit_code == TB_EXIT_REQUESTED) {
        ts->tb_exit_requests++;
        tcg_cpu_ops->synchronize_from_tb(cpu, last);
    } else if (*exit_code == TB_EXIT_NOCHAIN && ts->fault_pc) {
        tb_restore_state(cpu, last, ts->fault_pc);
        ts->fault_pc = 0;
    }
    return last;
}

int tcg_cpu_exec(CPUState *cpu)
{
    TCGCPUState *ts = tcg_cpu_state(cpu);
    TranslationBlock *last_tb = NULL;
    unsigned flush_gen = tb_flush_count();
    int last_exit = 0;

    for (;;) {
        TranslationBlock *tb;
        uint32_t irq;

        if (ts->exception_index != EXCP_NONE) {
            int r = handle_exception(cpu, ts);

            last_tb = NULL;
            if (r >= 0) {
                return r;
            }
        }
        if (atomic_load_acquire(&cpu->exit_request)) {
            return CPU_EXEC_EXIT;
        }
        irq = atomic_read(&cpu->interrupt_request);
        if (irq && tcg_cpu_ops->cpu_exec_interrupt &&
            tcg_cpu_ops->cpu_exec_interrupt(cpu, irq)) {
            last_tb = NULL;
            continue;       /* the state changed, maybe an exception */
        }
        tb = next_tb(cpu);
        if (!tb) {
            last_tb = NULL;
            continue;       /* exception pending, or flush requested */
        }
        if (tb_flush_count() != flush_gen) {
            flush_gen = tb_flush_count();
            last_tb = NULL;
        }
        if (last_tb) {
            tb_add_jump(last_tb, last_exit, tb);
        }
        last_tb = run_tb(cpu, ts, tb, &last_exit);
        if (last_exit > TB_EXIT_IDX1) {
            last_tb = NULL;
        }
    }
}
