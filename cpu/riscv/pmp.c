/*
 * RISC-V physical memory protection: matching and CSR write rules.
 * See pmp.h for the WARL choices.
 */
#include "cpu/riscv/pmp.h"

#include <string.h>

/* A decoded entry: the bytes [lo, last] it covers; empty if lo > last. */
typedef struct PmpRange {
    uint64_t lo;
    uint64_t last;
} PmpRange;

void riscv_pmp_init(RiscvPmp *pmp, unsigned nr_entries)
{
    memset(pmp, 0, sizeof(*pmp));
    if (nr_entries > RISCV_PMP_MAX_ENTRIES) {
        nr_entries = RISCV_PMP_MAX_ENTRIES;
    }
    pmp->nr_entries = nr_entries;
}

static unsigned pmp_mode(uint8_t cfg)
{
    return (cfg & RISCV_PMP_A_MASK) >> RISCV_PMP_A_SHIFT;
}

static bool pmp_locked(const RiscvPmp *pmp, unsigned i)
{
    return pmp->cfg[i] & RISCV_PMP_L;
}

/* Decodes entry i; returns false when it is OFF or covers nothing. */
static bool pmp_range(const RiscvPmp *pmp, unsigned i, PmpRange *r)
{
    uint64_t a = pmp->addr[i];
    unsigned ones;

    switch (pmp_mode(pmp->cfg[i])) {
    case RISCV_PMP_A_TOR:
        /* [pmpaddr[i-1], pmpaddr[i]) in words; entry 0 starts at 0. */
        r->lo = i ? pmp->addr[i - 1] << 2 : 0;
        if ((a << 2) <= r->lo) {
            return false;
        }
        r->last = (a << 2) - 1;
        return true;
    case RISCV_PMP_A_NA4:
        r->lo = a << 2;
        r->last = r->lo + 3;
        return true;
    case RISCV_PMP_A_NAPOT:
        /* t trailing ones encode a 2^(t+3)-byte naturally aligned range;
         * pmpaddr is at most 54 bits, so the size fits in 64 bits. */
        ones = __builtin_ctzll(~a);
        r->lo = (a & ~((2ull << ones) - 1)) << 2;
        r->last = r->lo + (8ull << ones) - 1;
        return true;
    default:
        return false;
    }
}

/* Permissions an access of priv gets from entry i once it matches. */
static unsigned pmp_entry_prot(const RiscvPmp *pmp, unsigned i,
                               RiscvPriv priv)
{
    if (priv == RISCV_PRIV_M && !pmp_locked(pmp, i)) {
        return RISCV_PROT_RWX;
    }
    return pmp->cfg[i] & (RISCV_PMP_R | RISCV_PMP_W | RISCV_PMP_X);
}

/* Permissions when no entry matches. */
static unsigned pmp_default_prot(const RiscvPmp *pmp, RiscvPriv priv)
{
    if (priv == RISCV_PRIV_M || pmp->nr_entries == 0) {
        return RISCV_PROT_RWX;
    }
    return 0;
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

bool riscv_pmp_check(const RiscvPmp *pmp, uint64_t paddr, unsigned size,
                     RiscvAccess access, RiscvPriv priv)
{
    uint64_t last = paddr + size - 1;
    unsigned need = access_prot(access);
    PmpRange r;

    for (unsigned i = 0; i < pmp->nr_entries; i++) {
        if (!pmp_range(pmp, i, &r) || last < r.lo || paddr > r.last) {
            continue;
        }
        /* The lowest-numbered entry touching any byte decides; one that
         * covers only part of the access fails it whatever its bits. */
        if (paddr < r.lo || last > r.last) {
            return false;
        }
        return (pmp_entry_prot(pmp, i, priv) & need) == need;
    }
    return (pmp_default_prot(pmp, priv) & need) == need;
}

void riscv_pmp_uniform_range(const RiscvPmp *pmp, uint64_t paddr,
                             RiscvPriv priv, uint64_t *lo, uint64_t *last,
                             unsigned *prot)
{
    PmpRange r;

    *lo = 0;
    *last = UINT64_MAX;
    /* Entries before the deciding one do not hold paddr: cut them out
     * of the range, keeping the side of paddr. */
    for (unsigned i = 0; i < pmp->nr_entries; i++) {
        if (!pmp_range(pmp, i, &r)) {
            continue;
        }
        if (r.lo <= paddr && paddr <= r.last) {
            *lo = *lo > r.lo ? *lo : r.lo;
            *last = *last < r.last ? *last : r.last;
            *prot = pmp_entry_prot(pmp, i, priv);
            return;
        }
        if (r.last < paddr && r.last >= *lo) {
            *lo = r.last + 1;
        } else if (r.lo > paddr && r.lo <= *last) {
            *last = r.lo - 1;
        }
    }
    *prot = pmp_default_prot(pmp, priv);
}

bool riscv_pmp_page_uniform(const RiscvPmp *pmp, uint64_t paddr,
                            RiscvPriv priv, unsigned *prot)
{
    uint64_t page = paddr & ~0xfffull;
    uint64_t lo, last;

    riscv_pmp_uniform_range(pmp, paddr, priv, &lo, &last, prot);
    return lo <= page && page + 0xfff <= last;
}

void riscv_pmp_write_cfg(RiscvPmp *pmp, unsigned i, uint8_t val)
{
    if (i >= pmp->nr_entries || pmp_locked(pmp, i)) {
        return;
    }
    val &= RISCV_PMP_R | RISCV_PMP_W | RISCV_PMP_X | RISCV_PMP_A_MASK |
           RISCV_PMP_L;
    /* R=0 W=1 is reserved: store the nearest legal value, no write. */
    if ((val & (RISCV_PMP_R | RISCV_PMP_W)) == RISCV_PMP_W) {
        val &= ~RISCV_PMP_W;
    }
    pmp->cfg[i] = val;
}

uint8_t riscv_pmp_read_cfg(const RiscvPmp *pmp, unsigned i)
{
    return i < pmp->nr_entries ? pmp->cfg[i] : 0;
}

void riscv_pmp_write_addr(RiscvPmp *pmp, unsigned i, uint64_t val)
{
    if (i >= pmp->nr_entries || pmp_locked(pmp, i)) {
        return;
    }
    /* A locked TOR entry also locks its base, pmpaddr[i]. */
    if (i + 1 < pmp->nr_entries && pmp_locked(pmp, i + 1) &&
        pmp_mode(pmp->cfg[i + 1]) == RISCV_PMP_A_TOR) {
        return;
    }
    pmp->addr[i] = val & RISCV_PMP_ADDR_MASK;
}

uint64_t riscv_pmp_read_addr(const RiscvPmp *pmp, unsigned i)
{
    return i < pmp->nr_entries ? pmp->addr[i] : 0;
}

/* First entry held by pmpcfgN, or -1 if the CSR does not exist. */
static int pmpcfg_first_entry(unsigned n, unsigned xlen)
{
    if (n >= 16 || (xlen == 64 && (n & 1))) {
        return -1;
    }
    return n * 4;
}

bool riscv_pmp_write_pmpcfg(RiscvPmp *pmp, unsigned n, uint64_t val,
                            unsigned xlen)
{
    int first = pmpcfg_first_entry(n, xlen);

    if (first < 0) {
        return false;
    }
    for (unsigned b = 0; b < xlen / 8; b++) {
        riscv_pmp_write_cfg(pmp, first + b, val >> (8 * b));
    }
    return true;
}

bool riscv_pmp_read_pmpcfg(const RiscvPmp *pmp, unsigned n, uint64_t *val,
                           unsigned xlen)
{
    int first = pmpcfg_first_entry(n, xlen);

    if (first < 0) {
        return false;
    }
    *val = 0;
    for (unsigned b = 0; b < xlen / 8; b++) {
        *val |= (uint64_t)riscv_pmp_read_cfg(pmp, first + b) << (8 * b);
    }
    return true;
}
