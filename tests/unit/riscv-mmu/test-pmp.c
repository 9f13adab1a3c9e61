/* Unit tests of cpu/riscv/pmp.c: matching, priority, locking, the CSR
 * write rules, and a randomized comparison against a byte-by-byte
 * reference model written from the spec's wording. */
#include <string.h>

#include "cpu/riscv/pmp.h"
#include "test.h"

#define R RISCV_PMP_R
#define W RISCV_PMP_W
#define X RISCV_PMP_X
#define L RISCV_PMP_L
#define TOR (RISCV_PMP_A_TOR << RISCV_PMP_A_SHIFT)
#define NA4 (RISCV_PMP_A_NA4 << RISCV_PMP_A_SHIFT)
#define NAPOT (RISCV_PMP_A_NAPOT << RISCV_PMP_A_SHIFT)

#define LD RISCV_ACCESS_LOAD
#define ST RISCV_ACCESS_STORE
#define EX RISCV_ACCESS_FETCH
#define PU RISCV_PRIV_U
#define PS RISCV_PRIV_S
#define PM RISCV_PRIV_M

static RiscvPmp pmp;

static void set_entry(unsigned i, uint8_t cfg, uint64_t addr)
{
    riscv_pmp_write_addr(&pmp, i, addr);
    riscv_pmp_write_cfg(&pmp, i, cfg);
}

/* pmpaddr for a NAPOT region of size bytes (a power of two >= 8). */
static uint64_t napot(uint64_t base, uint64_t size)
{
    return (base >> 2) | ((size >> 3) - 1);
}

static void test_tor(void)
{
    riscv_pmp_init(&pmp, 16);
    set_entry(0, TOR | R, 0x1000 >> 2);                 /* [0, 0x1000) */
    CHECK(riscv_pmp_check(&pmp, 0, 8, LD, PS));
    CHECK(riscv_pmp_check(&pmp, 0xffc, 4, LD, PU));
    CHECK(!riscv_pmp_check(&pmp, 0xffc, 4, ST, PS));
    CHECK(!riscv_pmp_check(&pmp, 0xffc, 4, EX, PS));
    CHECK(!riscv_pmp_check(&pmp, 0xffe, 4, LD, PS));    /* partial */
    CHECK(!riscv_pmp_check(&pmp, 0x1000, 4, LD, PS));   /* no match */
    CHECK(riscv_pmp_check(&pmp, 0x1000, 4, LD, PM));
    CHECK(riscv_pmp_check(&pmp, 0xff8, 4, ST, PM));     /* unlocked */
    CHECK(!riscv_pmp_check(&pmp, 0xffe, 4, ST, PM));    /* partial */

    /* Entry 1 TOR starts at pmpaddr[0]. */
    set_entry(1, TOR | R | W, 0x3000 >> 2);             /* [0x1000, 0x3000) */
    CHECK(riscv_pmp_check(&pmp, 0x1000, 8, ST, PS));
    CHECK(riscv_pmp_check(&pmp, 0x2ff8, 8, ST, PS));
    CHECK(!riscv_pmp_check(&pmp, 0x2ffc, 8, ST, PS));
    /* Straddling entries 0 and 1: entry 0 matches part of it. */
    CHECK(!riscv_pmp_check(&pmp, 0xffc, 8, LD, PS));

    /* A TOR whose top is not above its base matches nothing. */
    set_entry(2, TOR | R | W | X, 0x2000 >> 2);
    CHECK(!riscv_pmp_check(&pmp, 0x3000, 4, LD, PS));
    set_entry(3, TOR | R | W | X, 0x4000 >> 2);         /* [0x2000, 0x4000) */
    CHECK(riscv_pmp_check(&pmp, 0x3000, 4, EX, PS));
    CHECK(!riscv_pmp_check(&pmp, 0x2000, 4, EX, PS));   /* entry 1 first */
}

static void test_na4_napot(void)
{
    riscv_pmp_init(&pmp, 16);
    set_entry(0, NA4 | R | W, 0x2000 >> 2);
    CHECK(riscv_pmp_check(&pmp, 0x2000, 4, ST, PS));
    CHECK(riscv_pmp_check(&pmp, 0x2003, 1, ST, PS));
    CHECK(!riscv_pmp_check(&pmp, 0x2000, 8, LD, PS));
    CHECK(!riscv_pmp_check(&pmp, 0x1ffe, 4, LD, PS));
    CHECK(!riscv_pmp_check(&pmp, 0x2004, 1, LD, PS));

    set_entry(1, NAPOT | X, napot(0x80000000, 0x10000));
    CHECK(riscv_pmp_check(&pmp, 0x80000000, 4, EX, PU));
    CHECK(riscv_pmp_check(&pmp, 0x8000fffc, 4, EX, PU));
    CHECK(!riscv_pmp_check(&pmp, 0x8000fffc, 8, EX, PU));
    CHECK(!riscv_pmp_check(&pmp, 0x7ffffffe, 4, EX, PU));
    CHECK(!riscv_pmp_check(&pmp, 0x80010000, 4, EX, PU));
    CHECK(!riscv_pmp_check(&pmp, 0x80000000, 4, LD, PU));

    /* Smallest NAPOT: 8 bytes (no trailing one). */
    set_entry(2, NAPOT | R, 0x3000 >> 2);
    CHECK(riscv_pmp_check(&pmp, 0x3000, 8, LD, PS));
    CHECK(!riscv_pmp_check(&pmp, 0x3004, 8, LD, PS));
    CHECK(!riscv_pmp_check(&pmp, 0x3008, 1, LD, PS));

    /* All ones: the whole physical address space. */
    set_entry(3, NAPOT | R, RISCV_PMP_ADDR_MASK);
    CHECK(riscv_pmp_check(&pmp, 0, 8, LD, PS));
    CHECK(riscv_pmp_check(&pmp, (1ull << 56) - 8, 8, LD, PS));
    CHECK(!riscv_pmp_check(&pmp, 0x1234, 8, ST, PS));
}

static void test_priority(void)
{
    riscv_pmp_init(&pmp, 16);
    set_entry(0, NA4, 0x1000 >> 2);                     /* no access */
    set_entry(1, NAPOT | R | W | X, napot(0, 0x10000));
    CHECK(!riscv_pmp_check(&pmp, 0x1000, 4, LD, PS));
    CHECK(riscv_pmp_check(&pmp, 0x1004, 4, LD, PS));
    CHECK(riscv_pmp_check(&pmp, 0x0ffc, 4, LD, PS));
    /* Entry 1 covers it all, but entry 0 matches part: fail. */
    CHECK(!riscv_pmp_check(&pmp, 0x0ffc, 8, LD, PS));
    CHECK(!riscv_pmp_check(&pmp, 0x1002, 4, LD, PS));
    /* Higher-numbered entries never override a lower match. */
    set_entry(0, NAPOT | R, napot(0x4000, 0x1000));
    CHECK(!riscv_pmp_check(&pmp, 0x4000, 4, ST, PS));
    CHECK(riscv_pmp_check(&pmp, 0x5000, 4, ST, PS));
}

static void test_locked_mmode(void)
{
    riscv_pmp_init(&pmp, 16);
    set_entry(0, NAPOT, napot(0x1000, 0x1000));
    CHECK(riscv_pmp_check(&pmp, 0x1000, 8, LD, PM));
    CHECK(riscv_pmp_check(&pmp, 0x1000, 8, ST, PM));
    CHECK(riscv_pmp_check(&pmp, 0x1000, 8, EX, PM));
    CHECK(!riscv_pmp_check(&pmp, 0x1000, 8, LD, PS));
    set_entry(1, NAPOT | R | L, napot(0x2000, 0x1000));
    CHECK(riscv_pmp_check(&pmp, 0x2000, 8, LD, PM));
    CHECK(!riscv_pmp_check(&pmp, 0x2000, 8, ST, PM));
    CHECK(!riscv_pmp_check(&pmp, 0x2000, 8, EX, PM));
    CHECK(riscv_pmp_check(&pmp, 0x2000, 8, LD, PU));
    CHECK(!riscv_pmp_check(&pmp, 0x2000, 8, ST, PU));
    /* Partial match fails even in M-mode on an unlocked entry. */
    CHECK(!riscv_pmp_check(&pmp, 0x1ffc, 8, LD, PM));
    /* No match: M passes. */
    CHECK(riscv_pmp_check(&pmp, 0x9000, 8, ST, PM));
}

static void test_default_deny(void)
{
    riscv_pmp_init(&pmp, 16);                   /* implemented, all OFF */
    CHECK(riscv_pmp_check(&pmp, 0x1000, 4, LD, PM));
    CHECK(!riscv_pmp_check(&pmp, 0x1000, 4, LD, PS));
    CHECK(!riscv_pmp_check(&pmp, 0x1000, 4, EX, PU));
    riscv_pmp_init(&pmp, 1);
    CHECK(!riscv_pmp_check(&pmp, 0x1000, 4, LD, PS));
    riscv_pmp_init(&pmp, 0);                    /* no PMP at all */
    CHECK(riscv_pmp_check(&pmp, 0x1000, 4, LD, PS));
    CHECK(riscv_pmp_check(&pmp, 0x1000, 4, ST, PU));
    /* Entries past nr_entries do not exist. */
    riscv_pmp_init(&pmp, 4);
    set_entry(4, NAPOT | R | W | X, RISCV_PMP_ADDR_MASK);
    CHECK_EQ(riscv_pmp_read_cfg(&pmp, 4), 0);
    CHECK_EQ(riscv_pmp_read_addr(&pmp, 4), 0);
    CHECK(!riscv_pmp_check(&pmp, 0x1000, 4, LD, PS));
    riscv_pmp_init(&pmp, 64);
    set_entry(63, NAPOT | R, RISCV_PMP_ADDR_MASK);
    CHECK(riscv_pmp_check(&pmp, 0x1000, 4, LD, PS));
}

static void test_write_rules(void)
{
    uint64_t v;

    riscv_pmp_init(&pmp, 16);
    /* Reserved R=0 W=1: W dropped, rest kept; bits 5-6 read zero. */
    riscv_pmp_write_cfg(&pmp, 0, W | X | NA4 | 0x60);
    CHECK_EQ(riscv_pmp_read_cfg(&pmp, 0), X | NA4);
    riscv_pmp_write_cfg(&pmp, 0, W);
    CHECK_EQ(riscv_pmp_read_cfg(&pmp, 0), 0);
    riscv_pmp_write_cfg(&pmp, 0, R | W);
    CHECK_EQ(riscv_pmp_read_cfg(&pmp, 0), R | W);

    /* pmpaddr keeps 54 bits. */
    riscv_pmp_write_addr(&pmp, 1, ~0ull);
    CHECK_EQ(riscv_pmp_read_addr(&pmp, 1), RISCV_PMP_ADDR_MASK);

    /* A locked entry ignores writes to its cfg and addr, until reset. */
    set_entry(2, NAPOT | R | L, napot(0x1000, 0x1000));
    riscv_pmp_write_cfg(&pmp, 2, R | W | X | NAPOT);
    riscv_pmp_write_addr(&pmp, 2, 0x1234);
    CHECK_EQ(riscv_pmp_read_cfg(&pmp, 2), NAPOT | R | L);
    CHECK_EQ(riscv_pmp_read_addr(&pmp, 2), napot(0x1000, 0x1000));
    /* A locked NAPOT entry does not lock the previous pmpaddr... */
    riscv_pmp_write_addr(&pmp, 1, 0x55);
    CHECK_EQ(riscv_pmp_read_addr(&pmp, 1), 0x55);
    /* ...a locked TOR entry does. */
    set_entry(5, TOR | R | L, 0x4000 >> 2);
    riscv_pmp_write_addr(&pmp, 4, 0x777);
    CHECK_EQ(riscv_pmp_read_addr(&pmp, 4), 0);
    riscv_pmp_write_addr(&pmp, 5, 0x777);
    CHECK_EQ(riscv_pmp_read_addr(&pmp, 5), 0x4000 >> 2);
    riscv_pmp_write_cfg(&pmp, 4, R | NA4);              /* cfg4 not locked */
    CHECK_EQ(riscv_pmp_read_cfg(&pmp, 4), R | NA4);

    /* CSR level: RV64 pmpcfg0 holds entries 0-7; odd N do not exist. */
    riscv_pmp_init(&pmp, 16);
    CHECK(riscv_pmp_write_pmpcfg(&pmp, 0, 0x0102030405060708ull, 64));
    CHECK(riscv_pmp_read_pmpcfg(&pmp, 0, &v, 64));
    /* 0x02, 0x06 are W without R: W dropped. */
    CHECK_EQ(v, 0x0100030405040708ull);
    CHECK(!riscv_pmp_write_pmpcfg(&pmp, 1, 0, 64));
    CHECK(!riscv_pmp_read_pmpcfg(&pmp, 3, &v, 64));
    CHECK(riscv_pmp_write_pmpcfg(&pmp, 2, (uint64_t)(L | R) << 8, 64));
    CHECK_EQ(riscv_pmp_read_cfg(&pmp, 9), L | R);
    /* A locked byte keeps its value; its neighbours take the write. */
    CHECK(riscv_pmp_write_pmpcfg(&pmp, 2, 0x0101010101010101ull, 64));
    CHECK(riscv_pmp_read_pmpcfg(&pmp, 2, &v, 64));
    CHECK_EQ(v, 0x0101010101018101ull);
    /* RV32: pmpcfg1 exists and holds entries 4-7. */
    CHECK(riscv_pmp_write_pmpcfg(&pmp, 1, 0x01010101, 32));
    CHECK_EQ(riscv_pmp_read_cfg(&pmp, 7), R);
    CHECK(!riscv_pmp_write_pmpcfg(&pmp, 16, 0, 32));
}

static void test_page_uniform(void)
{
    uint64_t lo, last;
    unsigned prot;

    riscv_pmp_init(&pmp, 16);
    CHECK(riscv_pmp_page_uniform(&pmp, 0x1234, PS, &prot));
    CHECK_EQ(prot, 0);
    CHECK(riscv_pmp_page_uniform(&pmp, 0x1234, PM, &prot));
    CHECK_EQ(prot, RISCV_PROT_RWX);

    set_entry(0, NA4 | R, 0x1000 >> 2);
    set_entry(1, NAPOT | R | W, napot(0, 0x10000));
    set_entry(2, NAPOT | R | X, napot(0x20000, 0x2000));
    CHECK(!riscv_pmp_page_uniform(&pmp, 0x1800, PS, &prot));
    CHECK(riscv_pmp_page_uniform(&pmp, 0x2800, PS, &prot));
    CHECK_EQ(prot, R | W);
    CHECK(riscv_pmp_page_uniform(&pmp, 0x21000, PU, &prot));
    CHECK_EQ(prot, R | X);
    CHECK(riscv_pmp_page_uniform(&pmp, 0x21000, PM, &prot));
    CHECK_EQ(prot, RISCV_PROT_RWX);
    CHECK(riscv_pmp_page_uniform(&pmp, 0x30000, PS, &prot));
    CHECK_EQ(prot, 0);

    riscv_pmp_uniform_range(&pmp, 0x5000, PS, &lo, &last, &prot);
    CHECK_EQ(lo, 0x1004);
    CHECK_EQ(last, 0xffff);
    riscv_pmp_uniform_range(&pmp, 0x1000, PS, &lo, &last, &prot);
    CHECK_EQ(lo, 0x1000);
    CHECK_EQ(last, 0x1003);
    CHECK_EQ(prot, R);
    riscv_pmp_uniform_range(&pmp, 0x18000, PS, &lo, &last, &prot);
    CHECK_EQ(lo, 0x10000);
    CHECK_EQ(last, 0x1ffff);

    /* A small entry in the middle of the page splits it. */
    riscv_pmp_init(&pmp, 16);
    set_entry(0, NA4 | R, 0x4800 >> 2);
    CHECK(!riscv_pmp_page_uniform(&pmp, 0x4000, PS, &prot));
    CHECK(riscv_pmp_page_uniform(&pmp, 0x5000, PS, &prot));
}

/*
 * Reference model: decides byte by byte, following the spec's wording
 * ("the lowest-numbered entry that matches any byte"), with NAPOT
 * membership by comparing the address with the non-masked bits.
 */
static bool ref_entry_has(const RiscvPmp *p, unsigned i, uint64_t b)
{
    uint64_t y = p->addr[i], w = b >> 2, mask;

    switch ((p->cfg[i] >> 3) & 3) {
    case 1:
        return b >= (i ? p->addr[i - 1] * 4 : 0) && b < y * 4;
    case 2:
        return w == y;
    case 3:
        mask = y ^ (y + 1);                 /* trailing ones + one zero */
        return (w | mask) == (y | mask);
    }
    return false;
}

static int ref_first(const RiscvPmp *p, uint64_t b)
{
    for (unsigned i = 0; i < p->nr_entries; i++) {
        if (ref_entry_has(p, i, b)) {
            return i;
        }
    }
    return -1;
}

static bool ref_check(const RiscvPmp *p, uint64_t a, unsigned size,
                      unsigned need, RiscvPriv priv)
{
    int first = ref_first(p, a);
    uint8_t c;

    for (unsigned k = 1; k < size; k++) {
        if (ref_first(p, a + k) != first) {
            return false;
        }
    }
    if (first < 0) {
        return priv == PM || p->nr_entries == 0;
    }
    c = p->cfg[first];
    if (priv == PM && !(c & L)) {
        return true;
    }
    return (c & need) == need;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void random_config(void)
{
    riscv_pmp_init(&pmp, 1 + rng() % 6);
    for (unsigned i = 0; i < pmp.nr_entries; i++) {
        /* Addresses within 1 KiB so the entries interact. */
        uint64_t addr = rng() % 256;
        if (rng() % 3 == 0) {
            addr |= (1u << (rng() % 6)) - 1;
        }
        set_entry(i, rng() & 0x9f, addr);
    }
}

static void test_random_vs_reference(void)
{
    static const RiscvPriv privs[] = { PU, PS, PM };
    static const RiscvAccess acc[] = { LD, ST, EX };
    static const unsigned sizes[] = { 1, 2, 4, 8 };

    for (int n = 0; n < 3000; n++) {
        random_config();
        for (int k = 0; k < 40; k++) {
            uint64_t a = rng() % 1100;
            unsigned size = sizes[rng() % 4];
            unsigned ai = rng() % 3, pi = rng() % 3;
            bool got = riscv_pmp_check(&pmp, a, size, acc[ai], privs[pi]);
            CHECK_EQ(got, ref_check(&pmp, a, size, 1u << ai, privs[pi]));
        }
        for (int k = 0; k < 4; k++) {
            uint64_t a = rng() % 1100, lo, last;
            unsigned prot;
            int first = ref_first(&pmp, a);

            riscv_pmp_uniform_range(&pmp, a, privs[k % 3], &lo, &last,
                                    &prot);
            CHECK(lo <= a && a <= last);
            /* Every byte inside has the same deciding entry... */
            for (uint64_t b = lo; b <= last && b < 4096; b++) {
                CHECK_EQ(ref_first(&pmp, b), first);
            }
            /* ...and the range is as large as it can be. */
            if (lo > 0) {
                CHECK(ref_first(&pmp, lo - 1) != first);
            }
            if (last != UINT64_MAX) {
                CHECK(ref_first(&pmp, last + 1) != first);
            }
            for (unsigned ai = 0; ai < 3; ai++) {
                CHECK_EQ(!!(prot & (1u << ai)),
                         ref_check(&pmp, a, 1, 1u << ai, privs[k % 3]));
            }
        }
    }
}

int main(void)
{
    RUN(test_tor);
    RUN(test_na4_napot);
    RUN(test_priority);
    RUN(test_locked_mmode);
    RUN(test_default_deny);
    RUN(test_write_rules);
    RUN(test_page_uniform);
    RUN(test_random_vs_reference);
    return 0;
}
