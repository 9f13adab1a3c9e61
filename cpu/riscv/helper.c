/*
 * Run-time helpers of the RISC-V front end: system instructions, CSRs,
 * atomics, cache-block operations, floating point.
 *
 * Exceptions: a helper records the cause in exception_index and the tval
 * in RISCVCPU.excp_tval (riscv_raise) and returns; the block then leaves
 * and the loop delivers it through do_interrupt (riscv-cpu.c).
 *
 * Atomics (A extension) work on the host RAM behind the guest address,
 * found through this hart's TLB, with host compare-and-swap loops, so
 * they are atomic against other harts on other host threads and against
 * plain stores.  LR records the address and the value it read; SC is a
 * compare-and-swap against that value (an ABA change goes unnoticed, as
 * in QEMU; no correct program can tell).  AMOs on I/O run inside an
 * exclusive section: no other hart runs guest code between the read and
 * the write.
 */
#include <string.h>

#include "cpu/riscv/decode.h"
#include "cpu/riscv/fpu.h"
#include "cpu/riscv/helper.h"
#include "cpu/riscv/op-info.h"
#include "tcg/tb.h"

static CPURISCVState *env_of_arg(uint64_t env)
{
    return (CPURISCVState *)(uintptr_t)env;
}

void riscv_raise(CPURISCVState *env, unsigned cause, uint64_t tval)
{
    riscv_cpu_of_env(env)->excp_tval = tval;
    tcg_env_raise_exception(env, (int)cause);
}

void riscv_update_irq_request(CPURISCVState *env)
{
    if (riscv_cpu_has_work(env)) {
        atomic_fetch_or(&riscv_cpu_of_env(env)->parent.interrupt_request,
                        CPU_INTERRUPT_HARD);
    }
}

static uint64_t helper_raise(uint64_t env, uint64_t cause, uint64_t tval)
{
    riscv_raise(env_of_arg(env), (unsigned)cause, tval);
    return 0;
}

/* ---- system instructions */

static uint64_t helper_csr(uint64_t envp, uint64_t packed, uint64_t src,
                           uint64_t insn)
{
    CPURISCVState *env = env_of_arg(envp);
    bool write = (packed >> 14) & 1;
    uint64_t old = 0;
    int r;

    r = riscv_csr_op(env, packed & 0xfff,
                     (enum riscv_csr_op)((packed >> 12) & 3), src, write,
                     &old);
    if (r != RISCV_EXCP_NONE) {
        riscv_raise(env, (unsigned)r, insn);
        return 0;
    }
    if (write) {
        riscv_update_irq_request(env);
    }
    return old;
}

static uint64_t helper_xret(uint64_t envp, uint64_t insn, bool m)
{
    CPURISCVState *env = env_of_arg(envp);
    int r = m ? riscv_mret(env) : riscv_sret(env);

    if (r != RISCV_EXCP_NONE) {
        riscv_raise(env, (unsigned)r, insn);
        return 0;
    }
    riscv_update_irq_request(env);
    return 0;
}

static uint64_t helper_mret(uint64_t env, uint64_t insn)
{
    return helper_xret(env, insn, true);
}

static uint64_t helper_sret(uint64_t env, uint64_t insn)
{
    return helper_xret(env, insn, false);
}

/* The front end set insn_start's extra word to 4, so an EXCP_HLT exit
 * resumes after the wfi (riscv-cpu.c restore_state_to_opc). */
static uint64_t helper_wfi(uint64_t envp, uint64_t insn)
{
    CPURISCVState *env = env_of_arg(envp);
    int r = riscv_wfi_check(env);

    if (r != RISCV_EXCP_NONE) {
        riscv_raise(env, (unsigned)r, insn);
    } else if (!riscv_cpu_has_work(env)) {
        tcg_env_raise_exception(env, EXCP_HLT);
    }
    return 0;
}

/* Whole-TLB flush unless an address is given: ASIDs are not tagged in
 * the softmmu TLB, so an ASID-only fence flushes everything. */
static uint64_t helper_sfence_vma(uint64_t envp, uint64_t vaddr,
                                  uint64_t asid, uint64_t insn)
{
    CPURISCVState *env = env_of_arg(envp);
    CPUState *cs = &riscv_cpu_of_env(env)->parent;
    int r = riscv_sfence_vma_check(env);

    if (r != RISCV_EXCP_NONE) {
        riscv_raise(env, (unsigned)r, (uint32_t)insn);
        return 0;
    }
    if ((insn >> 32) & 1) {
        tlb_flush_page(cs, vaddr);
    } else {
        tlb_flush(cs);
    }
    return 0;
}

/* fence with a store-to-load ordering: the only one x86-TSO does not
 * give for free. */
static uint64_t helper_fence(void)
{
    smp_mb();
    return 0;
}

/* ---- atomics */

static uint64_t tlb_tag(const CPUTLBEntry *e, MMUAccessType type)
{
    return type == MMU_DATA_STORE ? atomic_read(&e->addr_write)
                                  : atomic_read(&e->addr_read);
}

/*
 * The host address of a size-byte RAM access at addr (not crossing a
 * page: callers checked alignment).  NULL after raising, or with *mmio
 * set for I/O.  A store to a page holding translated code opens
 * tb_code_write_begin (which invalidates that code) and sets *code to
 * the physical address (else UINT64_MAX); the caller stores, then calls
 * code_write_end, as the softmmu's store slow path does.
 */
static void *atomic_host(RISCVCPU *cpu, uint64_t addr, unsigned size,
                         MMUAccessType type, int idx, bool *mmio,
                         uint64_t *code)
{
    unsigned i = tlb_index(addr);
    CPUTLBEntry *e = &cpu->tcg.tlb.d[idx].table[i];
    uint64_t page = addr & TCG_PAGE_MASK;
    uint64_t tag = tlb_tag(e, type);

    *mmio = false;
    *code = UINT64_MAX;
    if (tag == TLB_INVALID || (tag & TCG_PAGE_MASK) != page ||
        (tag & TLB_REFILL)) {
        if (!riscv_tcg_ops.tlb_fill(&cpu->parent, addr, (int)size, type,
                                    idx, false)) {
            return NULL;
        }
        tag = tlb_tag(e, type);
    }
    if (tag & TLB_MMIO) {
        *mmio = true;
        return NULL;
    }
    if (type == MMU_DATA_STORE && (tag & TLB_NOTDIRTY)) {
        uint64_t paddr = cpu->tcg.tlb.d[idx].full[i].paddr |
                         (addr & ~TCG_PAGE_MASK);

        tb_code_write_begin(paddr, paddr + size);
        *code = paddr;
    }
    return (void *)(uintptr_t)(addr + e->addend);
}

static void code_write_end(uint64_t code, unsigned size)
{
    if (code != UINT64_MAX) {
        tb_code_write_end(code, code + size);
    }
}

static uint64_t sext32(uint64_t v)
{
    return (uint64_t)(int64_t)(int32_t)(uint32_t)v;
}

/* The value an AMO stores, from the old memory value and rs2. */
static uint64_t amo_apply(unsigned op, uint64_t old, uint64_t val, bool w)
{
    int64_t so = w ? (int32_t)old : (int64_t)old;
    int64_t sv = w ? (int32_t)val : (int64_t)val;
    uint64_t uo = w ? (uint32_t)old : old;
    uint64_t uv = w ? (uint32_t)val : val;

    switch (op) {
    case RV_OP_AMOSWAP_W: case RV_OP_AMOSWAP_D: return val;
    case RV_OP_AMOADD_W: case RV_OP_AMOADD_D: return old + val;
    case RV_OP_AMOXOR_W: case RV_OP_AMOXOR_D: return old ^ val;
    case RV_OP_AMOAND_W: case RV_OP_AMOAND_D: return old & val;
    case RV_OP_AMOOR_W: case RV_OP_AMOOR_D: return old | val;
    case RV_OP_AMOMIN_W: case RV_OP_AMOMIN_D: return so < sv ? old : val;
    case RV_OP_AMOMAX_W: case RV_OP_AMOMAX_D: return so > sv ? old : val;
    case RV_OP_AMOMINU_W: case RV_OP_AMOMINU_D: return uo < uv ? old : val;
    default: return uo > uv ? old : val;      /* AMOMAXU */
    }
}

/* An AMO or SC whose read half faults reports the store/AMO cause, as
 * the privileged spec requires: the read is part of a store access. */
static void amo_load_fault_to_store_fault(CPUState *cs)
{
    TCGCPUState *ts = tcg_cpu_state(cs);

    if (ts->exception_index == RISCV_EXCP_LOAD_ACCESS_FAULT) {
        ts->exception_index = RISCV_EXCP_STORE_ACCESS_FAULT;
    } else if (ts->exception_index == RISCV_EXCP_LOAD_PAGE_FAULT) {
        ts->exception_index = RISCV_EXCP_STORE_PAGE_FAULT;
    }
}

/* Read-modify-write of I/O with every other hart out of guest code:
 * an AMO (sc = false: stores amo_apply(op, old, val)) or an SC (sc =
 * true: stores val only if memory still holds expect; false if not). */
static bool rmw_exclusive(CPUState *cs, uint64_t addr, unsigned log2,
                          int idx, unsigned op, uint64_t val, bool sc,
                          uint64_t expect, uint64_t *old)
{
    uint64_t mask = log2 == 2 ? UINT32_MAX : UINT64_MAX;
    bool ok;

    start_exclusive();
    ok = tcg_softmmu_ld(cs, addr, log2, idx, old);
    if (!ok) {
        amo_load_fault_to_store_fault(cs);
    } else if (sc) {
        ok = ((*old ^ expect) & mask) == 0 &&
             tcg_softmmu_st(cs, addr, log2, idx, val);
    } else {
        ok = tcg_softmmu_st(cs, addr, log2, idx,
                            amo_apply(op, *old, val, log2 == 2));
    }
    end_exclusive();
    return ok;
}

/* The AMO on host RAM: a compare-and-swap loop, atomic against every
 * other access to the word from any thread.  Returns the old value. */
static uint32_t amo_cas32(uint32_t *p, unsigned op, uint64_t val)
{
    uint32_t old = __atomic_load_n(p, __ATOMIC_RELAXED);

    while (!__atomic_compare_exchange_n(p, &old,
                                        (uint32_t)amo_apply(op, old, val, true),
                                        false, __ATOMIC_SEQ_CST,
                                        __ATOMIC_RELAXED)) {
    }
    return old;
}

static uint64_t amo_cas64(uint64_t *p, unsigned op, uint64_t val)
{
    uint64_t old = __atomic_load_n(p, __ATOMIC_RELAXED);

    while (!__atomic_compare_exchange_n(p, &old,
                                        amo_apply(op, old, val, false),
                                        false, __ATOMIC_SEQ_CST,
                                        __ATOMIC_RELAXED)) {
    }
    return old;
}

static uint64_t helper_amo(uint64_t envp, uint64_t addr, uint64_t val,
                           uint64_t packed)
{
    CPURISCVState *env = env_of_arg(envp);
    RISCVCPU *cpu = riscv_cpu_of_env(env);
    unsigned op = packed & 0xffff, log2 = (packed >> 16) & 3;
    int idx = (packed >> 20) & 7;
    bool mmio;
    void *host;
    uint64_t old = 0, code;

    if (addr & ((1u << log2) - 1)) {
        riscv_raise(env, RISCV_EXCP_STORE_MISALIGNED, addr);
        return 0;
    }
    host = atomic_host(cpu, addr, 1u << log2, MMU_DATA_STORE, idx, &mmio,
                       &code);
    if (!host) {
        if (mmio && rmw_exclusive(&cpu->parent, addr, log2, idx, op, val,
                                  false, 0, &old)) {
            return log2 == 2 ? sext32(old) : old;
        }
        return 0;
    }
    old = log2 == 2 ? sext32(amo_cas32(host, op, val))
                    : amo_cas64(host, op, val);
    code_write_end(code, 1u << log2);
    return old;
}

static uint64_t helper_lr(uint64_t envp, uint64_t addr, uint64_t packed)
{
    CPURISCVState *env = env_of_arg(envp);
    RISCVCPU *cpu = riscv_cpu_of_env(env);
    unsigned log2 = packed & 3;
    int idx = (packed >> 4) & 7;
    uint64_t v, code;   /* a load never opens a code write */
    bool mmio;
    void *host;

    if (addr & ((1u << log2) - 1)) {
        riscv_raise(env, RISCV_EXCP_LOAD_MISALIGNED, addr);
        return 0;
    }
    host = atomic_host(cpu, addr, 1u << log2, MMU_DATA_LOAD, idx, &mmio,
                       &code);
    if (host) {
        v = log2 == 2 ? sext32(__atomic_load_n((uint32_t *)host,
                                               __ATOMIC_SEQ_CST))
                      : __atomic_load_n((uint64_t *)host, __ATOMIC_SEQ_CST);
    } else if (!mmio || !tcg_softmmu_ld(&cpu->parent, addr,
                                        log2 | MO_SIGN, idx, &v)) {
        return 0;
    }
    cpu->res_addr = addr;
    cpu->res_val = v;
    return v;
}

static uint64_t helper_sc(uint64_t envp, uint64_t addr, uint64_t val,
                          uint64_t packed)
{
    CPURISCVState *env = env_of_arg(envp);
    RISCVCPU *cpu = riscv_cpu_of_env(env);
    unsigned log2 = packed & 3;
    int idx = (packed >> 4) & 7;
    uint64_t expect = cpu->res_val, old, code;
    bool mmio, match = cpu->res_addr == addr, stored = false;
    void *host;

    if (addr & ((1u << log2) - 1)) {
        riscv_raise(env, RISCV_EXCP_STORE_MISALIGNED, addr);
        return 1;
    }
    /* The store permission is checked even when the SC will fail. */
    host = atomic_host(cpu, addr, 1u << log2, MMU_DATA_STORE, idx, &mmio,
                       &code);
    if (!host && !mmio) {
        return 1;
    }
    cpu->res_addr = UINT64_MAX;
    if (!host) {
        return match && rmw_exclusive(&cpu->parent, addr, log2, idx, 0, val,
                                      true, expect, &old) ? 0 : 1;
    }
    if (match && log2 == 2) {
        uint32_t o = (uint32_t)expect;

        stored = __atomic_compare_exchange_n((uint32_t *)host, &o,
                                             (uint32_t)val, false,
                                             __ATOMIC_SEQ_CST,
                                             __ATOMIC_RELAXED);
    } else if (match) {
        stored = __atomic_compare_exchange_n((uint64_t *)host, &expect, val,
                                             false, __ATOMIC_SEQ_CST,
                                             __ATOMIC_RELAXED);
    }
    code_write_end(code, 1u << log2);
    return stored ? 0 : 1;
}

/* ---- cache-block operations (Zicbom, Zicboz): 64-byte blocks */

#define CBO_BLOCK 64

/* Is the CMO enabled at this privilege by menvcfg/senvcfg?  mask is the
 * envcfg field (CBZE, CBCFE or CBIE). */
static bool cbo_enabled(const CPURISCVState *env, uint64_t mask)
{
    if (env->priv == RISCV_PRIV_M) {
        return true;
    }
    if (!(env->menvcfg & mask)) {
        return false;
    }
    return env->priv == RISCV_PRIV_S || (env->senvcfg & mask);
}

static uint64_t helper_cbo(uint64_t envp, uint64_t addr, uint64_t packed,
                           uint64_t insn)
{
    CPURISCVState *env = env_of_arg(envp);
    CPUState *cs = &riscv_cpu_of_env(env)->parent;
    unsigned op = packed & 0xffff;
    int idx = (packed >> 16) & 7;
    uint64_t mask = op == RV_OP_CBO_ZERO ? ENVCFG_CBZE :
                    op == RV_OP_CBO_INVAL ? ENVCFG_CBIE : ENVCFG_CBCFE;
    uint64_t base = addr & ~(uint64_t)(CBO_BLOCK - 1);

    if (!cbo_enabled(env, mask)) {
        riscv_raise(env, RISCV_EXCP_ILLEGAL_INSN, insn);
        return 0;
    }
    if (op == RV_OP_CBO_ZERO) {
        /* The block is inside one page: the first store takes any fault
         * before anything is written. */
        for (unsigned i = 0; i < CBO_BLOCK; i += 8) {
            if (!tcg_softmmu_st(cs, base + i, MO_64, idx, 0)) {
                return 0;
            }
        }
        return 0;
    }
    /* clean/flush/inval: no cache to manage, but they need load or
     * store permission; without either they raise a store fault. */
    if (!riscv_tcg_ops.tlb_fill(cs, base, 1, MMU_DATA_LOAD, idx, true) &&
        !riscv_tcg_ops.tlb_fill(cs, base, 1, MMU_DATA_STORE, idx, true)) {
        riscv_tcg_ops.tlb_fill(cs, base, 1, MMU_DATA_STORE, idx, false);
    }
    return 0;
}

/* ---- bit manipulation (Zbb orc.b, Zbc) */

static uint64_t helper_orc_b(uint64_t x)
{
    uint64_t r = 0;

    for (int i = 0; i < 64; i += 8) {
        if ((x >> i) & 0xff) {
            r |= 0xffull << i;
        }
    }
    return r;
}

static uint64_t helper_clmul(uint64_t a, uint64_t b)
{
    uint64_t r = 0;

    for (int i = 0; i < 64; i++) {
        if ((b >> i) & 1) {
            r ^= a << i;
        }
    }
    return r;
}

static uint64_t helper_clmulh(uint64_t a, uint64_t b)
{
    uint64_t r = 0;

    for (int i = 1; i < 64; i++) {
        if ((b >> i) & 1) {
            r ^= a >> (64 - i);
        }
    }
    return r;
}

static uint64_t helper_clmulr(uint64_t a, uint64_t b)
{
    uint64_t r = 0;

    for (int i = 0; i < 64; i++) {
        if ((b >> i) & 1) {
            r ^= a >> (63 - i);
        }
    }
    return r;
}

/* ---- floating point */

/* Everything but the rm-free sign injections, min/max, compares and
 * fclass goes through one switch: FP speed is not a goal yet. */
static uint64_t fp_compute(unsigned op, uint64_t a, uint64_t b, uint64_t c,
                           unsigned rm, unsigned *ff)
{
    switch (op) {
#define R3(ID, fn) case RV_OP_##ID: return fn(a, b, c, rm, ff);
#define R2(ID, fn) case RV_OP_##ID: return fn(a, b, rm, ff);
#define R1(ID, fn) case RV_OP_##ID: return fn(a, rm, ff);
#define F2(ID, fn) case RV_OP_##ID: return fn(a, b, ff);
#define P2(ID, fn) case RV_OP_##ID: return fn(a, b);
#define P1(ID, fn) case RV_OP_##ID: return fn(a);
    R3(FMADD_S, riscv_fmadd_s) R3(FMSUB_S, riscv_fmsub_s)
    R3(FNMSUB_S, riscv_fnmsub_s) R3(FNMADD_S, riscv_fnmadd_s)
    R3(FMADD_D, riscv_fmadd_d) R3(FMSUB_D, riscv_fmsub_d)
    R3(FNMSUB_D, riscv_fnmsub_d) R3(FNMADD_D, riscv_fnmadd_d)
    R2(FADD_S, riscv_fadd_s) R2(FSUB_S, riscv_fsub_s)
    R2(FMUL_S, riscv_fmul_s) R2(FDIV_S, riscv_fdiv_s)
    R2(FADD_D, riscv_fadd_d) R2(FSUB_D, riscv_fsub_d)
    R2(FMUL_D, riscv_fmul_d) R2(FDIV_D, riscv_fdiv_d)
    R1(FSQRT_S, riscv_fsqrt_s) R1(FSQRT_D, riscv_fsqrt_d)
    F2(FMIN_S, riscv_fmin_s) F2(FMAX_S, riscv_fmax_s)
    F2(FMIN_D, riscv_fmin_d) F2(FMAX_D, riscv_fmax_d)
    F2(FEQ_S, riscv_feq_s) F2(FLT_S, riscv_flt_s) F2(FLE_S, riscv_fle_s)
    F2(FEQ_D, riscv_feq_d) F2(FLT_D, riscv_flt_d) F2(FLE_D, riscv_fle_d)
    P1(FCLASS_S, riscv_fclass_s) P1(FCLASS_D, riscv_fclass_d)
    P2(FSGNJ_S, riscv_fsgnj_s) P2(FSGNJN_S, riscv_fsgnjn_s)
    P2(FSGNJX_S, riscv_fsgnjx_s) P2(FSGNJ_D, riscv_fsgnj_d)
    P2(FSGNJN_D, riscv_fsgnjn_d) P2(FSGNJX_D, riscv_fsgnjx_d)
    R1(FCVT_W_S, riscv_fcvt_w_s) R1(FCVT_WU_S, riscv_fcvt_wu_s)
    R1(FCVT_L_S, riscv_fcvt_l_s) R1(FCVT_LU_S, riscv_fcvt_lu_s)
    R1(FCVT_S_W, riscv_fcvt_s_w) R1(FCVT_S_WU, riscv_fcvt_s_wu)
    R1(FCVT_S_L, riscv_fcvt_s_l) R1(FCVT_S_LU, riscv_fcvt_s_lu)
    R1(FCVT_W_D, riscv_fcvt_w_d) R1(FCVT_WU_D, riscv_fcvt_wu_d)
    R1(FCVT_L_D, riscv_fcvt_l_d) R1(FCVT_LU_D, riscv_fcvt_lu_d)
    R1(FCVT_D_W, riscv_fcvt_d_w) R1(FCVT_D_WU, riscv_fcvt_d_wu)
    R1(FCVT_D_L, riscv_fcvt_d_l) R1(FCVT_D_LU, riscv_fcvt_d_lu)
    R1(FCVT_S_D, riscv_fcvt_s_d) R1(FCVT_D_S, riscv_fcvt_d_s)
#undef R3
#undef R2
#undef R1
#undef F2
#undef P2
#undef P1
    default:
        return 0;
    }
}

static uint64_t helper_fp(uint64_t envp, uint64_t packed, uint64_t a,
                          uint64_t b, uint64_t c)
{
    CPURISCVState *env = env_of_arg(envp);
    unsigned op = packed & 0xfff;
    unsigned ff = 0;
    int rm = 0;
    uint64_t r;

    if (riscv_op_info[op].flags & RV_OPF_RM) {
        rm = riscv_fpu_resolve_rm((packed >> 12) & 7, env->frm);
        if (rm < 0) {
            riscv_raise(env, RISCV_EXCP_ILLEGAL_INSN, packed >> 32);
            return 0;
        }
    }
    r = fp_compute(op, a, b, c, (unsigned)rm, &ff);
    env->fflags |= ff;
    return r;
}

/* ---- helper infos */

#define NOGLOBALS (TCG_CALL_NO_READ_GLOBALS | TCG_CALL_NO_WRITE_GLOBALS)

#define INFO(id, fn, n, fl)                                             \
    const TCGHelperInfo riscv_info_##id = {                             \
        .func = (void *)fn, .name = #id, .nargs = n, .flags = fl,       \
    }

INFO(raise, helper_raise, 3, TCG_CALL_NO_WRITE_GLOBALS);
INFO(csr, helper_csr, 4, 0);
INFO(mret, helper_mret, 2, 0);
INFO(sret, helper_sret, 2, 0);
INFO(wfi, helper_wfi, 2, TCG_CALL_NO_WRITE_GLOBALS);
INFO(sfence_vma, helper_sfence_vma, 4, NOGLOBALS);
INFO(fence, helper_fence, 0, NOGLOBALS | TCG_CALL_NO_RAISE);
INFO(lr, helper_lr, 3, NOGLOBALS);
INFO(sc, helper_sc, 4, NOGLOBALS);
INFO(amo, helper_amo, 4, NOGLOBALS);
INFO(cbo, helper_cbo, 4, NOGLOBALS);
INFO(fp, helper_fp, 5, NOGLOBALS);
INFO(orc_b, helper_orc_b, 1, TCG_CALL_PURE);
INFO(clmul, helper_clmul, 2, TCG_CALL_PURE);
INFO(clmulh, helper_clmulh, 2, TCG_CALL_PURE);
INFO(clmulr, helper_clmulr, 2, TCG_CALL_PURE);
