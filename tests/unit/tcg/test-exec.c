/* The whole pipeline on the toy guest: translate, chain, run through the
 * execution loop; exceptions with precise pcs; MMIO; self-modifying code;
 * goto_ptr; automatic flush when the code cache fills up; kicks from
 * another thread landing within one block; real vCPU threads running
 * while the main thread flushes the code cache. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "system/bql.h"
#include "test.h"
#include "toy.h"
#include "util/rcu.h"

#define I TOY_INSN

static ToyCPU *cpu;

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void reset_cpu(ToyCPU *c, uint64_t pc)
{
    memset(c->env.regs, 0, sizeof(c->env.regs));
    c->env.pc = pc;
    c->env.trap_count = 0;
    c->env.trap_vector = 0;
    atomic_set(&c->parent.exit_request, 0);
}

/* sum 1..r2 into r3 */
static const uint32_t sum_loop[] = {
    I(TOY_ADDI, 3, 0, 0),
    I(TOY_ADDI, 1, 0, 0),
    I(TOY_ADDI, 1, 1, 1),       /* loop: */
    I(TOY_ADD, 3, 1, 0),
    I(TOY_BNE, 1, 2, -2),
    I(TOY_HALT, 0, 0, 0),
};

static void test_loop_and_chaining(void)
{
    uint64_t base = TOY_RAM_BASE;
    unsigned long chains = atomic_read(&tcg_stats.chains);
    unsigned long execs;

    toy_load(base, sum_loop, ARRAY_SIZE(sum_loop));
    reset_cpu(cpu, base);
    cpu->env.regs[2] = 1000;
    CHECK_EQ(toy_run(cpu), CPU_EXEC_STOP);
    CHECK_EQ(cpu->env.regs[3], 500500);
    CHECK_EQ(cpu->env.pc, base + 20);       /* the HALT */
    CHECK(atomic_read(&tcg_stats.chains) > chains);

    /* Second run: all blocks exist and the loop is chained to itself, so
     * the execution loop enters few blocks for 1000 iterations. */
    reset_cpu(cpu, base);
    cpu->env.regs[2] = 1000;
    execs = cpu->env.tcg.tb_execs;
    CHECK_EQ(toy_run(cpu), CPU_EXEC_STOP);
    CHECK_EQ(cpu->env.regs[3], 500500);
    CHECK(cpu->env.tcg.tb_execs - execs <= 4);
}

static void test_performance(void)
{
    uint64_t base = TOY_RAM_BASE + 0x1000;
#ifdef WEFT_TSAN
    const uint64_t n = 200000;
#else
    const uint64_t n = 20000000;
#endif
    double t;

    toy_load(base, sum_loop, ARRAY_SIZE(sum_loop));
    reset_cpu(cpu, base);
    cpu->env.regs[2] = 10;
    CHECK_EQ(toy_run(cpu), CPU_EXEC_STOP);      /* translate and chain */
    reset_cpu(cpu, base);
    cpu->env.regs[2] = n;
    t = now_s();
    CHECK_EQ(toy_run(cpu), CPU_EXEC_STOP);
    t = now_s() - t;
    CHECK_EQ(cpu->env.regs[3], n * (n + 1) / 2);
    /* per iteration: 3 guest insns; threaded ops: add, add, brcond,
     * goto_tb, prologue */
    printf("# loop: %.0f M guest insns/s, %.0f M threaded ops/s\n",
           3 * n / t / 1e6, 5 * n / t / 1e6);
}

static void test_exceptions(void)
{
    uint64_t base = TOY_RAM_BASE + 0x2000, bad = 0x90000000ull;
    const uint32_t prog[] = {
        I(TOY_ADDI, 1, 0, 5),
        I(TOY_ADDI, 2, 0, 6),
        I(TOY_FAULT, 0, 0, 0),      /* +8 */
        I(TOY_ADDI, 3, 0, 7),
        I(TOY_LD, 4, 5, 0),         /* +16: r5 unmapped */
        I(TOY_ADDI, 6, 0, 8),
        I(TOY_LDA, 4, 7, 0),        /* +24: r7 misaligned */
        I(TOY_HALT, 0, 0, 0),
    };

    toy_mmu_reset();
    toy_unmap_page(bad);
    toy_load(base, prog, ARRAY_SIZE(prog));
    reset_cpu(cpu, base);
    cpu->env.regs[4] = 0x4444;
    cpu->env.regs[5] = bad + 8;
    cpu->env.regs[7] = TOY_RAM_BASE + 0x3003;
    CHECK_EQ(toy_run(cpu), CPU_EXEC_STOP);
    CHECK_EQ(cpu->env.trap_count, 3);
    /* ops before the fault in the same block ran, ops after it too once
     * the handler resumed after the faulting insn */
    CHECK_EQ(cpu->env.regs[1], 5);
    CHECK_EQ(cpu->env.regs[2], 6);
    CHECK_EQ(cpu->env.regs[3], 7);
    CHECK_EQ(cpu->env.regs[6], 8);
    CHECK_EQ(cpu->env.regs[4], 0x4444);      /* faulting loads wrote nothing */
    CHECK_EQ(cpu->env.trap_cause, TOY_EXCP_ALIGN);
    CHECK_EQ(cpu->env.trap_pc, base + 24);
    CHECK_EQ(cpu->env.trap_addr, TOY_RAM_BASE + 0x3003);

    /* check the first two traps one at a time with a vector that halts */
    toy_load(TOY_RAM_BASE + 0x2800, (uint32_t[]){ I(TOY_HALT, 0, 0, 0) }, 1);
    reset_cpu(cpu, base);
    cpu->env.trap_vector = TOY_RAM_BASE + 0x2800;
    CHECK_EQ(toy_run(cpu), CPU_EXEC_STOP);
    CHECK_EQ(cpu->env.trap_cause, TOY_EXCP_FAULT);
    CHECK_EQ(cpu->env.trap_pc, base + 8);
    CHECK_EQ(cpu->env.regs[3], 0);
    reset_cpu(cpu, base + 12);
    cpu->env.regs[5] = bad + 8;
    cpu->env.trap_vector = TOY_RAM_BASE + 0x2800;
    CHECK_EQ(toy_run(cpu), CPU_EXEC_STOP);
    CHECK_EQ(cpu->env.trap_cause, TOY_EXCP_LOAD);
    CHECK_EQ(cpu->env.trap_pc, base + 16);
    CHECK_EQ(cpu->env.trap_addr, bad + 8);
    CHECK_EQ(cpu->env.regs[3], 7);
    toy_mmu_reset();
    tlb_flush(&cpu->parent);
}

static void test_mmio(void)
{
    uint64_t base = TOY_RAM_BASE + 0x4000;
    const uint32_t prog[] = {
        I(TOY_LD, 6, 7, 0x10),
        I(TOY_ST, 8, 7, 0x20),
        I(TOY_LD, 9, 10, 0),        /* RAM: no I/O */
        I(TOY_HALT, 0, 0, 0),
    };
    unsigned long reads = toy_mmio_reads, writes = toy_mmio_writes;

    toy_load(base, prog, ARRAY_SIZE(prog));
    reset_cpu(cpu, base);
    cpu->env.regs[7] = TOY_MMIO_BASE;
    cpu->env.regs[8] = 0xabcdef;
    cpu->env.regs[10] = TOY_RAM_BASE + 0x4800;
    memcpy(toy_ram + 0x4800, "\x11\x22\x33\x44\x55\x66\x77\x88", 8);
    CHECK_EQ(toy_run(cpu), CPU_EXEC_STOP);
    CHECK_EQ(cpu->env.regs[6], 0x1000 + 0x10 + 8);
    CHECK_EQ(toy_mmio_reads, reads + 1);
    CHECK_EQ(toy_mmio_writes, writes + 1);
    CHECK_EQ(toy_mmio_last_addr, TOY_MMIO_BASE + 0x20);
    CHECK_EQ(toy_mmio_last_val, 0xabcdef);
    CHECK_EQ(cpu->env.regs[9], 0x8877665544332211ull);
}

/* A guest store into a page with translated code invalidates it, whether
 * the store's TLB entry was filled before or after the code appeared. */
static void test_self_modifying_code(void)
{
    uint64_t p = TOY_RAM_BASE + 0x6000, q = TOY_RAM_BASE + 0x7000;
    const uint32_t target[] = { I(TOY_ADDI, 1, 0, 1), I(TOY_HALT, 0, 0, 0) };
    const uint32_t poke_data[] = {
        I(TOY_ST, 0, 10, 0x100),        /* data store into page p */
        I(TOY_HALT, 0, 0, 0),
    };
    const uint32_t patch_and_jump[] = {
        I(TOY_STW, 11, 10, 0),          /* rewrite p's first insn */
        I(TOY_JR, 0, 10, 0),
    };
    unsigned long inval = atomic_read(&tcg_stats.invalidations);

    toy_load(p, target, 2);
    toy_load(q, poke_data, 2);
    toy_load(q + 0x100, patch_and_jump, 2);

    reset_cpu(cpu, q);                  /* write entry for p, no code yet */
    cpu->env.regs[10] = p;
    CHECK_EQ(toy_run(cpu), CPU_EXEC_STOP);
    CHECK(!tb_page_has_code(p));

    reset_cpu(cpu, p);                  /* translate p */
    CHECK_EQ(toy_run(cpu), CPU_EXEC_STOP);
    CHECK_EQ(cpu->env.regs[1], 1);
    CHECK(tb_page_has_code(p));

    reset_cpu(cpu, q + 0x100);
    cpu->env.regs[10] = p;
    cpu->env.regs[11] = I(TOY_ADDI, 1, 0, 2);
    CHECK_EQ(toy_run(cpu), CPU_EXEC_STOP);
    CHECK_EQ(cpu->env.regs[1], 2);      /* the new code ran */
    CHECK(atomic_read(&tcg_stats.invalidations) > inval);
    CHECK(tcg_softmmu_stats.code_writes > 0);
}

static void test_goto_ptr(void)
{
    uint64_t base = TOY_RAM_BASE + 0x8000;
    const uint32_t prog[] = {
        I(TOY_ADDI, 1, 1, 1),
        I(TOY_BNE, 1, 2, 2),
        I(TOY_HALT, 0, 0, 0),
        I(TOY_JR, 0, 10, 0),
    };
    unsigned long execs;

    toy_load(base, prog, ARRAY_SIZE(prog));
    reset_cpu(cpu, base);
    cpu->env.regs[2] = 200;
    cpu->env.regs[10] = base;
    execs = cpu->env.tcg.tb_execs;
    CHECK_EQ(toy_run(cpu), CPU_EXEC_STOP);
    CHECK_EQ(cpu->env.regs[1], 200);
    /* JR found its target without going back to the loop */
    CHECK(cpu->env.tcg.tb_execs - execs < 20);
}

/* 3000 distinct blocks in a cache of 256 KiB: translation fills it and
 * flushes it (synchronously here: this thread is no vCPU) and carries
 * on. */
static void test_auto_flush(void)
{
    uint64_t base = TOY_RAM_BASE + 0x10000;
    const unsigned n = 3000;
    unsigned flushes = tb_flush_count();
    uint32_t *prog = calloc(2 * n + 1, 4);

    for (unsigned i = 0; i < n; i++) {
        prog[2 * i] = I(TOY_ADDI, 1, 1, 1);
        prog[2 * i + 1] = I(TOY_JMP, 0, 0, 1);
    }
    prog[2 * n] = I(TOY_HALT, 0, 0, 0);
    toy_load(base, prog, 2 * n + 1);
    reset_cpu(cpu, base);
    CHECK_EQ(toy_run(cpu), CPU_EXEC_STOP);
    CHECK_EQ(cpu->env.regs[1], n);
    CHECK(tb_flush_count() > flushes);
    reset_cpu(cpu, base);
    CHECK_EQ(toy_run(cpu), CPU_EXEC_STOP);
    CHECK_EQ(cpu->env.regs[1], n);
    free(prog);
}

/* ---- kicks from another thread */

typedef struct Runner {
    ToyCPU *cpu;
    int result;
    pthread_t thread;
} Runner;

static void *runner_main(void *arg)
{
    Runner *r = arg;

    weft_rcu_register_thread();
    r->result = toy_run(r->cpu);
    weft_rcu_unregister_thread();
    return NULL;
}

static void test_kick_lands_within_one_tb(void)
{
    uint64_t base = TOY_RAM_BASE + 0x9000;
    const uint32_t prog[] = { I(TOY_TICK, 0, 0, 0), I(TOY_JMP, 0, 0, -1) };
    ToyCPU *c = toy_cpu_new();
    unsigned long worst = 0;

    toy_load(base, prog, ARRAY_SIZE(prog));
    c->env.pc = base;
    for (int k = 0; k < 50; k++) {
        Runner r = { .cpu = c };
        unsigned long t0, t1, execs = c->env.tcg.tb_execs;

        atomic_set(&c->parent.exit_request, 0);
        CHECK(!pthread_create(&r.thread, NULL, runner_main, &r));
        t0 = atomic_read(&c->env.ticks);
        while (atomic_read(&c->env.ticks) < t0 + 2000) {
        }
        /* seq_cst exchange: the request is globally visible before we
         * read the tick counter */
        atomic_xchg(&c->parent.exit_request, 1);
        t1 = atomic_read(&c->env.ticks);
        pthread_join(r.thread, NULL);
        CHECK_EQ(r.result, CPU_EXEC_EXIT);
        worst = MAX(worst, atomic_read(&c->env.ticks) - t1);
        /* the loop block is chained to itself: the request was seen by
         * a block prologue, not by the execution loop */
        CHECK(c->env.tcg.tb_execs - execs <= 3);
        CHECK(c->env.tcg.tb_exit_requests > 0);
        CHECK_EQ(c->env.pc, base);
    }
    printf("# worst ticks after a kick: %lu\n", worst);
    CHECK(worst <= 2);
    toy_cpu_free(c);
}

/* ---- real vCPU threads (cpu/ framework) while the code cache is
 * flushed from the main thread inside exclusive sections */

static void tcg_thread_init(CPUState *cs)
{
}

static const AccelOps toy_accel = {
    .name = "tcg-toy",
    .thread_init = tcg_thread_init,
    .exec = tcg_cpu_exec,
};

static void test_vcpus_and_flush(void)
{
    uint64_t base = TOY_RAM_BASE + 0xa000;
    const uint32_t prog[] = {
        I(TOY_TICK, 0, 0, 0),
        I(TOY_ADDI, 1, 1, 1),
        I(TOY_JMP, 0, 0, 1),
        I(TOY_ADDI, 2, 2, 1),
        I(TOY_JMP, 0, 0, -4),
    };
    enum { N = 2 };
    ToyCPU *c[N];
    unsigned flushes = tb_flush_count();

    toy_load(base, prog, ARRAY_SIZE(prog));
    bql_lock();
    for (int i = 0; i < N; i++) {
        c[i] = toy_cpu_new();
        c[i]->env.pc = base;
        CHECK(cpu_create(&c[i]->parent, &toy_accel, NULL));
    }
    cpus_start_all();
    bql_unlock();
    for (int round = 0; round < 20; round++) {
        for (int i = 0; i < N; i++) {
            unsigned long t = atomic_read(&c[i]->env.ticks);

            while (atomic_read(&c[i]->env.ticks) < t + 100) {
                usleep(100);
            }
        }
        tb_flush(NULL);
    }
    CHECK(tb_flush_count() >= flushes + 20);
    bql_lock();
    cpus_stop_and_join_all();
    bql_unlock();
    for (int i = 0; i < N; i++) {
        /* both counters advanced together: no block ran half-flushed */
        CHECK(c[i]->env.regs[1] - c[i]->env.regs[2] <= 1);
        CHECK(c[i]->env.regs[1] >= 2000);
        toy_cpu_free(c[i]);
    }
}

int main(void)
{
    toy_init(256 << 10);
    weft_rcu_register_thread();
    cpu = toy_cpu_new();
    RUN(test_loop_and_chaining);
    RUN(test_performance);
    RUN(test_exceptions);
    RUN(test_mmio);
    RUN(test_self_modifying_code);
    RUN(test_goto_ptr);
    RUN(test_auto_flush);
    RUN(test_kick_lands_within_one_tb);
    RUN(test_vcpus_and_flush);
    toy_cpu_free(cpu);
    weft_rcu_unregister_thread();
    return 0;
}
