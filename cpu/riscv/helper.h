/*
 * Private to cpu/riscv/: the run-time helpers generated code calls
 * (helper.c) and what the front end (translate.c) and the CPU glue
 * (riscv-cpu.c) share.
 *
 * Every helper takes the env pointer first.  Packed constant arguments
 * (built at translation time) are described at each info below.
 */
#ifndef CPU_RISCV_HELPER_H
#define CPU_RISCV_HELPER_H

#include <stdint.h>

#include "cpu/riscv/riscv-cpu.h"
#include "tcg/ir.h"

/* TB flags (get_tb_cpu_state): what changes translation. */
#define TB_FLAGS_PRIV_MASK      0x3u    /* RiscvPriv */
#define TB_FLAGS_FS_SHIFT       2       /* mstatus.FS */
#define TB_FLAGS_FS_MASK        (3u << TB_FLAGS_FS_SHIFT)
#define TB_FLAGS_MEMIDX_SHIFT   4       /* mmu index of data accesses */
#define TB_FLAGS_MEMIDX_MASK    (7u << TB_FLAGS_MEMIDX_SHIFT)

/*
 * mmu indexes.  An index names one (effective privilege, SUM, MXR)
 * combination, so changing MPRV/MPP/SUM/MXR needs no TLB flush:
 *   0 U, 1 S, 2 S with SUM, 3 M (untranslated),
 *   4..6 the same as 0..2 with MXR.
 * Fetches use 0, 1 or 3 (SUM and MXR do not apply to them).  Data
 * accesses use MPP instead of the privilege when MPRV is set in M-mode.
 */
enum {
    RISCV_MMU_U = 0,
    RISCV_MMU_S = 1,
    RISCV_MMU_S_SUM = 2,
    RISCV_MMU_M = 3,
    RISCV_MMU_MXR = 4,
};

int riscv_data_mmu_index(const CPURISCVState *env);
int riscv_fetch_mmu_index(const CPURISCVState *env);

/* Records an architectural exception for the loop to deliver. */
void riscv_raise(CPURISCVState *env, unsigned cause, uint64_t tval);

/* After something that may make an interrupt takeable (CSR write, xRET):
 * flag it so the execution loop looks at it before the next block. */
void riscv_update_irq_request(CPURISCVState *env);

/* ---- helper infos, used by translate.c */

/* raise(env, cause, tval) */
extern const TCGHelperInfo riscv_info_raise;
/* csr(env, csr | op << 12 | write << 14, src, insn bits) -> old */
extern const TCGHelperInfo riscv_info_csr;
/* mret/sret(env, insn bits): sets pc */
extern const TCGHelperInfo riscv_info_mret;
extern const TCGHelperInfo riscv_info_sret;
/* wfi(env, insn bits): may raise EXCP_HLT */
extern const TCGHelperInfo riscv_info_wfi;
/* sfence_vma(env, vaddr, asid, insn bits | has_rs1 << 32 | has_rs2 << 33) */
extern const TCGHelperInfo riscv_info_sfence_vma;
/* fence(): host full barrier */
extern const TCGHelperInfo riscv_info_fence;
/* lr(env, addr, size_log2 | mmu_idx << 4) -> value */
extern const TCGHelperInfo riscv_info_lr;
/* sc(env, addr, val, size_log2 | mmu_idx << 4) -> 0 ok / 1 failed */
extern const TCGHelperInfo riscv_info_sc;
/* amo(env, addr, val, op | size_log2 << 16 | mmu_idx << 20) -> old */
extern const TCGHelperInfo riscv_info_amo;
/* cbo(env, addr, op | mmu_idx << 16, insn bits) */
extern const TCGHelperInfo riscv_info_cbo;
/* fp(env, op | insn rm << 12 | insn bits << 32, a, b, c) -> result */
extern const TCGHelperInfo riscv_info_fp;
/* pure: orc_b(x), clmul(a, b), clmulh(a, b), clmulr(a, b) */
extern const TCGHelperInfo riscv_info_orc_b;
extern const TCGHelperInfo riscv_info_clmul;
extern const TCGHelperInfo riscv_info_clmulh;
extern const TCGHelperInfo riscv_info_clmulr;

/* translate.c */
void riscv_translate_init(void);
void riscv_translate_code(CPUState *cs, TranslationBlock *tb, int max_insns);

#endif
