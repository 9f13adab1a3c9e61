/* The toy guest: front end, MMU, memory hooks and CPU hooks. */
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "toy.h"
#include "util/rcu.h"

uint8_t *toy_ram;
TCGv toy_regs[16];
TCGv toy_pc;
unsigned long toy_mmio_reads, toy_mmio_writes;
uint64_t toy_mmio_last_addr, toy_mmio_last_val;

#define TOY_MAX_MAPS 16
static struct {
    uint64_t vpage, ppage;      /* ppage == UINT64_MAX: unmapped */
} toy_maps[TOY_MAX_MAPS];
static unsigned toy_nb_maps;

static ToyEnv *env_of(CPUState *cpu)
{
    return &container_of(cpu, ToyCPU, parent)->env;
}

/* ---- MMU */

void toy_mmu_reset(void)
{
    toy_nb_maps = 0;
}

static void toy_map_set(uint64_t vaddr, uint64_t ppage)
{
    CHECK(toy_nb_maps < TOY_MAX_MAPS);
    toy_maps[toy_nb_maps].vpage = vaddr & TCG_PAGE_MASK;
    toy_maps[toy_nb_maps].ppage = ppage;
    toy_nb_maps++;
}

void toy_unmap_page(uint64_t vaddr)
{
    toy_map_set(vaddr, UINT64_MAX);
}

void toy_map_page(uint64_t vaddr, uint64_t paddr)
{
    toy_map_set(vaddr, paddr & TCG_PAGE_MASK);
}

static uint64_t toy_translate(uint64_t vaddr)
{
    for (unsigned i = toy_nb_maps; i-- > 0;) {
        if (toy_maps[i].vpage == (vaddr & TCG_PAGE_MASK)) {
            return toy_maps[i].ppage == UINT64_MAX ? UINT64_MAX :
                   toy_maps[i].ppage | (vaddr & ~TCG_PAGE_MASK);
        }
    }
    return vaddr;
}

static bool toy_tlb_fill(CPUState *cpu, uint64_t addr, int size,
                         MMUAccessType type, int mmu_idx, bool probe)
{
    uint64_t paddr = toy_translate(addr);
    static const int causes[] = { TOY_EXCP_LOAD, TOY_EXCP_STORE,
                                  TOY_EXCP_FETCH };

    if (paddr == UINT64_MAX) {
        if (!probe) {
            env_of(cpu)->trap_addr = addr;
            tcg_raise_exception(cpu, causes[type]);
        }
        return false;
    }
    tlb_set_page(cpu, addr, paddr, PAGE_READ | PAGE_WRITE | PAGE_EXEC,
                 mmu_idx);
    return true;
}

static void toy_unaligned(CPUState *cpu, uint64_t addr, MMUAccessType type,
                          int mmu_idx)
{
    env_of(cpu)->trap_addr = addr;
    tcg_raise_exception(cpu, TOY_EXCP_ALIGN);
}

static void toy_bus_error(CPUState *cpu, uint64_t paddr, uint64_t addr,
                          MMUAccessType type, int mmu_idx)
{
    env_of(cpu)->trap_addr = addr;
    tcg_raise_exception(cpu, type == MMU_DATA_STORE ? TOY_EXCP_STORE
                                                    : TOY_EXCP_LOAD);
}

static int toy_mmu_index(CPUState *cpu, bool ifetch)
{
    return (int)env_of(cpu)->priv & 1;
}

/* ---- memory core stand-in */

static void *toy_phys_to_host(CPUState *cpu, uint64_t paddr, bool *writable)
{
    *writable = true;
    if (paddr >= TOY_RAM_BASE && paddr < TOY_RAM_BASE + TOY_RAM_SIZE) {
        return toy_ram + (paddr - TOY_RAM_BASE);
    }
    return NULL;
}

static bool toy_io_read(CPUState *cpu, uint64_t paddr, unsigned size,
                        uint64_t *val)
{
    if ((paddr & TCG_PAGE_MASK) != TOY_MMIO_BASE) {
        return false;
    }
    atomic_fetch_inc(&toy_mmio_reads);
    toy_mmio_last_addr = paddr;
    *val = 0x1000 + (paddr & 0xfff) + size;
    return true;
}

static bool toy_io_write(CPUState *cpu, uint64_t paddr, unsigned size,
                         uint64_t val)
{
    if ((paddr & TCG_PAGE_MASK) != TOY_MMIO_BASE) {
        return false;
    }
    atomic_fetch_inc(&toy_mmio_writes);
    toy_mmio_last_addr = paddr;
    toy_mmio_last_val = val;
    return true;
}

static const TCGMemoryOps toy_memory_ops = {
    .phys_to_host = toy_phys_to_host,
    .io_read = toy_io_read,
    .io_write = toy_io_write,
};

/* ---- helpers */

static uint64_t helper_raise(uint64_t env, uint64_t excp)
{
    tcg_env_raise_exception((void *)(uintptr_t)env, (int)excp);
    return 0;
}

static uint64_t helper_tick(uint64_t env)
{
    ToyEnv *e = (void *)(uintptr_t)env;

    atomic_fetch_inc(&e->ticks);
    return 0;
}

static const TCGHelperInfo info_raise = {
    .func = (void *)helper_raise, .name = "raise", .nargs = 2,
    .flags = TCG_CALL_NO_WRITE_GLOBALS,
};
static const TCGHelperInfo info_tick = {
    .func = (void *)helper_tick, .name = "tick", .nargs = 1,
    .flags = TCG_CALL_NO_READ_GLOBALS | TCG_CALL_NO_WRITE_GLOBALS |
             TCG_CALL_NO_RAISE,
};

/* ---- front end */

typedef struct ToyDisas {
    DisasContextBase base;
    uint32_t priv;
} ToyDisas;

static void toy_init_disas(DisasContextBase *db, CPUState *cpu)
{
    container_of(db, ToyDisas, base)->priv = env_of(cpu)->priv;
}

static void toy_tb_start(DisasContextBase *db, CPUState *cpu)
{
}

static void toy_insn_start(DisasContextBase *db, CPUState *cpu)
{
    tcg_gen_insn_start(db->pc_next, 0);
}

static void gen_goto(unsigned n, uint64_t dest)
{
    tcg_gen_goto_tb(n);
    tcg_gen_movi(toy_pc, (int64_t)dest);
    tcg_gen_exit_tb(n);
}

static void gen_raise(int excp)
{
    TCGv args[2] = { tcg_env, tcg_constant(excp) };

    tcg_gen_call(&info_raise, tcg_no_temp(), args);
}

static void gen_mem(int op, unsigned rd, TCGv rs, int64_t imm)
{
    TCGv addr = tcg_temp_new();

    tcg_gen_addi(addr, rs, imm);
    switch (op) {
    case TOY_LD:
        tcg_gen_qemu_ld(toy_regs[rd], addr, 0, MO_UQ);
        break;
    case TOY_LDA:
        tcg_gen_qemu_ld(toy_regs[rd], addr, 0, MO_UQ | MO_ALIGN);
        break;
    case TOY_ST:
        tcg_gen_qemu_st(toy_regs[rd], addr, 0, MO_UQ);
        break;
    default:
        tcg_gen_qemu_st(toy_regs[rd], addr, 0, MO_UL);
        break;
    }
    tcg_temp_free(addr);
}

static void toy_translate_insn(DisasContextBase *db, CPUState *cpu)
{
    uint64_t pc = db->pc_next;
    uint32_t insn = translator_ldl(cpu, db, pc);
    unsigned op = insn & 0xff, rd = (insn >> 8) & 15, rs = (insn >> 12) & 15;
    int64_t imm = (int16_t)(insn >> 16);
    TCGLabel *l;

    db->pc_next = pc + 4;
    if (db->fetch_fault) {
        return;
    }
    switch (op) {
    case TOY_ADDI:
        tcg_gen_addi(toy_regs[rd], toy_regs[rs], imm);
        break;
    case TOY_ADD:
        tcg_gen_add(toy_regs[rd], toy_regs[rd], toy_regs[rs]);
        break;
    case TOY_LIH:
        tcg_gen_movi(toy_regs[rd], (int64_t)((uint64_t)(uint16_t)imm << 16));
        break;
    case TOY_BNE:
        l = gen_new_label();
        tcg_gen_brcond(TCG_COND_EQ, toy_regs[rd], toy_regs[rs], l);
        gen_goto(0, pc + imm * 4);
        gen_set_label(l);
        gen_goto(1, pc + 4);
        db->is_jmp = DISAS_NORETURN;
        break;
    case TOY_JMP:
        gen_goto(0, pc + imm * 4);
        db->is_jmp = DISAS_NORETURN;
        break;
    case TOY_JR:
        tcg_gen_addi(toy_pc, toy_regs[rs], imm);
        tcg_gen_lookup_and_goto_ptr();
        db->is_jmp = DISAS_NORETURN;
        break;
    case TOY_LD: case TOY_ST: case TOY_STW: case TOY_LDA:
        gen_mem(op, rd, toy_regs[rs], imm);
        break;
    case TOY_HALT:
        gen_raise(EXCP_DEBUG);
        db->is_jmp = DISAS_NORETURN;
        tcg_gen_exit_tb(TB_EXIT_NOCHAIN);
        break;
    case TOY_FAULT:
        gen_raise(TOY_EXCP_FAULT);
        db->is_jmp = DISAS_NORETURN;
        tcg_gen_exit_tb(TB_EXIT_NOCHAIN);
        break;
    case TOY_TICK: {
        TCGv args[1] = { tcg_env };

        tcg_gen_call(&info_tick, tcg_no_temp(), args);
        break;
    }
    default:
        break;
    }
}

static void toy_tb_stop(DisasContextBase *db, CPUState *cpu)
{
    if (db->is_jmp == DISAS_TOO_MANY || db->is_jmp == DISAS_NEXT) {
        gen_goto(0, db->pc_next);
    }
}

static const TranslatorOps toy_translator = {
    .init_disas_context = toy_init_disas,
    .tb_start = toy_tb_start,
    .insn_start = toy_insn_start,
    .translate_insn = toy_translate_insn,
    .tb_stop = toy_tb_stop,
};

static void toy_translate_code(CPUState *cpu, TranslationBlock *tb,
                               int max_insns)
{
    ToyDisas dc;

    translator_loop(cpu, tb, max_insns, &toy_translator, &dc.base);
}

/* ---- CPU hooks */

static void toy_get_tb_cpu_state(CPUState *cpu, uint64_t *pc,
                                 uint64_t *cs_base, uint32_t *flags)
{
    *pc = env_of(cpu)->pc;
    *cs_base = 0;
    *flags = env_of(cpu)->priv;
}

static void toy_synchronize_from_tb(CPUState *cpu,
                                    const TranslationBlock *tb)
{
    env_of(cpu)->pc = tb->pc;
}

static void toy_restore_state(CPUState *cpu, const TranslationBlock *tb,
                              const uint64_t *data)
{
    env_of(cpu)->pc = data[0];
}

static void toy_do_interrupt(CPUState *cpu)
{
    ToyEnv *env = env_of(cpu);

    env->trap_count++;
    env->trap_pc = env->pc;
    env->trap_cause = tcg_cpu_state(cpu)->exception_index;
    env->pc = env->trap_vector ? env->trap_vector : env->pc + 4;
}

static const TCGCPUOps toy_cpu_ops = {
    .env_offset = offsetof(ToyCPU, env),
    .tcg_state_offset = offsetof(ToyEnv, tcg),
    .translate_code = toy_translate_code,
    .get_tb_cpu_state = toy_get_tb_cpu_state,
    .synchronize_from_tb = toy_synchronize_from_tb,
    .restore_state_to_opc = toy_restore_state,
    .do_interrupt = toy_do_interrupt,
    .tlb_fill = toy_tlb_fill,
    .do_unaligned_access = toy_unaligned,
    .do_transaction_failed = toy_bus_error,
    .mmu_index = toy_mmu_index,
};

void toy_init(size_t code_cache_size)
{
    static const char *const names[16] = {
        "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7",
        "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
    };

    toy_ram = calloc(1, TOY_RAM_SIZE);
    CHECK(toy_ram);
    tcg_init(&toy_cpu_ops, code_cache_size, NULL);
    for (int i = 0; i < 16; i++) {
        toy_regs[i] = tcg_global_mem_new(offsetof(ToyEnv, regs[i]), names[i]);
    }
    toy_pc = tcg_global_mem_new(offsetof(ToyEnv, pc), "pc");
    tcg_set_memory_ops(&toy_memory_ops);
}

ToyCPU *toy_cpu_new(void)
{
    ToyCPU *c = calloc(1, sizeof(*c));

    CHECK(c);
    tcg_cpu_init(&c->parent);
    return c;
}

void toy_cpu_free(ToyCPU *c)
{
    tcg_cpu_exit(&c->parent);
    free(c);
}

void toy_load(uint64_t addr, const uint32_t *code, unsigned n)
{
    CHECK(addr >= TOY_RAM_BASE && addr + 4 * n <= TOY_RAM_BASE + TOY_RAM_SIZE);
    memcpy(toy_ram + (addr - TOY_RAM_BASE), code, 4 * n);
    tb_invalidate_phys_range(addr, addr + 4 * n);
}

int toy_run(ToyCPU *c)
{
    return tcg_cpu_exec(&c->parent);
}
