/*
 * Unit tests of cpu/riscv/csr.c and trap.c: direct calls on one hart's
 * state.  Expected values are written out from the privileged spec 1.12
 * (literal masks, a list of the CSRs that must exist, a separately
 * written interrupt-selection rule), not derived from the code under
 * test.
 */
#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#include "cpu/riscv/cpu.h"
#include "test.h"

#define NONE RISCV_EXCP_NONE
#define ILLEGAL RISCV_EXCP_ILLEGAL_INSN

static CPURISCVState env;
static uint64_t fake_time;
static unsigned mmu_changes, stimecmp_changes;

static uint64_t get_time(void *opaque)
{
    CHECK(opaque == &env);
    return fake_time;
}

static void on_mmu(void *opaque)
{
    (void)opaque;
    mmu_changes++;
}

static void on_stimecmp(void *opaque)
{
    (void)opaque;
    stimecmp_changes++;
}

static void reset(void)
{
    memset(&env, 0, sizeof(env));
    env.opaque = &env;
    env.read_time = get_time;
    env.mmu_changed = on_mmu;
    env.stimecmp_changed = on_stimecmp;
    env.mhartid = 7;
    riscv_cpu_reset(&env, 0x1000);
    fake_time = 0;
    mmu_changes = stimecmp_changes = 0;
}

static uint64_t rd(unsigned csr)
{
    uint64_t v = 0xbadbadbad;

    CHECK_EQ(riscv_csr_read(&env, csr, &v), NONE);
    return v;
}

static void wr(unsigned csr, uint64_t v)
{
    CHECK_EQ(riscv_csr_write(&env, csr, v), NONE);
}

static int op(unsigned csr, enum riscv_csr_op o, uint64_t src, bool write)
{
    uint64_t old;

    return riscv_csr_op(&env, csr, o, src, write, &old);
}

/* Privilege of the M-mode software under test; CSR set-up is done in M
 * first, then this drops to 'priv'. */
static void at(unsigned priv)
{
    env.priv = priv;
}

/* ---- which CSRs exist */

static bool expected_exists(unsigned c)
{
    static const unsigned ranges[][2] = {
        { 0x001, 0x003 },       /* fflags frm fcsr */
        { 0xc00, 0xc1f },       /* cycle time instret hpmcounter3-31 */
        { 0x100, 0x100 }, { 0x104, 0x106 }, { 0x10a, 0x10a },
        { 0x140, 0x144 }, { 0x14d, 0x14d }, { 0x180, 0x180 },
        { 0xf11, 0xf15 },
        { 0x300, 0x306 }, { 0x30a, 0x30a }, { 0x320, 0x320 },
        { 0x323, 0x33f },       /* mhpmevent3-31 */
        { 0x340, 0x344 },
        { 0x3b0, 0x3ef },       /* pmpaddr0-63 */
        { 0xb00, 0xb00 }, { 0xb02, 0xb1f },
    };

    for (unsigned i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
        if (c >= ranges[i][0] && c <= ranges[i][1])
            return true;
    }
    /* pmpcfg0, 2, ..., 14: RV64 has no odd ones */
    return c >= 0x3a0 && c <= 0x3af && !(c & 1);
}

/* Every access predicate satisfied, so only existence and privilege
 * are left. */
static void enable_everything(void)
{
    reset();
    wr(CSR_MSTATUS, 1ull << 13);    /* FS = Initial */
    wr(CSR_MCOUNTEREN, ~0ull);
    wr(CSR_SCOUNTEREN, ~0ull);
    wr(CSR_MENVCFG, MENVCFG_STCE);
}

static void test_existence(void)
{
    enable_everything();
    for (unsigned c = 0; c < 4096; c++) {
        uint64_t v;
        int e = riscv_csr_read(&env, c, &v);

        if (e != (expected_exists(c) ? NONE : ILLEGAL)) {
            fprintf(stderr, "csr 0x%03x\n", c);
            CHECK(0);
        }
    }
    /* a few that must be absent, by name */
    CHECK_EQ(riscv_csr_read(&env, 0x7a0, &(uint64_t){0}), ILLEGAL); /* tselect */
    CHECK_EQ(riscv_csr_read(&env, 0x7b0, &(uint64_t){0}), ILLEGAL); /* dcsr */
    CHECK_EQ(riscv_csr_read(&env, 0xc80, &(uint64_t){0}), ILLEGAL); /* cycleh */
    CHECK_EQ(riscv_csr_read(&env, 0x3a1, &(uint64_t){0}), ILLEGAL); /* pmpcfg1 */
    CHECK_EQ(riscv_csr_read(&env, 0x747, &(uint64_t){0}), ILLEGAL); /* mseccfg */
    CHECK_EQ(riscv_csr_read(&env, 0x600, &(uint64_t){0}), ILLEGAL); /* hstatus */
    CHECK_EQ(riscv_csr_read(&env, 4096, &(uint64_t){0}), ILLEGAL);
}

static void test_privilege(void)
{
    static const unsigned privs[] = { RISCV_PRIV_U, RISCV_PRIV_S,
                                      RISCV_PRIV_M };

    for (unsigned p = 0; p < 3; p++) {
        enable_everything();
        at(privs[p]);
        for (unsigned c = 0; c < 4096; c++) {
            uint64_t v;
            unsigned need = (c >> 8) & 3;
            int want = expected_exists(c) && privs[p] >= need ? NONE
                                                              : ILLEGAL;

            if (riscv_csr_read(&env, c, &v) != want) {
                fprintf(stderr, "csr 0x%03x priv %u\n", c, privs[p]);
                CHECK(0);
            }
        }
    }
    /* the rule by example: U reads sstatus, S reads mstatus */
    enable_everything();
    at(RISCV_PRIV_U);
    CHECK_EQ(riscv_csr_read(&env, CSR_SSTATUS, &(uint64_t){0}), ILLEGAL);
    CHECK_EQ(riscv_csr_write(&env, CSR_SSCRATCH, 1), ILLEGAL);
    at(RISCV_PRIV_S);
    CHECK_EQ(riscv_csr_read(&env, CSR_MSTATUS, &(uint64_t){0}), ILLEGAL);
    CHECK_EQ(riscv_csr_write(&env, CSR_MSCRATCH, 1), ILLEGAL);
    CHECK_EQ(rd(CSR_SSCRATCH), 0);
    at(RISCV_PRIV_M);
    CHECK_EQ(rd(CSR_MSCRATCH), 0);
}

/* Writes: read-only numbers trap only when the instruction writes. */
static void test_read_only(void)
{
    enable_everything();
    for (unsigned c = 0; c < 4096; c++) {
        if (!expected_exists(c))
            continue;
        if ((c >> 10) == 3) {
            CHECK_EQ(op(c, RISCV_CSR_RW, 0, true), ILLEGAL);
            CHECK_EQ(op(c, RISCV_CSR_RS, 0, true), ILLEGAL);
            CHECK_EQ(op(c, RISCV_CSR_RC, 0, true), ILLEGAL);
            CHECK_EQ(op(c, RISCV_CSR_RS, 0, false), NONE);
            CHECK_EQ(op(c, RISCV_CSR_RC, 0, false), NONE);
        } else {
            /* csrrs with 0 changes nothing but is a legal write */
            CHECK_EQ(op(c, RISCV_CSR_RS, 0, true), NONE);
        }
    }
    /* csrrs rs1=x0 does not write */
    wr(CSR_MSCRATCH, 5);
    CHECK_EQ(op(CSR_MSCRATCH, RISCV_CSR_RS, 0xf0, false), NONE);
    CHECK_EQ(rd(CSR_MSCRATCH), 5);
    CHECK_EQ(op(CSR_MSCRATCH, RISCV_CSR_RS, 0xf0, true), NONE);
    CHECK_EQ(rd(CSR_MSCRATCH), 0xf5);
    CHECK_EQ(op(CSR_MSCRATCH, RISCV_CSR_RC, 0x14, true), NONE);
    CHECK_EQ(rd(CSR_MSCRATCH), 0xe1);
    uint64_t old = 0;
    CHECK_EQ(riscv_csr_op(&env, CSR_MSCRATCH, RISCV_CSR_RW, 9, true, &old),
             NONE);
    CHECK_EQ(old, 0xe1);
    CHECK_EQ(rd(CSR_MSCRATCH), 9);
}

/* ---- individual registers */

static void test_reset_and_ids(void)
{
    reset();
    CHECK_EQ(env.priv, RISCV_PRIV_M);
    CHECK_EQ(env.pc, 0x1000);
    CHECK_EQ(rd(CSR_MISA), 0x800000000014112Dull);
    CHECK_EQ(rd(CSR_MSTATUS), 0x0000000A00000000ull);
    CHECK_EQ(rd(CSR_MHARTID), 7);
    CHECK_EQ(rd(CSR_MVENDORID), 0);
    CHECK_EQ(rd(CSR_MARCHID), 0);
    CHECK_EQ(rd(CSR_MIMPID), 0);
    CHECK_EQ(rd(CSR_MCONFIGPTR), 0);
    CHECK_EQ(rd(CSR_MCAUSE), 0);
    CHECK_EQ(riscv_csr_write(&env, CSR_MHARTID, 1), ILLEGAL);
    CHECK_EQ(rd(CSR_MHARTID), 7);
    /* misa is fixed; writing it is legal and changes nothing */
    wr(CSR_MISA, 0);
    CHECK_EQ(rd(CSR_MISA), 0x800000000014112Dull);
    /* reset keeps the hardware lines */
    riscv_set_irq_line(&env, RISCV_IRQ_M_EXT, true);
    riscv_cpu_reset(&env, 0x2000);
    CHECK_EQ(rd(CSR_MIP), MIP_MEIP);
    CHECK_EQ(env.pc, 0x2000);
}

static void test_mstatus(void)
{
    reset();
    wr(CSR_MSTATUS, ~0ull);
    CHECK_EQ(rd(CSR_MSTATUS), 0x8000000A007E79AAull);
    CHECK_EQ(rd(CSR_SSTATUS), 0x80000002000C6122ull);
    wr(CSR_MSTATUS, 0);
    CHECK_EQ(rd(CSR_MSTATUS), 0x0000000A00000000ull);
    /* sstatus writes reach only the S fields */
    wr(CSR_SSTATUS, ~0ull);
    CHECK_EQ(rd(CSR_MSTATUS), 0x8000000A000C6122ull);
    wr(CSR_MSTATUS, MSTATUS_MIE | MSTATUS_TSR | MSTATUS_MPRV);
    wr(CSR_SSTATUS, 0);
    CHECK_EQ(rd(CSR_MSTATUS),
             0x0000000A00000000ull | MSTATUS_MIE | MSTATUS_TSR |
             MSTATUS_MPRV);
    /* MPP is WARL: 2 is not a mode and leaves the old value */
    wr(CSR_MSTATUS, 1ull << 11);
    CHECK_EQ(rd(CSR_MSTATUS) & (3ull << 11), 1ull << 11);
    wr(CSR_MSTATUS, 2ull << 11);
    CHECK_EQ(rd(CSR_MSTATUS) & (3ull << 11), 1ull << 11);
    wr(CSR_MSTATUS, 0);
    CHECK_EQ(rd(CSR_MSTATUS) & (3ull << 11), 0);
    /* SD follows FS = Dirty only */
    for (unsigned fs = 0; fs < 4; fs++) {
        wr(CSR_MSTATUS, (uint64_t)fs << 13);
        CHECK_EQ(rd(CSR_MSTATUS) >> 63, fs == 3);
        CHECK_EQ(rd(CSR_SSTATUS) >> 63, fs == 3);
        CHECK_EQ((rd(CSR_SSTATUS) >> 13) & 3, fs);
    }
    /* SUM and MXR changes ask for a TLB flush; MIE does not */
    wr(CSR_MSTATUS, 0);
    mmu_changes = 0;
    wr(CSR_MSTATUS, MSTATUS_MIE);
    CHECK_EQ(mmu_changes, 0);
    wr(CSR_MSTATUS, MSTATUS_SUM);
    CHECK_EQ(mmu_changes, 1);
    wr(CSR_SSTATUS, MSTATUS_SUM | MSTATUS_MXR);
    CHECK_EQ(mmu_changes, 2);
    wr(CSR_MSTATUS, MSTATUS_SUM | MSTATUS_MXR | MSTATUS_TVM);
    CHECK_EQ(mmu_changes, 2);
}

static void test_deleg_ie_tvec_epc(void)
{
    reset();
    wr(CSR_MEDELEG, ~0ull);
    CHECK_EQ(rd(CSR_MEDELEG), 0xb3ff);
    wr(CSR_MIDELEG, ~0ull);
    CHECK_EQ(rd(CSR_MIDELEG), 0x222);
    wr(CSR_MIE, ~0ull);
    CHECK_EQ(rd(CSR_MIE), 0xaaa);
    wr(CSR_MEPC, ~0ull);
    CHECK_EQ(rd(CSR_MEPC), ~1ull);
    wr(CSR_SEPC, 0x1235);
    CHECK_EQ(rd(CSR_SEPC), 0x1234);
    wr(CSR_MCAUSE, ~0ull);
    CHECK_EQ(rd(CSR_MCAUSE), ~0ull);
    wr(CSR_SCAUSE, 5);
    CHECK_EQ(rd(CSR_SCAUSE), 5);
    wr(CSR_MTVAL, 0x77);
    wr(CSR_STVAL, 0x88);
    wr(CSR_SSCRATCH, 0x99);
    CHECK_EQ(rd(CSR_MTVAL), 0x77);
    CHECK_EQ(rd(CSR_STVAL), 0x88);
    CHECK_EQ(rd(CSR_SSCRATCH), 0x99);

    static const unsigned tvecs[] = { CSR_MTVEC, CSR_STVEC };
    for (unsigned i = 0; i < 2; i++) {
        wr(tvecs[i], 0x1001);
        CHECK_EQ(rd(tvecs[i]), 0x1001);
        wr(tvecs[i], 0x2002);           /* reserved mode: ignored */
        CHECK_EQ(rd(tvecs[i]), 0x1001);
        wr(tvecs[i], 0x3003);
        CHECK_EQ(rd(tvecs[i]), 0x1001);
        wr(tvecs[i], 0x8000000000004000ull);
        CHECK_EQ(rd(tvecs[i]), 0x8000000000004000ull);
    }
}

static void test_sie_sip_views(void)
{
    reset();
    wr(CSR_MIE, 0xaaa);
    CHECK_EQ(rd(CSR_SIE), 0);
    wr(CSR_SIE, 0);                     /* nothing delegated: no effect */
    CHECK_EQ(rd(CSR_MIE), 0xaaa);
    wr(CSR_MIDELEG, MIP_SSIP);
    CHECK_EQ(rd(CSR_SIE), MIP_SSIP);
    wr(CSR_SIE, 0);
    CHECK_EQ(rd(CSR_MIE), 0xaa8);
    wr(CSR_MIDELEG, MIP_STIP | MIP_SEIP);
    wr(CSR_SIE, ~0ull);
    CHECK_EQ(rd(CSR_MIE), 0xaa8);
    wr(CSR_MIE, 0);
    wr(CSR_SIE, ~0ull);
    CHECK_EQ(rd(CSR_MIE), MIP_STIP | MIP_SEIP);
    CHECK_EQ(rd(CSR_SIE), MIP_STIP | MIP_SEIP);

    /* sip: the delegated bits of mip; only SSIP writable */
    wr(CSR_MIDELEG, 0);
    wr(CSR_MIP, MIP_SSIP | MIP_STIP | MIP_SEIP);
    riscv_set_irq_line(&env, RISCV_IRQ_M_TIMER, true);
    CHECK_EQ(rd(CSR_SIP), 0);
    wr(CSR_SIP, 0);                     /* SSIP not delegated: ignored */
    CHECK_EQ(rd(CSR_MIP), 0x2a2);
    wr(CSR_MIDELEG, 0x222);
    CHECK_EQ(rd(CSR_SIP), 0x222);
    wr(CSR_SIP, 0);
    CHECK_EQ(rd(CSR_MIP), 0x2a0);
    CHECK_EQ(rd(CSR_SIP), 0x220);
    at(RISCV_PRIV_S);
    CHECK_EQ(op(CSR_SIP, RISCV_CSR_RS, ~0ull, true), NONE);
    CHECK_EQ(rd(CSR_SIP), 0x222);
    at(RISCV_PRIV_M);
    CHECK_EQ(rd(CSR_MIP), 0x2a2);
}

static void test_mip(void)
{
    reset();
    wr(CSR_MIP, ~0ull);
    CHECK_EQ(rd(CSR_MIP), 0x222);
    /* M lines are read-only to software */
    CHECK(riscv_set_irq_line(&env, RISCV_IRQ_M_SOFT, true));
    CHECK(riscv_set_irq_line(&env, RISCV_IRQ_M_TIMER, true));
    CHECK(riscv_set_irq_line(&env, RISCV_IRQ_M_EXT, true));
    CHECK_EQ(rd(CSR_MIP), 0xaaa);
    wr(CSR_MIP, 0);
    CHECK_EQ(rd(CSR_MIP), 0x888);
    riscv_set_irq_line(&env, RISCV_IRQ_M_TIMER, false);
    CHECK_EQ(rd(CSR_MIP), 0x808);
    riscv_set_irq_line(&env, RISCV_IRQ_M_SOFT, false);
    riscv_set_irq_line(&env, RISCV_IRQ_M_EXT, false);
    CHECK_EQ(rd(CSR_MIP), 0);
    CHECK(!riscv_set_irq_line(&env, 13, true));
    CHECK(!riscv_set_irq_line(&env, RISCV_IRQ_S_TIMER, true));
    CHECK_EQ(rd(CSR_MIP), 0);

    /* SEIP = software bit OR external line */
    riscv_set_irq_line(&env, RISCV_IRQ_S_EXT, true);
    CHECK_EQ(rd(CSR_MIP), MIP_SEIP);
    wr(CSR_MIP, 0);
    CHECK_EQ(rd(CSR_MIP), MIP_SEIP);
    /* csrrs/csrrc: the line does not leak into the software bit */
    CHECK_EQ(op(CSR_MIP, RISCV_CSR_RS, MIP_SSIP, true), NONE);
    CHECK_EQ(op(CSR_MIP, RISCV_CSR_RC, MIP_SSIP, true), NONE);
    riscv_set_irq_line(&env, RISCV_IRQ_S_EXT, false);
    CHECK_EQ(rd(CSR_MIP), 0);
    wr(CSR_MIP, MIP_SEIP);
    riscv_set_irq_line(&env, RISCV_IRQ_S_EXT, true);
    riscv_set_irq_line(&env, RISCV_IRQ_S_EXT, false);
    CHECK_EQ(rd(CSR_MIP), MIP_SEIP);
    wr(CSR_MIP, 0);

    /* SSIP: an edge from an ACLINT SSWI sets it, software clears it */
    riscv_set_irq_line(&env, RISCV_IRQ_S_SOFT, true);
    CHECK_EQ(rd(CSR_MIP), MIP_SSIP);
    riscv_set_irq_line(&env, RISCV_IRQ_S_SOFT, false);
    CHECK_EQ(rd(CSR_MIP), MIP_SSIP);
    CHECK_EQ(op(CSR_MIP, RISCV_CSR_RC, MIP_SSIP, true), NONE);
    CHECK_EQ(rd(CSR_MIP), 0);
}

static void test_satp(void)
{
    reset();
    for (unsigned mode = 0; mode < 16; mode++) {
        bool ok = mode == 0 || mode == 8 || mode == 9 || mode == 10;
        uint64_t before = (8ull << 60) | (0x55ull << 44) | 0x1234;
        uint64_t v = ((uint64_t)mode << 60) | (0xabcdull << 44) | 0xfedcb;

        wr(CSR_SATP, before);
        mmu_changes = 0;
        wr(CSR_SATP, v);
        CHECK_EQ(rd(CSR_SATP), ok ? v : before);
        CHECK_EQ(mmu_changes, ok);
    }
    /* TVM: S may not touch satp (or sfence.vma); M may */
    wr(CSR_MSTATUS, MSTATUS_TVM);
    at(RISCV_PRIV_S);
    CHECK_EQ(riscv_csr_read(&env, CSR_SATP, &(uint64_t){0}), ILLEGAL);
    CHECK_EQ(riscv_csr_write(&env, CSR_SATP, 0), ILLEGAL);
    CHECK_EQ(riscv_sfence_vma_check(&env), ILLEGAL);
    at(RISCV_PRIV_M);
    CHECK_EQ(riscv_sfence_vma_check(&env), NONE);
    wr(CSR_SATP, 0);
    wr(CSR_MSTATUS, 0);
    at(RISCV_PRIV_S);
    CHECK_EQ(riscv_sfence_vma_check(&env), NONE);
    wr(CSR_SATP, 9ull << 60);
    CHECK_EQ(rd(CSR_SATP), 9ull << 60);
    at(RISCV_PRIV_U);
    CHECK_EQ(riscv_sfence_vma_check(&env), ILLEGAL);
    CHECK_EQ(riscv_csr_read(&env, CSR_SATP, &(uint64_t){0}), ILLEGAL);
}

static void test_counters(void)
{
    reset();
    env.icount = 1000;
    CHECK_EQ(rd(CSR_MCYCLE), 1000);
    CHECK_EQ(rd(CSR_MINSTRET), 1000);
    wr(CSR_MCYCLE, 5);
    CHECK_EQ(rd(CSR_MCYCLE), 5);
    CHECK_EQ(rd(CSR_CYCLE), 5);
    CHECK_EQ(rd(CSR_MINSTRET), 1000);
    env.icount += 10;
    CHECK_EQ(rd(CSR_MCYCLE), 15);
    CHECK_EQ(rd(CSR_INSTRET), 1010);
    /* inhibit freezes; TM is read-only zero; no hpm counters */
    wr(CSR_MCOUNTINHIBIT, ~0ull);
    CHECK_EQ(rd(CSR_MCOUNTINHIBIT), 5);
    env.icount += 100;
    CHECK_EQ(rd(CSR_MCYCLE), 15);
    CHECK_EQ(rd(CSR_MINSTRET), 1010);
    wr(CSR_MCYCLE, 50);
    CHECK_EQ(rd(CSR_MCYCLE), 50);
    wr(CSR_MCOUNTINHIBIT, COUNTEREN_IR);
    env.icount += 3;
    CHECK_EQ(rd(CSR_MCYCLE), 53);
    CHECK_EQ(rd(CSR_MINSTRET), 1010);
    wr(CSR_MCOUNTINHIBIT, 0);
    env.icount += 2;
    CHECK_EQ(rd(CSR_MINSTRET), 1012);
    /* time comes from the board */
    fake_time = 123456;
    CHECK_EQ(rd(CSR_TIME), 123456);
    /* hpm counters and events read zero and ignore writes */
    wr(CSR_MHPMCOUNTER3, 77);
    wr(CSR_MHPMCOUNTER31, 77);
    wr(CSR_MHPMEVENT3, 77);
    wr(CSR_MHPMEVENT31, 77);
    wr(CSR_MCAUSE, 77);
    CHECK_EQ(rd(CSR_MHPMCOUNTER3), 0);
    CHECK_EQ(rd(CSR_MHPMCOUNTER31), 0);
    CHECK_EQ(rd(CSR_MHPMEVENT3), 0);
    CHECK_EQ(rd(CSR_MHPMEVENT31), 0);
    CHECK_EQ(rd(CSR_HPMCOUNTER3 + 4), 0);
    /* counter enables are 32 bits */
    wr(CSR_MCOUNTEREN, ~0ull);
    CHECK_EQ(rd(CSR_MCOUNTEREN), 0xffffffff);
    wr(CSR_SCOUNTEREN, ~0ull);
    CHECK_EQ(rd(CSR_SCOUNTEREN), 0xffffffff);

    /* the enable table */
    static const unsigned ctrs[] = { CSR_CYCLE, CSR_TIME, CSR_INSTRET,
                                     CSR_HPMCOUNTER3, 0xc11,
                                     CSR_HPMCOUNTER31 };
    for (unsigned i = 0; i < 6; i++) {
        unsigned bit = ctrs[i] - 0xc00;
        for (unsigned m = 0; m < 2; m++) {
            for (unsigned s = 0; s < 2; s++) {
                static const unsigned privs[] = { 0, 1, 3 };
                for (unsigned p = 0; p < 3; p++) {
                    unsigned priv = privs[p];
                    bool ok = priv == 3 || (m && (priv == 1 || s));

                    at(RISCV_PRIV_M);
                    /* the other bits set: only this one matters */
                    wr(CSR_MCOUNTEREN, ~(1ull << bit) | ((uint64_t)m << bit));
                    wr(CSR_SCOUNTEREN, ~(1ull << bit) | ((uint64_t)s << bit));
                    at(priv);
                    CHECK_EQ(riscv_csr_read(&env, ctrs[i], &(uint64_t){0}),
                             ok ? NONE : ILLEGAL);
                }
            }
        }
    }
    at(RISCV_PRIV_M);
}

static void test_envcfg_sstc(void)
{
    reset();
    wr(CSR_MENVCFG, ~0ull);
    CHECK_EQ(rd(CSR_MENVCFG), 0xA0000000000000F1ull);
    CHECK_EQ(stimecmp_changes, 1);
    wr(CSR_MENVCFG, 0x10);
    CHECK_EQ(rd(CSR_MENVCFG), 0x10);
    CHECK_EQ(stimecmp_changes, 2);
    wr(CSR_MENVCFG, 0x20);          /* CBIE = 2 reserved: field kept */
    CHECK_EQ(rd(CSR_MENVCFG), 0x10);
    wr(CSR_SENVCFG, ~0ull);
    CHECK_EQ(rd(CSR_SENVCFG), 0xF1);
    wr(CSR_SENVCFG, 0x21);
    CHECK_EQ(rd(CSR_SENVCFG), 0x31);
    wr(CSR_SENVCFG, 0);
    CHECK_EQ(rd(CSR_SENVCFG), 0);

    /* stimecmp access: M always; S needs STCE and mcounteren.TM */
    wr(CSR_MENVCFG, 0);
    wr(CSR_MCOUNTEREN, 0);
    stimecmp_changes = 0;
    wr(CSR_STIMECMP, 200);
    CHECK_EQ(stimecmp_changes, 1);
    CHECK_EQ(rd(CSR_STIMECMP), 200);
    for (unsigned stce = 0; stce < 2; stce++) {
        for (unsigned tm = 0; tm < 2; tm++) {
            at(RISCV_PRIV_M);
            wr(CSR_MENVCFG, stce ? MENVCFG_STCE : 0);
            wr(CSR_MCOUNTEREN, tm ? COUNTEREN_TM : 0);
            at(RISCV_PRIV_S);
            CHECK_EQ(riscv_csr_read(&env, CSR_STIMECMP, &(uint64_t){0}),
                     stce && tm ? NONE : ILLEGAL);
            at(RISCV_PRIV_U);
            CHECK_EQ(riscv_csr_read(&env, CSR_STIMECMP, &(uint64_t){0}),
                     ILLEGAL);
        }
    }
    at(RISCV_PRIV_M);

    /* STIP: software's without Sstc, the comparator's with it */
    wr(CSR_MENVCFG, 0);
    fake_time = 500;
    CHECK_EQ(rd(CSR_MIP) & MIP_STIP, 0);
    wr(CSR_MIP, MIP_STIP);
    CHECK_EQ(rd(CSR_MIP) & MIP_STIP, MIP_STIP);
    wr(CSR_MENVCFG, MENVCFG_STCE);
    wr(CSR_STIMECMP, 1000);
    CHECK_EQ(rd(CSR_MIP) & MIP_STIP, 0);
    wr(CSR_MIP, MIP_STIP | MIP_SSIP);   /* STIP read-only now */
    CHECK_EQ(rd(CSR_MIP), MIP_SSIP);
    fake_time = 999;
    CHECK_EQ(rd(CSR_MIP) & MIP_STIP, 0);
    fake_time = 1000;
    CHECK_EQ(rd(CSR_MIP) & MIP_STIP, MIP_STIP);
    wr(CSR_STIMECMP, ~0ull);
    CHECK_EQ(rd(CSR_MIP) & MIP_STIP, 0);
    /* the ignored write left the software bit as it was */
    wr(CSR_MENVCFG, 0);
    wr(CSR_MIP, 0);
    wr(CSR_MENVCFG, MENVCFG_STCE);
    wr(CSR_MIP, MIP_STIP);
    wr(CSR_MENVCFG, 0);
    CHECK_EQ(rd(CSR_MIP) & MIP_STIP, 0);
}

static void test_fp_csrs(void)
{
    static const unsigned fcsrs[] = { CSR_FFLAGS, CSR_FRM, CSR_FCSR };
    static const unsigned privs[] = { 0, 1, 3 };

    reset();
    /* FS = Off: illegal in every mode, read or write */
    for (unsigned i = 0; i < 3; i++) {
        for (unsigned p = 0; p < 3; p++) {
            at(privs[p]);
            CHECK_EQ(riscv_csr_read(&env, fcsrs[i], &(uint64_t){0}), ILLEGAL);
            CHECK_EQ(riscv_csr_write(&env, fcsrs[i], 0), ILLEGAL);
        }
    }
    at(RISCV_PRIV_M);
    CHECK(!riscv_fs_enabled(&env));

    /* reads leave FS alone, writes make it Dirty */
    for (unsigned i = 0; i < 3; i++) {
        for (unsigned fs = 1; fs < 4; fs++) {
            wr(CSR_MSTATUS, (uint64_t)fs << 13);
            at(RISCV_PRIV_U);
            rd(fcsrs[i]);
            CHECK_EQ(op(fcsrs[i], RISCV_CSR_RS, 1, false), NONE);
            at(RISCV_PRIV_M);
            CHECK_EQ((rd(CSR_MSTATUS) >> 13) & 3, fs);
            at(RISCV_PRIV_U);
            CHECK_EQ(op(fcsrs[i], RISCV_CSR_RS, 0, true), NONE);
            at(RISCV_PRIV_M);
            CHECK_EQ((rd(CSR_MSTATUS) >> 13) & 3, 3);
            CHECK_EQ(rd(CSR_MSTATUS) >> 63, 1);
        }
    }
    wr(CSR_FCSR, 0);
    wr(CSR_FFLAGS, 0xff);
    CHECK_EQ(rd(CSR_FFLAGS), 0x1f);
    CHECK_EQ(rd(CSR_FCSR), 0x1f);
    wr(CSR_FRM, 0xff);
    CHECK_EQ(rd(CSR_FRM), 7);
    CHECK_EQ(rd(CSR_FCSR), 0xff);
    wr(CSR_FCSR, 0xfff);
    CHECK_EQ(rd(CSR_FCSR), 0xff);
    wr(CSR_FCSR, 0x45);
    CHECK_EQ(rd(CSR_FRM), 2);
    CHECK_EQ(rd(CSR_FFLAGS), 5);
    CHECK_EQ(env.frm, 2);
    CHECK_EQ(env.fflags, 5);
    /* helpers accrue into env.fflags; the CSR shows it */
    env.fflags |= 0x10;
    CHECK_EQ(rd(CSR_FCSR), 0x55);
    riscv_mark_fs_dirty(&env);
    CHECK_EQ((env.mstatus >> 13) & 3, 3);
}

static void test_pmp_csrs(void)
{
    reset();
    CHECK_EQ(env.pmp.nr_entries, RISCV_PMP_DEFAULT_ENTRIES);
    mmu_changes = 0;
    wr(CSR_PMPCFG0, 0x1f19);
    CHECK_EQ(rd(CSR_PMPCFG0), 0x1f19);
    CHECK_EQ(mmu_changes, 1);
    wr(CSR_PMPCFG0 + 2, 0x1919191919191919ull);
    CHECK_EQ(rd(CSR_PMPCFG0 + 2), 0x1919191919191919ull);
    CHECK_EQ(env.pmp.cfg[15], 0x19);
    wr(CSR_PMPADDR0, ~0ull);
    CHECK_EQ(rd(CSR_PMPADDR0), (1ull << 54) - 1);
    CHECK_EQ(mmu_changes, 3);
    /* beyond the implemented entries: zero, writes ignored */
    wr(CSR_PMPCFG0 + 4, 0x19);
    CHECK_EQ(rd(CSR_PMPCFG0 + 4), 0);
    wr(CSR_PMPADDR0 + 16, 0x100);
    CHECK_EQ(rd(CSR_PMPADDR0 + 16), 0);
    /* locked entries ignore writes */
    wr(CSR_PMPCFG0, 0x99);
    wr(CSR_PMPADDR0, 0x42);
    CHECK_EQ(rd(CSR_PMPADDR0), (1ull << 54) - 1);
    wr(CSR_PMPCFG0, 0);
    CHECK_EQ(rd(CSR_PMPCFG0) & 0xff, 0x99);
    /* reset unlocks */
    riscv_cpu_reset(&env, 0);
    CHECK_EQ(rd(CSR_PMPCFG0), 0);
    CHECK_EQ(rd(CSR_PMPADDR0), 0);
    at(RISCV_PRIV_S);
    CHECK_EQ(riscv_csr_read(&env, CSR_PMPCFG0, &(uint64_t){0}), ILLEGAL);
}

/* ---- traps */

static const unsigned all_excps[] = {
    RISCV_EXCP_INSN_MISALIGNED, RISCV_EXCP_INSN_ACCESS_FAULT,
    RISCV_EXCP_ILLEGAL_INSN, RISCV_EXCP_BREAKPOINT,
    RISCV_EXCP_LOAD_MISALIGNED, RISCV_EXCP_LOAD_ACCESS_FAULT,
    RISCV_EXCP_STORE_MISALIGNED, RISCV_EXCP_STORE_ACCESS_FAULT,
    RISCV_EXCP_ECALL_U, RISCV_EXCP_ECALL_S, RISCV_EXCP_ECALL_M,
    RISCV_EXCP_INSN_PAGE_FAULT, RISCV_EXCP_LOAD_PAGE_FAULT,
    RISCV_EXCP_STORE_PAGE_FAULT,
};
static const unsigned all_irqs[] = { 1, 3, 5, 7, 9, 11 };

/* The numbers themselves are the spec's table 3.6. */
static void test_cause_numbers(void)
{
    static const unsigned want[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12,
                                     13, 15 };
    for (unsigned i = 0; i < 14; i++)
        CHECK_EQ(all_excps[i], want[i]);
    CHECK_EQ(RISCV_IRQ_S_SOFT, 1);
    CHECK_EQ(RISCV_IRQ_M_SOFT, 3);
    CHECK_EQ(RISCV_IRQ_S_TIMER, 5);
    CHECK_EQ(RISCV_IRQ_M_TIMER, 7);
    CHECK_EQ(RISCV_IRQ_S_EXT, 9);
    CHECK_EQ(RISCV_IRQ_M_EXT, 11);
}

struct trap_case {
    unsigned cause, priv;
    bool intr, deleg, vectored, ie;
};

static void check_trap(const struct trap_case *t)
{
    /* what can be delegated at all: not ecall from M, not M interrupts */
    bool delegable = t->intr ? (t->cause == 1 || t->cause == 5 ||
                                t->cause == 9)
                             : t->cause != 11;
    bool to_s = t->deleg && delegable && t->priv != 3;
    uint64_t pc = 0x80001236, tval = 0xdead0000 + t->cause;
    uint64_t xcause = t->cause | (t->intr ? 1ull << 63 : 0);
    uint64_t off = t->vectored && t->intr ? 4 * t->cause : 0;
    uint64_t st;

    reset();
    wr(CSR_MTVEC, 0x80000000 | t->vectored);
    wr(CSR_STVEC, 0x40000000 | t->vectored);
    if (t->intr)
        wr(CSR_MIDELEG, t->deleg ? 1ull << t->cause : 0);
    else
        wr(CSR_MEDELEG, t->deleg ? 1ull << t->cause : 0);
    wr(CSR_MSTATUS, t->ie ? MSTATUS_MIE | MSTATUS_SIE : 0);
    at(t->priv);
    env.pc = pc;
    riscv_do_trap(&env, t->cause, tval, t->intr);

    at(RISCV_PRIV_M);   /* (to read CSRs; env.priv checked first) */
    st = env.mstatus;
    if (to_s) {
        CHECK_EQ(env.pc, 0x40000000 + off);
        CHECK_EQ(rd(CSR_SEPC), pc);
        CHECK_EQ(rd(CSR_SCAUSE), xcause);
        CHECK_EQ(rd(CSR_STVAL), tval);
        CHECK_EQ(!!(st & MSTATUS_SPP), t->priv == 1);
        CHECK_EQ(!!(st & MSTATUS_SPIE), t->ie);
        CHECK_EQ(!!(st & MSTATUS_SIE), 0);
        CHECK_EQ(!!(st & MSTATUS_MIE), t->ie);     /* untouched */
        CHECK_EQ(rd(CSR_MEPC), 0);
        CHECK_EQ(rd(CSR_MCAUSE), 0);
    } else {
        CHECK_EQ(env.pc, 0x80000000 + off);
        CHECK_EQ(rd(CSR_MEPC), pc);
        CHECK_EQ(rd(CSR_MCAUSE), xcause);
        CHECK_EQ(rd(CSR_MTVAL), tval);
        CHECK_EQ((st >> 11) & 3, t->priv);
        CHECK_EQ(!!(st & MSTATUS_MPIE), t->ie);
        CHECK_EQ(!!(st & MSTATUS_MIE), 0);
        CHECK_EQ(!!(st & MSTATUS_SIE), t->ie);     /* untouched */
        CHECK_EQ(rd(CSR_SEPC), 0);
        CHECK_EQ(rd(CSR_SCAUSE), 0);
    }
}

static void check_trap_dest(const struct trap_case *t)
{
    bool delegable = t->intr ? (t->cause == 1 || t->cause == 5 ||
                                t->cause == 9)
                             : t->cause != 11;
    bool to_s = t->deleg && delegable && t->priv != 3;

    check_trap(t);
    /* check_trap moved to M to read; redo and look at priv alone */
    reset();
    if (t->intr)
        wr(CSR_MIDELEG, t->deleg ? 1ull << t->cause : 0);
    else
        wr(CSR_MEDELEG, t->deleg ? 1ull << t->cause : 0);
    at(t->priv);
    riscv_do_trap(&env, t->cause, 0, t->intr);
    CHECK_EQ(env.priv, to_s ? RISCV_PRIV_S : RISCV_PRIV_M);
}

static void test_traps(void)
{
    static const unsigned privs[] = { 0, 1, 3 };
    unsigned n = 0;

    for (unsigned p = 0; p < 3; p++) {
        for (unsigned bits = 0; bits < 8; bits++) {
            for (unsigned i = 0; i < 14; i++) {
                struct trap_case t = {
                    all_excps[i], privs[p], false, bits & 1, bits & 2,
                    bits & 4 };
                check_trap_dest(&t);
                n++;
            }
            for (unsigned i = 0; i < 6; i++) {
                struct trap_case t = {
                    all_irqs[i], privs[p], true, bits & 1, bits & 2,
                    bits & 4 };
                check_trap_dest(&t);
                n++;
            }
        }
    }
    CHECK_EQ(n, 3 * 8 * 20);

    /* epc keeps IALIGN: a pc with bit 0 (never fetched) is cleared */
    reset();
    env.pc = 0x1001;
    riscv_do_trap(&env, RISCV_EXCP_BREAKPOINT, 0x1001, false);
    CHECK_EQ(env.mepc, 0x1000);
    wr(CSR_MEDELEG, 1u << RISCV_EXCP_BREAKPOINT);
    at(RISCV_PRIV_S);
    env.pc = 0x2003;
    riscv_do_trap(&env, RISCV_EXCP_BREAKPOINT, 0, false);
    CHECK_EQ(env.sepc, 0x2002);
}

/* ---- returns */

static void test_mret(void)
{
    static const unsigned privs[] = { 0, 1, 3 };

    for (unsigned p = 0; p < 3; p++) {
        for (unsigned bits = 0; bits < 4; bits++) {
            bool mpie = bits & 1, mprv = bits & 2;
            uint64_t st;

            reset();
            wr(CSR_MEPC, 0x5554);
            wr(CSR_MSTATUS, ((uint64_t)privs[p] << 11) |
                            (mpie ? MSTATUS_MPIE : 0) |
                            (mprv ? MSTATUS_MPRV : 0) | MSTATUS_SIE);
            CHECK_EQ(riscv_mret(&env), NONE);
            CHECK_EQ(env.priv, privs[p]);
            CHECK_EQ(env.pc, 0x5554);
            st = env.mstatus;
            CHECK_EQ(!!(st & MSTATUS_MIE), mpie);
            CHECK_EQ(!!(st & MSTATUS_MPIE), 1);
            CHECK_EQ((st >> 11) & 3, 0);
            CHECK_EQ(!!(st & MSTATUS_MPRV), mprv && privs[p] == 3);
            CHECK_EQ(!!(st & MSTATUS_SIE), 1);
        }
    }
    /* below M: illegal, nothing changes */
    for (unsigned p = 0; p < 2; p++) {
        reset();
        wr(CSR_MEPC, 0x5554);
        wr(CSR_MSTATUS, MSTATUS_MPIE | (3ull << 11));
        at(privs[p]);
        env.pc = 0x100;
        CHECK_EQ(riscv_mret(&env), ILLEGAL);
        CHECK_EQ(env.pc, 0x100);
        CHECK_EQ(env.priv, privs[p]);
        CHECK_EQ(env.mstatus & (MSTATUS_MPIE | MSTATUS_MPP),
                 MSTATUS_MPIE | (3ull << 11));
    }
}

static void test_sret(void)
{
    for (unsigned from = 1; from <= 3; from += 2) {
        for (unsigned bits = 0; bits < 8; bits++) {
            bool spp = bits & 1, spie = bits & 2, mprv = bits & 4;
            uint64_t st;

            reset();
            wr(CSR_SEPC, 0x7776);
            wr(CSR_MSTATUS, (spp ? MSTATUS_SPP : 0) |
                            (spie ? MSTATUS_SPIE : 0) |
                            (mprv ? MSTATUS_MPRV : 0) | MSTATUS_MIE |
                            (1ull << 11));
            at(from);
            CHECK_EQ(riscv_sret(&env), NONE);
            CHECK_EQ(env.priv, spp ? 1 : 0);
            CHECK_EQ(env.pc, 0x7776);
            st = env.mstatus;
            CHECK_EQ(!!(st & MSTATUS_SIE), spie);
            CHECK_EQ(!!(st & MSTATUS_SPIE), 1);
            CHECK_EQ(!!(st & MSTATUS_SPP), 0);
            CHECK_EQ(!!(st & MSTATUS_MPRV), 0);
            CHECK_EQ(!!(st & MSTATUS_MIE), 1);
            CHECK_EQ((st >> 11) & 3, 1);
        }
    }
    /* U: illegal.  TSR: illegal in S, fine in M. */
    reset();
    wr(CSR_SEPC, 0x7776);
    at(RISCV_PRIV_U);
    env.pc = 0x10;
    CHECK_EQ(riscv_sret(&env), ILLEGAL);
    CHECK_EQ(env.pc, 0x10);
    CHECK_EQ(env.priv, RISCV_PRIV_U);
    at(RISCV_PRIV_M);
    wr(CSR_MSTATUS, MSTATUS_TSR | MSTATUS_SPP | MSTATUS_SPIE);
    at(RISCV_PRIV_S);
    CHECK_EQ(riscv_sret(&env), ILLEGAL);
    CHECK_EQ(env.pc, 0x10);
    CHECK_EQ(env.mstatus & (MSTATUS_SPP | MSTATUS_SPIE),
             MSTATUS_SPP | MSTATUS_SPIE);
    at(RISCV_PRIV_M);
    CHECK_EQ(riscv_sret(&env), NONE);
    CHECK_EQ(env.priv, RISCV_PRIV_S);
    CHECK_EQ(env.pc, 0x7776);
}

/* trap then return lands where it came from */
static void test_round_trip(void)
{
    reset();
    wr(CSR_MEDELEG, 1u << RISCV_EXCP_ECALL_U);
    wr(CSR_MSTATUS, MSTATUS_SIE | MSTATUS_MIE);
    wr(CSR_STVEC, 0x4000);
    at(RISCV_PRIV_U);
    env.pc = 0x10000;
    riscv_do_trap(&env, RISCV_EXCP_ECALL_U, 0, false);
    CHECK_EQ(env.priv, RISCV_PRIV_S);
    env.sepc += 4;
    riscv_do_trap(&env, RISCV_EXCP_ECALL_S, 0, false);   /* to M */
    CHECK_EQ(env.priv, RISCV_PRIV_M);
    CHECK_EQ(riscv_mret(&env), NONE);
    CHECK_EQ(env.priv, RISCV_PRIV_S);
    CHECK_EQ(riscv_sret(&env), NONE);
    CHECK_EQ(env.priv, RISCV_PRIV_U);
    CHECK_EQ(env.pc, 0x10004);
    CHECK_EQ(env.mstatus & (MSTATUS_SIE | MSTATUS_MIE),
             MSTATUS_SIE | MSTATUS_MIE);
}

static void test_wfi(void)
{
    static const unsigned privs[] = { 0, 1, 3 };

    for (unsigned p = 0; p < 3; p++) {
        for (unsigned tw = 0; tw < 2; tw++) {
            bool ok = privs[p] == 3 || (privs[p] == 1 && !tw);

            reset();
            wr(CSR_MSTATUS, tw ? MSTATUS_TW : 0);
            at(privs[p]);
            CHECK_EQ(riscv_wfi_check(&env), ok ? NONE : ILLEGAL);
        }
    }
}

/* ---- interrupt selection, exhaustively */

/* Written from the spec's words, in another shape than trap.c: score
 * every candidate by (destination privilege, rank) and keep the best. */
static int expected_irq(unsigned priv, bool mie, bool sie, uint64_t ie,
                        uint64_t ip, uint64_t deleg)
{
    static const unsigned order[6] = { 11, 3, 7, 9, 1, 5 };
    int best = -1, best_score = -1;

    for (int r = 0; r < 6; r++) {
        unsigned b = order[r];
        unsigned dest = (deleg >> b) & 1 ? 1 : 3;
        bool enabled;
        int score;

        if (!((ie & ip) >> b & 1))
            continue;
        if (priv < dest)
            enabled = true;
        else if (priv > dest)
            enabled = false;
        else
            enabled = dest == 3 ? mie : sie;
        if (!enabled)
            continue;
        score = dest * 16 + (6 - r);
        if (score > best_score) {
            best_score = score;
            best = b;
        }
    }
    return best;
}

/* 6 bits (one per interrupt) to mip/mie positions */
static uint64_t spread(unsigned six)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < 6; i++) {
        if (six & (1u << i))
            v |= 1ull << all_irqs[i];
    }
    return v;
}

static void set_pending(uint64_t ip, bool seip_by_line)
{
    static const unsigned lines[] = { 3, 7, 11 };

    for (unsigned i = 0; i < 3; i++)
        riscv_set_irq_line(&env, lines[i], (ip >> lines[i]) & 1);
    riscv_set_irq_line(&env, 9, seip_by_line && (ip & MIP_SEIP));
    wr(CSR_MIP, ip & (seip_by_line ? MIP_SSIP | MIP_STIP : MIP_S_BITS));
}

static void test_interrupt_table(void)
{
    static const unsigned privs[] = { 0, 1, 3 };
    unsigned long n = 0, taken = 0;

    reset();
    for (unsigned dl = 0; dl < 8; dl++) {
        /* M bits in the write must be dropped */
        uint64_t deleg = (dl & 1 ? MIP_SSIP : 0) | (dl & 2 ? MIP_STIP : 0) |
                         (dl & 4 ? MIP_SEIP : 0);
        for (unsigned ie6 = 0; ie6 < 64; ie6++) {
            for (unsigned ip6 = 0; ip6 < 64; ip6++) {
                uint64_t ie = spread(ie6), ip = spread(ip6);

                at(RISCV_PRIV_M);
                wr(CSR_MIDELEG, deleg | MIP_M_BITS);
                wr(CSR_MIE, ie);
                set_pending(ip, n & 1);
                CHECK_EQ(rd(CSR_MIP), ip);
                for (unsigned g = 0; g < 4; g++) {
                    bool mie = g & 1, sie = g & 2;

                    at(RISCV_PRIV_M);
                    wr(CSR_MSTATUS, (mie ? MSTATUS_MIE : 0) |
                                    (sie ? MSTATUS_SIE : 0));
                    for (unsigned p = 0; p < 3; p++) {
                        int want = expected_irq(privs[p], mie, sie, ie, ip,
                                                deleg);
                        at(privs[p]);
                        if (riscv_pending_interrupt(&env) != want) {
                            fprintf(stderr, "priv %u mie %d sie %d ie %llx "
                                    "ip %llx deleg %llx: want %d\n",
                                    privs[p], mie, sie,
                                    (unsigned long long)ie,
                                    (unsigned long long)ip,
                                    (unsigned long long)deleg, want);
                            CHECK(0);
                        }
                        CHECK_EQ(riscv_cpu_has_work(&env), (ie & ip) != 0);
                        taken += want >= 0;
                        n++;
                    }
                }
            }
        }
    }
    CHECK_EQ(n, 8ul * 64 * 64 * 4 * 3);
    CHECK(taken > 0 && taken < n);
}

static void test_take_interrupt(void)
{
    reset();
    wr(CSR_MIE, MIP_MTIP | MIP_STIP);
    wr(CSR_MIDELEG, MIP_STIP);
    wr(CSR_MTVEC, 0x8001);
    wr(CSR_STVEC, 0x4001);
    wr(CSR_MIP, MIP_STIP);
    /* in M, with MIE clear: nothing (STI is S's, never taken in M) */
    env.pc = 0x222;
    CHECK(!riscv_take_interrupt(&env));
    CHECK(riscv_cpu_has_work(&env));
    CHECK_EQ(env.pc, 0x222);
    /* in U: the delegated STI goes to S, vectored */
    at(RISCV_PRIV_U);
    CHECK(riscv_take_interrupt(&env));
    CHECK_EQ(env.priv, RISCV_PRIV_S);
    CHECK_EQ(env.pc, 0x4000 + 4 * 5);
    CHECK_EQ(env.scause, (1ull << 63) | 5);
    CHECK_EQ(env.sepc, 0x222);
    /* now in S with SIE clear: the M timer still preempts */
    riscv_set_irq_line(&env, RISCV_IRQ_M_TIMER, true);
    CHECK_EQ(riscv_pending_interrupt(&env), RISCV_IRQ_M_TIMER);
    CHECK(riscv_take_interrupt(&env));
    CHECK_EQ(env.priv, RISCV_PRIV_M);
    CHECK_EQ(env.pc, 0x8000 + 4 * 7);
    CHECK_EQ((env.mstatus >> 11) & 3, RISCV_PRIV_S);
}

/* ---- lines from other threads */

#define TOGGLES 1000000

static pthread_barrier_t start;

/* Only this thread drives its line, so mip must show exactly what it
 * last set: another thread's update of the same word may not undo it. */
static void *toggle_line(void *arg)
{
    unsigned irq = (unsigned)(uintptr_t)arg;
    unsigned long lost = 0;

    pthread_barrier_wait(&start);
    for (unsigned i = 0; i < TOGGLES; i++) {
        bool level = !(i & 1);

        riscv_set_irq_line(&env, irq, level);
        lost += ((riscv_read_mip(&env) >> irq) & 1) != level;
    }
    riscv_set_irq_line(&env, irq, irq == RISCV_IRQ_M_TIMER);
    return (void *)lost;
}

static void *set_ssip_once(void *arg)
{
    (void)arg;
    riscv_set_irq_line(&env, RISCV_IRQ_S_SOFT, true);
    return NULL;
}

static void test_lines_threads(void)
{
    pthread_t t1, t2;
    void *lost1, *lost2;

    reset();
    pthread_barrier_init(&start, NULL, 3);
    pthread_create(&t1, NULL, toggle_line, (void *)(uintptr_t)7);
    pthread_create(&t2, NULL, toggle_line, (void *)(uintptr_t)11);
    pthread_barrier_wait(&start);
    for (unsigned i = 0; i < TOGGLES / 10; i++) {
        CHECK_EQ(op(CSR_MIP, i & 1 ? RISCV_CSR_RC : RISCV_CSR_RS, MIP_STIP,
                    true), NONE);
    }
    pthread_join(t1, &lost1);
    pthread_join(t2, &lost2);
    pthread_barrier_destroy(&start);
    CHECK_EQ((uintptr_t)lost1, 0);
    CHECK_EQ((uintptr_t)lost2, 0);
    CHECK_EQ(rd(CSR_MIP), MIP_MTIP);

    /* a software-interrupt edge racing csrrs/csrrc on mip is not lost */
    for (unsigned round = 0; round < 200; round++) {
        pthread_t t;

        wr(CSR_MIP, 0);
        pthread_create(&t, NULL, set_ssip_once, NULL);
        for (unsigned i = 0; i < 2000; i++)
            op(CSR_MIP, i & 1 ? RISCV_CSR_RC : RISCV_CSR_RS, MIP_STIP, true);
        pthread_join(t, NULL);
        CHECK_EQ(rd(CSR_MIP) & MIP_SSIP, MIP_SSIP);
    }
}

int main(void)
{
    RUN(test_existence);
    RUN(test_privilege);
    RUN(test_read_only);
    RUN(test_reset_and_ids);
    RUN(test_mstatus);
    RUN(test_deleg_ie_tvec_epc);
    RUN(test_sie_sip_views);
    RUN(test_mip);
    RUN(test_satp);
    RUN(test_counters);
    RUN(test_envcfg_sstc);
    RUN(test_fp_csrs);
    RUN(test_pmp_csrs);
    RUN(test_cause_numbers);
    RUN(test_traps);
    RUN(test_mret);
    RUN(test_sret);
    RUN(test_round_trip);
    RUN(test_wfi);
    RUN(test_interrupt_table);
    RUN(test_take_interrupt);
    RUN(test_lines_threads);
    return 0;
}
