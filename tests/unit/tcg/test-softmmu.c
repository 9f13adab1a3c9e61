/* The softmmu through qemu_ld/qemu_st ops of the threaded backend, with
 * the toy guest's fake tlb_fill: miss -> fill -> hit, flushes, aliases,
 * I/O pages, page-crossing accesses, faults, and writes to code pages. */
#include <string.h>

#include "test.h"
#include "toy.h"
#include "util/rcu.h"

static ToyCPU *cpu;
static uint64_t code_buf[1 << 14];

static TCGv R(int i)
{
    return toy_regs[i];
}

/* One access: r0 = [r1] (load) or [r1] = r2 (store).  Returns the
 * exception raised, EXCP_NONE if none. */
static int guest_access(bool store, unsigned mop, uint64_t addr, uint64_t val)
{
    static TranslationBlock tb;
    TCGCPUState *ts = &cpu->env.tcg;
    uintptr_t ret;

    tcg_func_start();
    tcg_gen_insn_start(0x1000, 0);
    if (store) {
        tcg_gen_qemu_st(R(2), R(1), 0, mop);
    } else {
        tcg_gen_qemu_ld(R(0), R(1), 0, mop);
    }
    tcg_gen_exit_tb(TB_EXIT_NOCHAIN);
    memset(&tb, 0, sizeof(tb));
    CHECK(tcg_backend->gen_code(tcg_ctx, &tb, code_buf, sizeof(code_buf)) > 0);
    cpu->env.regs[1] = addr;
    cpu->env.regs[2] = val;
    ts->exception_index = EXCP_NONE;
    ts->fault_pc = 0;
    ret = tcg_backend->exec(&cpu->parent, code_buf);
    CHECK_EQ(ret & TB_EXIT_MASK, TB_EXIT_NOCHAIN);
    CHECK((ret & ~(uintptr_t)TB_EXIT_MASK) == (uintptr_t)&tb);
    if (ts->exception_index != EXCP_NONE) {
        /* the fault is attributed to the access's instruction */
        CHECK(ts->fault_pc);
        cpu->env.pc = 0;
        CHECK(tb_restore_state(&cpu->parent, &tb, ts->fault_pc));
        CHECK_EQ(cpu->env.pc, 0x1000);
    }
    return ts->exception_index;
}

static uint64_t load(unsigned mop, uint64_t addr)
{
    CHECK_EQ(guest_access(false, mop, addr, 0), EXCP_NONE);
    return cpu->env.regs[0];
}

static void store(unsigned mop, uint64_t addr, uint64_t val)
{
    CHECK_EQ(guest_access(true, mop, addr, val), EXCP_NONE);
}

static unsigned long fills(void)
{
    return atomic_read(&tcg_softmmu_stats.fills);
}

static void test_miss_fill_hit(void)
{
    uint64_t a = TOY_RAM_BASE + 0x5000;
    unsigned long f;

    memcpy(toy_ram + 0x5000, "\x81\x82\x83\x84\x85\x86\x87\x88", 8);
    tlb_flush(&cpu->parent);
    f = fills();
    CHECK_EQ(load(MO_UQ, a), 0x8887868584838281ull);
    CHECK_EQ(fills(), f + 1);                      /* miss, fill */
    CHECK_EQ(load(MO_UB, a), 0x81);                /* hits */
    CHECK_EQ(load(MO_SB, a), 0xffffffffffffff81ull);
    CHECK_EQ(load(MO_UW, a + 2), 0x8483);
    CHECK_EQ(load(MO_SW, a + 2), 0xffffffffffff8483ull);
    CHECK_EQ(load(MO_UL, a + 4), 0x88878685);
    CHECK_EQ(load(MO_SL, a + 4), 0xffffffff88878685ull);
    store(MO_UW, a + 1, 0xbeef);
    CHECK_EQ(toy_ram[0x5001], 0xef);
    CHECK_EQ(toy_ram[0x5002], 0xbe);
    CHECK_EQ(fills(), f + 1);
    load(MO_UQ, a + TCG_PAGE_SIZE);                /* next page: fill */
    CHECK_EQ(fills(), f + 2);

    tlb_flush_page(&cpu->parent, a);
    load(MO_UQ, a);
    CHECK_EQ(fills(), f + 3);
    load(MO_UQ, a + TCG_PAGE_SIZE);                /* other page kept */
    CHECK_EQ(fills(), f + 3);
    tlb_flush_by_mmuidx(&cpu->parent, 1u << 1);    /* not our mmu index */
    load(MO_UQ, a);
    CHECK_EQ(fills(), f + 3);
    tlb_flush(&cpu->parent);
    load(MO_UQ, a);
    CHECK_EQ(fills(), f + 4);
}

static void test_alias_and_fault(void)
{
    uint64_t v = 0x40000000ull, p = TOY_RAM_BASE + 0x8000;

    toy_mmu_reset();
    toy_map_page(v, p);
    toy_unmap_page(v + TCG_PAGE_SIZE);
    tlb_flush(&cpu->parent);
    memcpy(toy_ram + 0x8010, "\x11\x22\x33\x44", 4);
    CHECK_EQ(load(MO_UL, v + 0x10), 0x44332211);
    store(MO_UL, v + 0x20, 0xcafef00d);
    CHECK_EQ(load(MO_UL, p + 0x20), 0xcafef00d);   /* through identity */

    cpu->env.regs[0] = 77;
    CHECK_EQ(guest_access(false, MO_UQ, v + TCG_PAGE_SIZE + 8, 0), TOY_EXCP_LOAD);
    CHECK_EQ(cpu->env.regs[0], 77);
    CHECK_EQ(guest_access(true, MO_UQ, v + TCG_PAGE_SIZE, 0), TOY_EXCP_STORE);
    /* a store crossing into the unmapped page writes nothing */
    memset(toy_ram + 0x8ffc, 0, 4);
    CHECK_EQ(guest_access(true, MO_UQ, v + TCG_PAGE_SIZE - 4, ~0ull),
             TOY_EXCP_STORE);
    CHECK_EQ(toy_ram[0x8ffc], 0);
    CHECK_EQ(cpu->env.trap_addr, v + TCG_PAGE_SIZE + 3);  /* last byte */
    /* alignment */
    CHECK_EQ(guest_access(false, MO_UL | MO_ALIGN, p + 0x22, 0), TOY_EXCP_ALIGN);
    CHECK_EQ(load(MO_UL, p + 0x22), 0xcafe);       /* unaligned allowed */
    toy_mmu_reset();
    tlb_flush(&cpu->parent);
}

static void test_page_crossing(void)
{
    uint64_t a = TOY_RAM_BASE + 0xa000 - 3;

    for (int i = 0; i < 8; i++) {
        toy_ram[0xa000 - 3 + i] = (uint8_t)(0xa0 + i);
    }
    CHECK_EQ(load(MO_UQ, a), 0xa7a6a5a4a3a2a1a0ull);
    CHECK_EQ(load(MO_SL, a + 1), 0xffffffffa4a3a2a1ull);
    store(MO_UQ, a, 0x0102030405060708ull);
    CHECK_EQ(toy_ram[0xa000 - 3], 0x08);
    CHECK_EQ(toy_ram[0xa000 + 4], 0x01);
}

static void test_mmio(void)
{
    unsigned long r = toy_mmio_reads, w = toy_mmio_writes;

    CHECK_EQ(load(MO_UL, TOY_MMIO_BASE + 0x40), 0x1000 + 0x40 + 4);
    CHECK_EQ(toy_mmio_reads, r + 1);
    CHECK_EQ(toy_mmio_last_addr, TOY_MMIO_BASE + 0x40);
    CHECK_EQ(load(MO_UB, TOY_MMIO_BASE + 0x41), 0x1000 + 0x41 + 1);
    CHECK_EQ(toy_mmio_reads, r + 2);       /* every access, not cached */
    store(MO_UW, TOY_MMIO_BASE + 0x8, 0x1234);
    CHECK_EQ(toy_mmio_writes, w + 1);
    CHECK_EQ(toy_mmio_last_val, 0x1234);
    /* nothing there: bus error */
    CHECK_EQ(guest_access(false, MO_UL, 0x20000000ull, 0), TOY_EXCP_LOAD);
}

/* A store into a page holding a translated block takes the slow path and
 * invalidates the block; afterwards the page is fast again. */
static void test_store_to_code_page(void)
{
    uint64_t p = TOY_RAM_BASE + 0xc000;
    uint32_t nop = TOY_INSN(TOY_NOP, 0, 0, 0);
    TranslationBlock *tb;
    unsigned long writes = tcg_softmmu_stats.code_writes;

    load(MO_UQ, p);                        /* TLB entry before the code */
    toy_load(p, (uint32_t[]){ nop, nop, TOY_INSN(TOY_HALT, 0, 0, 0) }, 3);
    cpu->env.pc = p;
    tb = tb_gen_code(&cpu->parent, p, 0, 0, 0);
    CHECK(tb && tb_page_has_code(p));
    store(MO_UL, p + 0x800, 1);            /* same page, not the block */
    CHECK(!tb_is_invalid(tb));
    CHECK_EQ(tcg_softmmu_stats.code_writes, writes + 1);
    store(MO_UL, p + 4, nop);              /* inside the block */
    CHECK(tb_is_invalid(tb));
    CHECK(!tb_page_has_code(p));
    store(MO_UL, p + 8, nop);              /* fast path again */
    CHECK_EQ(tcg_softmmu_stats.code_writes, writes + 2);
}

int main(void)
{
    toy_init(1 << 20);
    weft_rcu_register_thread();
    cpu = toy_cpu_new();
    RUN(test_miss_fill_hit);
    RUN(test_alias_and_fault);
    RUN(test_page_crossing);
    RUN(test_mmio);
    RUN(test_store_to_code_page);
    toy_cpu_free(cpu);
    weft_rcu_unregister_thread();
    return 0;
}
