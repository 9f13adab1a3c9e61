/* Unit tests of cpu/riscv/mmu.c: page tables are built in a host buffer
 * acting as guest physical memory, which the walk reaches through the
 * load64/cmpxchg64 callbacks below. */
#include <string.h>

#include "cpu/riscv/mmu.h"
#include "test.h"

#define LD RISCV_ACCESS_LOAD
#define ST RISCV_ACCESS_STORE
#define EX RISCV_ACCESS_FETCH

#define V RISCV_PTE_V
#define PR RISCV_PTE_R
#define PW RISCV_PTE_W
#define PX RISCV_PTE_X
#define PU RISCV_PTE_U
#define PA RISCV_PTE_A
#define PD RISCV_PTE_D

#define MEM_SIZE    (1u << 20)          /* guest physical [0, 1 MiB) */
#define MEM_BASE    0                   /* tables live here */

typedef struct GuestMem {
    uint64_t words[MEM_SIZE / 8];
    uint64_t next_page;                 /* bump allocator */
    unsigned cas_calls;
    /* On the next cmpxchg64, act as another hart: store this value
     * into the PTE first, so the CAS sees a change. */
    bool race_pending;
    uint64_t race_value;
    uint64_t cas_fault_addr;            /* cmpxchg64 here: bus error */
} GuestMem;

static GuestMem mem;

static RiscvMemResult mem_load64(void *opaque, uint64_t paddr, uint64_t *val)
{
    GuestMem *m = opaque;

    if (paddr >= MEM_SIZE || (paddr & 7)) {
        return RISCV_MEM_FAULT;
    }
    *val = __atomic_load_n(&m->words[paddr / 8], __ATOMIC_RELAXED);
    return RISCV_MEM_OK;
}

static RiscvMemResult mem_cmpxchg64(void *opaque, uint64_t paddr,
                                    uint64_t old, uint64_t new_val)
{
    GuestMem *m = opaque;

    m->cas_calls++;
    if (paddr >= MEM_SIZE || (paddr & 7) || paddr == m->cas_fault_addr) {
        return RISCV_MEM_FAULT;
    }
    if (m->race_pending) {
        m->race_pending = false;
        m->words[paddr / 8] = m->race_value;
    }
    if (__atomic_compare_exchange_n(&m->words[paddr / 8], &old, new_val,
                                    false, __ATOMIC_SEQ_CST,
                                    __ATOMIC_SEQ_CST)) {
        return RISCV_MEM_OK;
    }
    return RISCV_MEM_CHANGED;
}

static const RiscvPteOps mem_ops = {
    .load64 = mem_load64,
    .cmpxchg64 = mem_cmpxchg64,
};

static uint64_t alloc_page(void)
{
    uint64_t pa = mem.next_page;

    mem.next_page += 4096;
    CHECK(mem.next_page <= MEM_SIZE);
    return pa;
}

static uint64_t *pte_at(uint64_t paddr)
{
    return &mem.words[paddr / 8];
}

/* Fresh memory and root table; returns satp for mode. */
static uint64_t reset_mem(unsigned mode)
{
    memset(&mem, 0, sizeof(mem));
    mem.cas_fault_addr = UINT64_MAX;
    mem.next_page = MEM_BASE;
    return ((uint64_t)mode << 60) | (0x1234ull << 44) |
           (alloc_page() >> 12);
}

static unsigned mode_levels(unsigned mode)
{
    return mode - 5;                    /* Sv39 = 8 -> 3, ... */
}

static unsigned vpn_of(uint64_t va, unsigned level)
{
    return (va >> (12 + 9 * level)) & 511;
}

/*
 * Maps va with a leaf at `level` holding pte_bits and paddr's PPN (not
 * checked for alignment, so that tests can build misaligned ones).
 * Returns the leaf PTE's physical address.
 */
static uint64_t map(uint64_t satp, uint64_t va, uint64_t pa, unsigned level,
                    uint64_t pte_bits)
{
    uint64_t table = (satp & RISCV_SATP64_PPN_MASK) << 12;
    unsigned l = mode_levels(satp >> 60) - 1;
    uint64_t *pte;

    for (;; l--) {
        pte = pte_at(table + vpn_of(va, l) * 8);
        if (l == level) {
            *pte = ((pa >> 12) << 10) | pte_bits;
            return table + vpn_of(va, l) * 8;
        }
        if (!(*pte & V)) {
            *pte = ((alloc_page() >> 12) << 10) | V;
        }
        table = ((*pte >> 10) & ((1ull << 44) - 1)) << 12;
    }
}

static RiscvMmuParams params(uint64_t satp, RiscvPriv priv)
{
    return (RiscvMmuParams) {
        .satp = satp,
        .priv = priv,
        .ops = &mem_ops,
        .opaque = &mem,
    };
}

static void expect_fault(const RiscvMmuParams *p, uint64_t va,
                         RiscvAccess acc, RiscvMmuCause cause)
{
    RiscvTranslation t;

    CHECK(!riscv_translate(p, va, acc, &t));
    CHECK_EQ(t.cause, cause);
}

static const RiscvMmuCause pf[] = {
    [LD] = RISCV_CAUSE_LOAD_PAGE_FAULT,
    [ST] = RISCV_CAUSE_STORE_PAGE_FAULT,
    [EX] = RISCV_CAUSE_FETCH_PAGE_FAULT,
};
static const RiscvMmuCause af[] = {
    [LD] = RISCV_CAUSE_LOAD_ACCESS,
    [ST] = RISCV_CAUSE_STORE_ACCESS,
    [EX] = RISCV_CAUSE_FETCH_ACCESS,
};

static const unsigned modes[] = {
    RISCV_SATP_MODE_SV39, RISCV_SATP_MODE_SV48, RISCV_SATP_MODE_SV57,
};

/* A canonical address exercising every VPN field of the mode, in the
 * upper (negative) half when `high`. */
static uint64_t sample_va(unsigned mode, bool high, uint64_t offset)
{
    unsigned va_bits = 12 + 9 * mode_levels(mode);
    uint64_t va = 0x0123456789abcdefull & ((1ull << (va_bits - 1)) - 1);

    va = (va & ~0xfffull) | offset;
    if (high) {
        va |= ~0ull << (va_bits - 1);
    }
    return va;
}

static void test_bare_and_mmode(void)
{
    RiscvTranslation t;
    RiscvMmuParams p = params(0, RISCV_PRIV_U);

    reset_mem(RISCV_SATP_MODE_SV39);
    CHECK(riscv_translate(&p, 0xdeadbeef123ull, ST, &t));
    CHECK_EQ(t.paddr, 0xdeadbeef123ull);
    CHECK_EQ(t.prot, RISCV_PROT_RWX);
    /* M-mode is never translated, whatever satp says. */
    p = params(reset_mem(RISCV_SATP_MODE_SV39), RISCV_PRIV_M);
    CHECK(riscv_translate(&p, 0x8000001234ull, EX, &t));
    CHECK_EQ(t.paddr, 0x8000001234ull);
}

static void test_4k_pages(void)
{
    RiscvTranslation t;

    for (unsigned m = 0; m < 3; m++) {
        for (int high = 0; high < 2; high++) {
            uint64_t satp = reset_mem(modes[m]);
            RiscvMmuParams p = params(satp, RISCV_PRIV_S);
            uint64_t va = sample_va(modes[m], high, 0);
            uint64_t pa = 0xabcdef1234000ull;

            map(satp, va, pa, 0, V | PR | PW | PA | PD);
            CHECK(riscv_translate(&p, va + 0x9a8, ST, &t));
            CHECK_EQ(t.paddr, pa + 0x9a8);
            CHECK_EQ(t.page_shift, 12);
            CHECK_EQ(t.prot, RISCV_PROT_R | RISCV_PROT_W);
            /* The neighbouring page is not mapped. */
            expect_fault(&p, va + 0x1000, LD, RISCV_CAUSE_LOAD_PAGE_FAULT);
            /* Nor is the same page in the other half. */
            expect_fault(&p, sample_va(modes[m], !high, 0), EX,
                         RISCV_CAUSE_FETCH_PAGE_FAULT);
        }
    }
}

static void test_superpages(void)
{
    RiscvTranslation t;

    for (unsigned m = 0; m < 3; m++) {
        for (unsigned level = 1; level < mode_levels(modes[m]); level++) {
            unsigned shift = 12 + 9 * level;
            uint64_t satp = reset_mem(modes[m]);
            RiscvMmuParams p = params(satp, RISCV_PRIV_S);
            uint64_t off = 0x123456789abcdull & ((1ull << shift) - 1);
            uint64_t va = sample_va(modes[m], level & 1, 0) &
                          ~((1ull << shift) - 1);
            uint64_t pa = 1ull << 55 | 1ull << shift;

            map(satp, va, pa, level, V | PX | PA);
            CHECK(riscv_translate(&p, va + off, EX, &t));
            CHECK_EQ(t.paddr, pa + off);
            CHECK_EQ(t.page_shift, shift);
            CHECK_EQ(t.prot, RISCV_PROT_X);
            expect_fault(&p, va + off, LD, RISCV_CAUSE_LOAD_PAGE_FAULT);

            /* Misaligned superpage: any low PPN bit set faults. */
            for (unsigned bit = 12; bit < shift; bit += 5) {
                map(satp, va, pa | 1ull << bit, level, V | PX | PR | PW |
                    PA | PD);
                for (unsigned acc = 0; acc < 3; acc++) {
                    expect_fault(&p, va + off, acc, pf[acc]);
                }
            }
        }
    }
}

/*
 * Expected outcome of an access to a leaf with A=D=1, from the spec's
 * text, written as the list of reasons to refuse.
 */
static bool expect_allowed(uint64_t perm, RiscvPriv priv, bool sum, bool mxr,
                           RiscvAccess acc)
{
    bool r = perm & PR, w = perm & PW, x = perm & PX, u = perm & PU;

    if (!r && !x) {
        return false;       /* not a leaf (pointer at level 0), or W only */
    }
    if (w && !r) {
        return false;
    }
    if (priv == RISCV_PRIV_U && !u) {
        return false;
    }
    if (priv == RISCV_PRIV_S && u && acc == EX) {
        return false;
    }
    if (priv == RISCV_PRIV_S && u && !sum) {
        return false;
    }
    if (acc == LD) {
        return r || (mxr && x);
    }
    return acc == ST ? w : x;
}

static void test_permission_table(void)
{
    static const RiscvPriv privs[] = { RISCV_PRIV_U, RISCV_PRIV_S };
    uint64_t satp = reset_mem(RISCV_SATP_MODE_SV39);
    uint64_t va = 0x40201000, pa = 0x87654000;
    uint64_t leaf = map(satp, va, pa, 0, 0);
    unsigned cases = 0;

    for (unsigned perm = 0; perm < 16; perm++) {
        uint64_t bits = (uint64_t)perm << 1;    /* R W X U */
        *pte_at(leaf) = ((pa >> 12) << 10) | V | PA | PD | bits;
        for (int pi = 0; pi < 2; pi++) {
            for (int flags = 0; flags < 4; flags++) {
                RiscvMmuParams p = params(satp, privs[pi]);
                unsigned want_prot = 0;
                RiscvTranslation t;

                p.sum = flags & 1;
                p.mxr = flags & 2;
                for (unsigned acc = 0; acc < 3; acc++) {
                    if (expect_allowed(bits, privs[pi], p.sum, p.mxr, acc)) {
                        want_prot |= 1u << acc;
                    }
                }
                for (unsigned acc = 0; acc < 3; acc++) {
                    bool ok = riscv_translate(&p, va + 8, acc, &t);

                    cases++;
                    CHECK_EQ(ok, (want_prot >> acc) & 1);
                    if (ok) {
                        CHECK_EQ(t.paddr, pa + 8);
                        CHECK_EQ(t.prot, want_prot);
                    } else {
                        CHECK_EQ(t.cause, pf[acc]);
                    }
                }
            }
        }
    }
    CHECK_EQ(cases, 16 * 2 * 4 * 3);
}

static void test_hw_ad_update(void)
{
    uint64_t satp = reset_mem(RISCV_SATP_MODE_SV48);
    RiscvMmuParams p = params(satp, RISCV_PRIV_U);
    uint64_t va = 0x7f0000123000ull, pa = 0x5000;
    uint64_t leaf = map(satp, va, pa, 0, V | PR | PW | PX | PU);
    uint64_t base = *pte_at(leaf);
    RiscvTranslation t;

    p.adue = true;
    /* A load sets A only, and the page is not cached writable. */
    CHECK(riscv_translate(&p, va, LD, &t));
    CHECK_EQ(*pte_at(leaf), base | PA);
    CHECK_EQ(t.prot, RISCV_PROT_R | RISCV_PROT_X);
    CHECK_EQ(mem.cas_calls, 1);
    CHECK(riscv_translate(&p, va, EX, &t));
    CHECK_EQ(mem.cas_calls, 1);                 /* nothing to update */
    /* A store sets D. */
    CHECK(riscv_translate(&p, va, ST, &t));
    CHECK_EQ(*pte_at(leaf), base | PA | PD);
    CHECK_EQ(t.prot, RISCV_PROT_RWX);
    CHECK_EQ(mem.cas_calls, 2);
    /* A store to an A=0 D=0 page sets both in one CAS. */
    *pte_at(leaf) = base;
    CHECK(riscv_translate(&p, va, ST, &t));
    CHECK_EQ(*pte_at(leaf), base | PA | PD);
    CHECK_EQ(mem.cas_calls, 3);

    /* Another hart set A meanwhile: the walk re-reads, nothing left. */
    *pte_at(leaf) = base;
    mem.race_pending = true;
    mem.race_value = base | PA;
    CHECK(riscv_translate(&p, va, LD, &t));
    CHECK_EQ(mem.cas_calls, 4);
    CHECK_EQ(*pte_at(leaf), base | PA);

    /* Another hart removed W meanwhile: the retried store faults. */
    *pte_at(leaf) = base | PA;
    mem.race_pending = true;
    mem.race_value = base & ~PW;
    expect_fault(&p, va, ST, RISCV_CAUSE_STORE_PAGE_FAULT);
    CHECK_EQ(mem.cas_calls, 5);
    CHECK_EQ(*pte_at(leaf), base & ~PW);

    /* Another hart changed the page: the retry uses the new PPN. */
    *pte_at(leaf) = base;
    mem.race_pending = true;
    mem.race_value = (base & 0x3ff) | (0x9999ull << 10);
    CHECK(riscv_translate(&p, va + 4, LD, &t));
    CHECK_EQ(t.paddr, 0x9999004);
    CHECK_EQ(mem.cas_calls, 7);

    /* The CAS reports a bus error: access fault. */
    *pte_at(leaf) = base;
    mem.cas_fault_addr = leaf;
    expect_fault(&p, va, EX, RISCV_CAUSE_FETCH_ACCESS);
    CHECK_EQ(*pte_at(leaf), base);

    /* Faulting accesses never set A. */
    mem.cas_fault_addr = UINT64_MAX;
    *pte_at(leaf) = base & ~PU;
    expect_fault(&p, va, LD, RISCV_CAUSE_LOAD_PAGE_FAULT);
    CHECK_EQ(*pte_at(leaf), base & ~PU);
}

static void test_ad_faults(void)
{
    uint64_t satp = reset_mem(RISCV_SATP_MODE_SV39);
    RiscvMmuParams p = params(satp, RISCV_PRIV_S);
    uint64_t va = 0x1000, pa = 0x3000;
    uint64_t leaf = map(satp, va, pa, 0, V | PR | PW | PX);
    uint64_t base = *pte_at(leaf);
    RiscvTranslation t;

    for (unsigned acc = 0; acc < 3; acc++) {
        expect_fault(&p, va, acc, pf[acc]);
    }
    *pte_at(leaf) = base | PA;
    CHECK(riscv_translate(&p, va, LD, &t));
    CHECK_EQ(t.prot, RISCV_PROT_R | RISCV_PROT_X);  /* D=0: no W cached */
    CHECK(riscv_translate(&p, va, EX, &t));
    expect_fault(&p, va, ST, RISCV_CAUSE_STORE_PAGE_FAULT);
    *pte_at(leaf) = base | PA | PD;
    CHECK(riscv_translate(&p, va, ST, &t));
    CHECK_EQ(t.prot, RISCV_PROT_RWX);
    CHECK_EQ(mem.cas_calls, 0);
    /* D without A still needs A. */
    *pte_at(leaf) = base | PD;
    expect_fault(&p, va, ST, RISCV_CAUSE_STORE_PAGE_FAULT);
    CHECK_EQ(*pte_at(leaf), base | PD);
}

static void test_non_canonical(void)
{
    for (unsigned m = 0; m < 3; m++) {
        unsigned va_bits = 12 + 9 * mode_levels(modes[m]);
        uint64_t satp = reset_mem(modes[m]);
        RiscvMmuParams p = params(satp, RISCV_PRIV_S);
        uint64_t top = 1ull << (va_bits - 1);
        RiscvTranslation t;

        /* Map both ends so only canonicity can fail. */
        map(satp, 0, 0, 0, V | PR | PW | PX | PA | PD);
        map(satp, ~0ull << 12, 0, 0, V | PR | PW | PX | PA | PD);
        CHECK(riscv_translate(&p, 0, LD, &t));
        CHECK(riscv_translate(&p, ~0ull, LD, &t));
        for (unsigned acc = 0; acc < 3; acc++) {
            expect_fault(&p, top << 1, acc, pf[acc]);       /* bit va_bits */
            expect_fault(&p, 1ull << 63, acc, pf[acc]);
            expect_fault(&p, ~0ull ^ top, acc, pf[acc]);    /* top bit 0 */
            expect_fault(&p, (~0ull ^ (1ull << 63)), acc, pf[acc]);
        }
    }
}

static void test_invalid_ptes(void)
{
    uint64_t satp = reset_mem(RISCV_SATP_MODE_SV57);
    RiscvMmuParams p = params(satp, RISCV_PRIV_S);
    uint64_t va = 0x00ff123456789000ull, pa = 0x4000;
    uint64_t good = ((pa >> 12) << 10) | V | PR | PW | PX | PA | PD;
    uint64_t leaf = map(satp, va, pa, 0, good);
    uint64_t root_pte = (satp & RISCV_SATP64_PPN_MASK) * 4096 +
                        vpn_of(va, 4) * 8;
    uint64_t nonleaf = *pte_at(root_pte);
    RiscvTranslation t;

    CHECK(riscv_translate(&p, va, ST, &t));
    /* Software bits 8-9 and G are ignored. */
    *pte_at(leaf) = good | 3ull << 8 | RISCV_PTE_G;
    CHECK(riscv_translate(&p, va, ST, &t));

    /* Reserved bits 63-54 (no Svnapot/Svpbmt) fault in leaf and
     * pointer PTEs alike. */
    for (unsigned bit = 54; bit < 64; bit++) {
        *pte_at(leaf) = good | 1ull << bit;
        expect_fault(&p, va, LD, RISCV_CAUSE_LOAD_PAGE_FAULT);
        *pte_at(leaf) = good;
        *pte_at(root_pte) = nonleaf | 1ull << bit;
        expect_fault(&p, va, ST, RISCV_CAUSE_STORE_PAGE_FAULT);
        *pte_at(root_pte) = nonleaf;
    }
    /* A, D, U are reserved in pointers. */
    for (uint64_t b = PU; b <= PD; b <<= 1) {
        if (b == RISCV_PTE_G) {
            continue;
        }
        *pte_at(root_pte) = nonleaf | b;
        expect_fault(&p, va, EX, RISCV_CAUSE_FETCH_PAGE_FAULT);
    }
    *pte_at(root_pte) = nonleaf | RISCV_PTE_G;
    CHECK(riscv_translate(&p, va, EX, &t));
    *pte_at(root_pte) = nonleaf;

    /* V=0 anywhere. */
    *pte_at(leaf) = good & ~V;
    expect_fault(&p, va, LD, RISCV_CAUSE_LOAD_PAGE_FAULT);
    *pte_at(leaf) = good;
    *pte_at(root_pte) = nonleaf & ~V;
    expect_fault(&p, va, LD, RISCV_CAUSE_LOAD_PAGE_FAULT);
    *pte_at(root_pte) = nonleaf;

    /* W without R, leaf or not. */
    *pte_at(leaf) = good & ~PR;
    expect_fault(&p, va, ST, RISCV_CAUSE_STORE_PAGE_FAULT);
    *pte_at(root_pte) = nonleaf | PW;
    *pte_at(leaf) = good;
    expect_fault(&p, va, EX, RISCV_CAUSE_FETCH_PAGE_FAULT);
    *pte_at(root_pte) = nonleaf;

    /* A pointer at level 0: out of levels.  Point it at the root so
     * the walk would otherwise go on. */
    *pte_at(leaf) = (((satp & RISCV_SATP64_PPN_MASK)) << 10) | V;
    expect_fault(&p, va, LD, RISCV_CAUSE_LOAD_PAGE_FAULT);
    CHECK(riscv_translate(&p, va, EX, &t) == false);
}

static void test_pte_bus_error(void)
{
    uint64_t satp = reset_mem(RISCV_SATP_MODE_SV39);
    RiscvMmuParams p;
    uint64_t va = 0x200000;

    /* Root table outside memory. */
    p = params((satp & ~RISCV_SATP64_PPN_MASK) | (MEM_SIZE >> 12),
               RISCV_PRIV_S);
    for (unsigned acc = 0; acc < 3; acc++) {
        expect_fault(&p, va, acc, af[acc]);
    }
    /* A pointer to a table outside memory. */
    p = params(satp, RISCV_PRIV_S);
    *pte_at((satp & RISCV_SATP64_PPN_MASK) * 4096) =
        ((uint64_t)(MEM_SIZE >> 12) << 10) | V;
    expect_fault(&p, va, ST, RISCV_CAUSE_STORE_ACCESS);
}

static void test_pmp_on_walk(void)
{
    uint64_t satp = reset_mem(RISCV_SATP_MODE_SV39);
    RiscvMmuParams p = params(satp, RISCV_PRIV_U);
    uint64_t va = 0x12345000, pa = 0x80000000;
    uint64_t leaf = map(satp, va, pa, 0, V | PR | PW | PU);
    uint64_t table_end = mem.next_page;
    RiscvPmp pmp;
    RiscvTranslation t;

    p.pmp = &pmp;
    p.adue = true;
    /* PMP implemented, nothing matches: S-mode PTE reads denied. */
    riscv_pmp_init(&pmp, 16);
    for (unsigned acc = 0; acc < 3; acc++) {
        expect_fault(&p, va, acc, af[acc]);
    }
    /* Tables readable only: the A/D write is an access fault... */
    riscv_pmp_write_addr(&pmp, 0, table_end >> 2);
    riscv_pmp_write_cfg(&pmp, 0, RISCV_PMP_R |
                        RISCV_PMP_A_TOR << RISCV_PMP_A_SHIFT);
    expect_fault(&p, va, LD, RISCV_CAUSE_LOAD_ACCESS);
    expect_fault(&p, va, ST, RISCV_CAUSE_STORE_ACCESS);
    CHECK_EQ(mem.cas_calls, 0);
    /* ...unless A and D are already set. */
    *pte_at(leaf) |= PA | PD;
    CHECK(riscv_translate(&p, va, ST, &t));
    CHECK_EQ(t.paddr, pa);
    /* The final address is the caller's to check. */
    CHECK(!riscv_pmp_check(&pmp, t.paddr, 8, ST, RISCV_PRIV_U));

    /* Only the leaf's table readable: the earlier levels fault.  The
     * entry without permissions is unlocked, so this also shows the
     * reads are checked as S-mode accesses, not M-mode ones. */
    riscv_pmp_write_addr(&pmp, 0, (leaf & ~0xfffull) >> 2);
    riscv_pmp_write_cfg(&pmp, 0, RISCV_PMP_A_TOR << RISCV_PMP_A_SHIFT);
    riscv_pmp_write_addr(&pmp, 1, table_end >> 2);
    riscv_pmp_write_cfg(&pmp, 1, RISCV_PMP_R | RISCV_PMP_W |
                        RISCV_PMP_A_TOR << RISCV_PMP_A_SHIFT);
    expect_fault(&p, va, LD, RISCV_CAUSE_LOAD_ACCESS);
    /* Granting R on the upper tables is enough for a load. */
    riscv_pmp_write_cfg(&pmp, 0, RISCV_PMP_A_TOR << RISCV_PMP_A_SHIFT |
                        RISCV_PMP_R);
    CHECK(riscv_translate(&p, va, LD, &t));

    /* Whole-space RWX: the A/D write goes through. */
    riscv_pmp_init(&pmp, 16);
    riscv_pmp_write_addr(&pmp, 0, RISCV_PMP_ADDR_MASK);
    riscv_pmp_write_cfg(&pmp, 0, RISCV_PMP_R | RISCV_PMP_W | RISCV_PMP_X |
                        RISCV_PMP_A_NAPOT << RISCV_PMP_A_SHIFT);
    *pte_at(leaf) &= ~(PA | PD);
    CHECK(riscv_translate(&p, va, ST, &t));
    CHECK_EQ(*pte_at(leaf) & (PA | PD), PA | PD);
}

int main(void)
{
    RUN(test_bare_and_mmode);
    RUN(test_4k_pages);
    RUN(test_superpages);
    RUN(test_permission_table);
    RUN(test_hw_ad_update);
    RUN(test_ad_faults);
    RUN(test_non_canonical);
    RUN(test_invalid_ptes);
    RUN(test_pte_bus_error);
    RUN(test_pmp_on_walk);
    return 0;
}
