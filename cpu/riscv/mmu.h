/*
 * RISC-V virtual-memory translation: the Sv39/Sv48/Sv57 page walk
 * (privileged spec 1.12, sections 4.3-4.6).
 *
 * riscv_translate() is pure: everything it needs comes in RiscvMmuParams
 * and page-table memory is reached through callbacks, so any vCPU thread
 * may call it with no lock.  A/D updates go through a compare-and-swap
 * callback, which keeps them atomic against other harts writing the same
 * PTE: when the PTE changed under the walk, the walk re-reads it.
 *
 * PMP: the walk checks its own PTE reads and A/D writes against
 * params->pmp as S-mode 8-byte accesses (an access fault of the original
 * access type on failure).  The final physical address is NOT checked:
 * the caller knows the access size and, for the TLB, asks
 * riscv_pmp_page_uniform() whether the whole page may be cached.
 *
 * Not implemented: Svnapot, Svpbmt (PTE bits 63-54 must be zero, else page
 * fault), Sv32 (the walk is written for 8-byte PTEs), hypervisor G-stage.
 */
#ifndef CPU_RISCV_MMU_H
#define CPU_RISCV_MMU_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/riscv/pmp.h"

/* satp (RV64) */
#define RISCV_SATP64_MODE_SHIFT 60
#define RISCV_SATP64_ASID_SHIFT 44
#define RISCV_SATP64_ASID_MASK  0xffffull
#define RISCV_SATP64_PPN_MASK   ((1ull << 44) - 1)

enum {
    RISCV_SATP_MODE_BARE = 0,
    RISCV_SATP_MODE_SV39 = 8,
    RISCV_SATP_MODE_SV48 = 9,
    RISCV_SATP_MODE_SV57 = 10,
};

/* PTE bits */
#define RISCV_PTE_V (1ull << 0)
#define RISCV_PTE_R (1ull << 1)
#define RISCV_PTE_W (1ull << 2)
#define RISCV_PTE_X (1ull << 3)
#define RISCV_PTE_U (1ull << 4)
#define RISCV_PTE_G (1ull << 5)
#define RISCV_PTE_A (1ull << 6)
#define RISCV_PTE_D (1ull << 7)
#define RISCV_PTE_PPN_SHIFT 10
#define RISCV_PTE_PPN_MASK  (((1ull << 44) - 1) << RISCV_PTE_PPN_SHIFT)
#define RISCV_PTE_RESERVED  (~0ull << 54)   /* N, PBMT, bits 60-54 */

/* Exception causes (mcause values) the walk can produce. */
typedef enum RiscvMmuCause {
    RISCV_CAUSE_FETCH_ACCESS = 1,
    RISCV_CAUSE_LOAD_ACCESS = 5,
    RISCV_CAUSE_STORE_ACCESS = 7,
    RISCV_CAUSE_FETCH_PAGE_FAULT = 12,
    RISCV_CAUSE_LOAD_PAGE_FAULT = 13,
    RISCV_CAUSE_STORE_PAGE_FAULT = 15,
} RiscvMmuCause;

/* Result of a page-table memory callback. */
typedef enum RiscvMemResult {
    RISCV_MEM_OK,
    RISCV_MEM_CHANGED,          /* cmpxchg64: *paddr != old, no write */
    RISCV_MEM_FAULT,            /* no memory there (bus error) */
} RiscvMemResult;

typedef struct RiscvPteOps {
    /* Atomic (single-copy) 64-bit load of guest physical memory. */
    RiscvMemResult (*load64)(void *opaque, uint64_t paddr, uint64_t *val);
    /* Atomic 64-bit compare-and-swap; only called when hardware A/D
     * updating is enabled. */
    RiscvMemResult (*cmpxchg64)(void *opaque, uint64_t paddr, uint64_t old,
                                uint64_t new_val);
} RiscvPteOps;

typedef struct RiscvMmuParams {
    uint64_t satp;
    RiscvPriv priv;             /* effective: after MPRV, resolved by caller */
    bool sum;                   /* mstatus.SUM */
    bool mxr;                   /* mstatus.MXR */
    bool adue;                  /* menvcfg.ADUE: hardware A/D (else faults) */
    const RiscvPmp *pmp;        /* NULL: no PMP on PTE accesses */
    const RiscvPteOps *ops;
    void *opaque;               /* passed to ops */
} RiscvMmuParams;

typedef struct RiscvTranslation {
    uint64_t paddr;             /* on success: physical address of vaddr */
    unsigned page_shift;        /* 12, 21, 30, 39 or 48 */
    /* RISCV_PROT_* that the mapping grants to this privilege with this
     * SUM/MXR; W only once D is set, so a cached entry never skips a
     * D update.  RWX when not translated. */
    unsigned prot;
    RiscvMmuCause cause;        /* on failure */
} RiscvTranslation;

/* Translates vaddr for an access; false with out->cause on a fault. */
bool riscv_translate(const RiscvMmuParams *p, uint64_t vaddr,
                     RiscvAccess access, RiscvTranslation *out);

#endif
