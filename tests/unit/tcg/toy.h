/* A toy guest for the translator tests: 16 64-bit registers, a pc, a
 * 32-bit instruction set small enough to read at a glance, RAM at
 * TOY_RAM_BASE backed by a host buffer, one MMIO page, and an MMU that is
 * the identity except for pages the test unmaps or aliases.
 *
 * Encoding: op[7:0] rd[11:8] rs[15:12] imm[31:16] (signed).
 */
#ifndef TESTS_UNIT_TCG_TOY_H
#define TESTS_UNIT_TCG_TOY_H

#include <stdint.h>

#include "tcg/tb.h"
#include "tcg/tcg.h"
#include "tcg/translator.h"

#define TOY_RAM_BASE  0x80000000ull
#define TOY_RAM_SIZE  (4u << 20)
#define TOY_MMIO_BASE 0x10000000ull

enum {
    TOY_ADDI,       /* rd = rs + imm */
    TOY_ADD,        /* rd = rd + rs */
    TOY_LIH,        /* rd = (uint16_t)imm << 16 */
    TOY_BNE,        /* if rd != rs: pc += imm * 4 */
    TOY_JMP,        /* pc += imm * 4 */
    TOY_JR,         /* pc = rs + imm (lookup_and_goto_ptr) */
    TOY_LD,         /* rd = mem64[rs + imm] */
    TOY_ST,         /* mem64[rs + imm] = rd */
    TOY_STW,        /* mem32[rs + imm] = rd */
    TOY_LDA,        /* rd = mem64[rs + imm], MO_ALIGN */
    TOY_HALT,       /* stop the vCPU (EXCP_DEBUG) */
    TOY_FAULT,      /* architectural exception TOY_EXCP_FAULT */
    TOY_TICK,       /* helper: atomically counts in env.ticks */
    TOY_NOP,
};

enum {
    TOY_EXCP_FETCH = 1,
    TOY_EXCP_FAULT = 3,
    TOY_EXCP_ALIGN = 4,
    TOY_EXCP_LOAD = 5,
    TOY_EXCP_STORE = 7,
};

#define TOY_INSN(op, rd, rs, imm) \
    ((uint32_t)(op) | (uint32_t)(rd) << 8 | (uint32_t)(rs) << 12 | \
     (uint32_t)(uint16_t)(int16_t)(imm) << 16)

typedef struct ToyEnv {
    uint64_t regs[16];
    uint64_t pc;
    uint64_t scratch[4];
    uint32_t priv;              /* part of the TB flags */
    /* trap state, written by do_interrupt */
    uint64_t trap_count;
    uint64_t trap_pc;
    uint64_t trap_addr;         /* faulting data address */
    int32_t trap_cause;
    uint64_t trap_vector;       /* 0: resume after the faulting insn */
    uint64_t ticks;             /* atomic */
    TCGCPUState tcg;
} ToyEnv;

typedef struct ToyCPU {
    CPUState parent;
    ToyEnv env;
} ToyCPU;

extern uint8_t *toy_ram;
extern TCGv toy_regs[16];
extern TCGv toy_pc;
extern unsigned long toy_mmio_reads, toy_mmio_writes;
extern uint64_t toy_mmio_last_addr, toy_mmio_last_val;

/* Once per process: tcg_init with a code cache of that size. */
void toy_init(size_t code_cache_size);
ToyCPU *toy_cpu_new(void);
void toy_cpu_free(ToyCPU *c);

/* Copies code into RAM at guest physical addr and invalidates what was
 * translated there. */
void toy_load(uint64_t addr, const uint32_t *code, unsigned n);
/* MMU: unmap or alias a virtual page (identity otherwise). */
void toy_unmap_page(uint64_t vaddr);
void toy_map_page(uint64_t vaddr, uint64_t paddr);
void toy_mmu_reset(void);

/* Runs from env.pc until the vCPU stops (HALT) or exit_request; returns
 * the tcg_cpu_exec result. */
int toy_run(ToyCPU *c);

#endif
