/*
 * RISC-V page walk (privileged spec 1.12, section 4.3.2 algorithm,
 * extended to Sv48/Sv57 as sections 4.5-4.6 describe).  See mmu.h.
 */
#include "cpu/riscv/mmu.h"

#define PAGE_SHIFT      12
#define VPN_BITS        9       /* per level, 8-byte PTEs */
#define PTE_SIZE        8

/* Bits reserved in non-leaf PTEs besides RISCV_PTE_RESERVED. */
#define PTE_NONLEAF_RESERVED (RISCV_PTE_A | RISCV_PTE_D | RISCV_PTE_U)

typedef enum LeafResult {
    LEAF_OK,
    LEAF_FAULT,
    LEAF_RETRY,                 /* the PTE changed under an A/D update */
} LeafResult;

/* Levels of the satp mode, 0 for Bare.  Unsupported modes cannot be in
 * satp (its WARL write rule keeps the old value), so they read as Bare. */
static unsigned satp_levels(uint64_t satp)
{
    switch (satp >> RISCV_SATP64_MODE_SHIFT) {
    case RISCV_SATP_MODE_SV39:
        return 3;
    case RISCV_SATP_MODE_SV48:
        return 4;
    case RISCV_SATP_MODE_SV57:
        return 5;
    default:
        return 0;
    }
}

static RiscvMmuCause page_fault(RiscvAccess access)
{
    switch (access) {
    case RISCV_ACCESS_LOAD:
        return RISCV_CAUSE_LOAD_PAGE_FAULT;
    case RISCV_ACCESS_STORE:
        return RISCV_CAUSE_STORE_PAGE_FAULT;
    default:
        return RISCV_CAUSE_FETCH_PAGE_FAULT;
    }
}

static RiscvMmuCause access_fault(RiscvAccess access)
{
    switch (access) {
    case RISCV_ACCESS_LOAD:
        return RISCV_CAUSE_LOAD_ACCESS;
    case RISCV_ACCESS_STORE:
        return RISCV_CAUSE_STORE_ACCESS;
    default:
        return RISCV_CAUSE_FETCH_ACCESS;
    }
}

static unsigned access_prot(RiscvAccess access)
{
    switch (access) {
    case RISCV_ACCESS_LOAD:
        return RISCV_PROT_R;
    case RISCV_ACCESS_STORE:
        return RISCV_PROT_W;
    default:
        return RISCV_PROT_X;
    }
}

/* Bits 63..va_bits-1 must all equal bit va_bits-1. */
static bool va_canonical(uint64_t vaddr, unsigned va_bits)
{
    unsigned unused = 64 - va_bits;

    return (uint64_t)((int64_t)(vaddr << unused) >> unused) == vaddr;
}

static uint64_t pte_ppn(uint64_t pte)
{
    return (pte & RISCV_PTE_PPN_MASK) >> RISCV_PTE_PPN_SHIFT;
}

static bool pte_is_leaf(uint64_t pte)
{
    return pte & (RISCV_PTE_R | RISCV_PTE_X);
}

/* V=0, W without R, and reserved bits all make a PTE invalid. */
static bool pte_valid(uint64_t pte)
{
    if (!(pte & RISCV_PTE_V) || (pte & RISCV_PTE_RESERVED)) {
        return false;
    }
    if ((pte & (RISCV_PTE_R | RISCV_PTE_W)) == RISCV_PTE_W) {
        return false;
    }
    return pte_is_leaf(pte) || !(pte & PTE_NONLEAF_RESERVED);
}

/* What a leaf grants to the effective privilege, before A/D. */
static unsigned leaf_prot(const RiscvMmuParams *p, uint64_t pte)
{
    unsigned prot = 0;

    if ((pte & RISCV_PTE_R) || (p->mxr && (pte & RISCV_PTE_X))) {
        prot |= RISCV_PROT_R;
    }
    if (pte & RISCV_PTE_W) {
        prot |= RISCV_PROT_W;
    }
    if (pte & RISCV_PTE_X) {
        prot |= RISCV_PROT_X;
    }
    if (p->priv == RISCV_PRIV_U) {
        return (pte & RISCV_PTE_U) ? prot : 0;
    }
    if (pte & RISCV_PTE_U) {
        /* S-mode never executes user pages; SUM opens loads/stores. */
        prot &= ~RISCV_PROT_X;
        if (!p->sum) {
            prot = 0;
        }
    }
    return prot;
}

static bool pmp_allows(const RiscvMmuParams *p, uint64_t paddr,
                       RiscvAccess access)
{
    /* Implicit page-table accesses are S-mode accesses whatever the
     * privilege of the access that caused them. */
    return !p->pmp || riscv_pmp_check(p->pmp, paddr, PTE_SIZE, access,
                                      RISCV_PRIV_S);
}

/* Sets A (and D for stores) atomically, or faults when ADUE is off. */
static LeafResult update_ad(const RiscvMmuParams *p, uint64_t pte_addr,
                            uint64_t *pte, RiscvAccess access,
                            RiscvTranslation *out)
{
    uint64_t want = RISCV_PTE_A;

    if (access == RISCV_ACCESS_STORE) {
        want |= RISCV_PTE_D;
    }
    if ((*pte & want) == want) {
        return LEAF_OK;
    }
    if (!p->adue) {
        out->cause = page_fault(access);
        return LEAF_FAULT;
    }
    if (!pmp_allows(p, pte_addr, RISCV_ACCESS_STORE)) {
        out->cause = access_fault(access);
        return LEAF_FAULT;
    }
    switch (p->ops->cmpxchg64(p->opaque, pte_addr, *pte, *pte | want)) {
    case RISCV_MEM_OK:
        *pte |= want;
        return LEAF_OK;
    case RISCV_MEM_CHANGED:
        return LEAF_RETRY;
    default:
        out->cause = access_fault(access);
        return LEAF_FAULT;
    }
}

static LeafResult walk_leaf(const RiscvMmuParams *p, uint64_t vaddr,
                            RiscvAccess access, unsigned level,
                            uint64_t pte_addr, uint64_t pte,
                            RiscvTranslation *out)
{
    unsigned shift = PAGE_SHIFT + level * VPN_BITS;
    uint64_t offset_mask = (1ull << shift) - 1;
    uint64_t base = pte_ppn(pte) << PAGE_SHIFT;
    unsigned prot = leaf_prot(p, pte);
    LeafResult res;

    /* A superpage's PPN must be aligned to its size. */
    if (!(prot & access_prot(access)) || (base & offset_mask)) {
        out->cause = page_fault(access);
        return LEAF_FAULT;
    }
    res = update_ad(p, pte_addr, &pte, access, out);
    if (res != LEAF_OK) {
        return res;
    }
    if (!(pte & RISCV_PTE_D)) {
        prot &= ~RISCV_PROT_W;
    }
    out->paddr = base | (vaddr & offset_mask);
    out->page_shift = shift;
    out->prot = prot;
    return LEAF_OK;
}

static unsigned vpn(uint64_t vaddr, unsigned level)
{
    return (vaddr >> (PAGE_SHIFT + level * VPN_BITS)) &
           ((1u << VPN_BITS) - 1);
}

static bool walk(const RiscvMmuParams *p, unsigned levels, uint64_t vaddr,
                 RiscvAccess access, RiscvTranslation *out)
{
    uint64_t table = (p->satp & RISCV_SATP64_PPN_MASK) << PAGE_SHIFT;
    uint64_t pte_addr, pte;
    int level = levels - 1;

    while (level >= 0) {
        pte_addr = table + (uint64_t)vpn(vaddr, level) * PTE_SIZE;
        if (!pmp_allows(p, pte_addr, RISCV_ACCESS_LOAD) ||
            p->ops->load64(p->opaque, pte_addr, &pte) != RISCV_MEM_OK) {
            out->cause = access_fault(access);
            return false;
        }
        if (!pte_valid(pte)) {
            break;
        }
        if (pte_is_leaf(pte)) {
            switch (walk_leaf(p, vaddr, access, level, pte_addr, pte, out)) {
            case LEAF_OK:
                return true;
            case LEAF_FAULT:
                return false;
            default:
                continue;       /* re-read the same PTE */
            }
        }
        table = pte_ppn(pte) << PAGE_SHIFT;
        level--;
    }
    /* Invalid PTE, or a pointer at level 0. */
    out->cause = page_fault(access);
    return false;
}

bool riscv_translate(const RiscvMmuParams *p, uint64_t vaddr,
                     RiscvAccess access, RiscvTranslation *out)
{
    unsigned levels = satp_levels(p->satp);

    if (p->priv == RISCV_PRIV_M || levels == 0) {
        out->paddr = vaddr;
        out->page_shift = PAGE_SHIFT;
        out->prot = RISCV_PROT_RWX;
        return true;
    }
    if (!va_canonical(vaddr, PAGE_SHIFT + levels * VPN_BITS)) {
        out->cause = page_fault(access);
        return false;
    }
    return walk(p, levels, vaddr, access, out);
}
