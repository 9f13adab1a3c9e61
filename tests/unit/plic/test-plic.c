/* The PLIC through the memory API: priorities, thresholds, ties,
 * claim/complete, level re-trigger, per-context enables, M/S outputs,
 * bad accesses. */
#include <string.h>

#include "hw/intc/plic.h"
#include "memory/memory.h"
#include "system/bql.h"
#include "system/event-loop.h"
#include "test.h"

#define PLIC 0xc000000ull
#define NHARTS 2
#define NSRC 95
#define CTX_M(h) (2 * (h))
#define CTX_S(h) (2 * (h) + 1)

static MemoryRegion sysmem;
static AddressSpace as;
static PlicState *plic;
/* Output levels as the PLIC last drove them, and how often it did. */
static bool meip[NHARTS], seip[NHARTS];
static unsigned nr_calls;

static void set_irq(void *opaque, unsigned hart, unsigned irq, bool level)
{
    CHECK(opaque == &as);
    CHECK(hart < NHARTS);
    CHECK(irq == PLIC_IRQ_MEIP || irq == PLIC_IRQ_SEIP);
    (irq == PLIC_IRQ_MEIP ? meip : seip)[hart] = level;
    nr_calls++;
}

static uint32_t rd(hwaddr off)
{
    MemTxResult r;
    uint32_t v = address_space_ldl_le(&as, PLIC + off,
                                      MEMTXATTRS_UNSPECIFIED, &r);

    CHECK_EQ(r, MEMTX_OK);
    return v;
}

static void wr(hwaddr off, uint32_t v)
{
    MemTxResult r;

    address_space_stl_le(&as, PLIC + off, v, MEMTXATTRS_UNSPECIFIED, &r);
    CHECK_EQ(r, MEMTX_OK);
}

static hwaddr prio(unsigned src)
{
    return PLIC_PRIORITY_BASE + 4 * src;
}

static hwaddr enable(unsigned ctx, unsigned src)
{
    return PLIC_ENABLE_BASE + PLIC_ENABLE_STRIDE * ctx + 4 * (src / 32);
}

static hwaddr threshold(unsigned ctx)
{
    return PLIC_CONTEXT_BASE + PLIC_CONTEXT_STRIDE * ctx + PLIC_THRESHOLD;
}

static hwaddr claim(unsigned ctx)
{
    return PLIC_CONTEXT_BASE + PLIC_CONTEXT_STRIDE * ctx + PLIC_CLAIM;
}

static void enable_src(unsigned ctx, unsigned src, bool on)
{
    uint32_t w = rd(enable(ctx, src));

    w = on ? w | 1u << (src % 32) : w & ~(1u << (src % 32));
    wr(enable(ctx, src), w);
}

static bool is_pending(unsigned src)
{
    return rd(PLIC_PENDING_BASE + 4 * (src / 32)) >> (src % 32) & 1;
}

static void line(unsigned src, int level)
{
    irq_set_level(plic_source(plic, src), level);
}

/* Every test starts from reset with all lines low. */
static void reset_all(void)
{
    for (unsigned src = 1; src <= NSRC; src++) {
        line(src, 0);
    }
    plic_reset(plic);
    for (unsigned h = 0; h < NHARTS; h++) {
        CHECK(!meip[h] && !seip[h]);
    }
}

static void test_registers(void)
{
    reset_all();
    /* priorities hold 0..7 (WARL: the low 3 bits) */
    wr(prio(5), 7);
    CHECK_EQ(rd(prio(5)), 7);
    wr(prio(5), 0xffffffff);
    CHECK_EQ(rd(prio(5)), 7);
    wr(prio(NSRC), 3);
    CHECK_EQ(rd(prio(NSRC)), 3);
    /* thresholds likewise */
    wr(threshold(CTX_S(1)), 6);
    CHECK_EQ(rd(threshold(CTX_S(1))), 6);
    CHECK_EQ(rd(threshold(CTX_M(1))), 0);
    /* enables: bit 0 (source 0) and bits past source 95 stay clear */
    wr(PLIC_ENABLE_BASE + PLIC_ENABLE_STRIDE * CTX_M(0), 0xffffffff);
    CHECK_EQ(rd(PLIC_ENABLE_BASE + PLIC_ENABLE_STRIDE * CTX_M(0)),
             0xfffffffe);
    wr(PLIC_ENABLE_BASE + PLIC_ENABLE_STRIDE * CTX_M(0) + 8, 0xffffffff);
    CHECK_EQ(rd(PLIC_ENABLE_BASE + PLIC_ENABLE_STRIDE * CTX_M(0) + 8),
             0xffffffff);       /* sources 64..95 all exist */
    CHECK_EQ(rd(PLIC_ENABLE_BASE + PLIC_ENABLE_STRIDE * CTX_M(1)), 0);
    /* pending is read-only */
    wr(PLIC_PENDING_BASE, 0xffffffff);
    CHECK_EQ(rd(PLIC_PENDING_BASE), 0);
    plic_reset(plic);
    CHECK_EQ(rd(prio(5)), 0);
    CHECK_EQ(rd(threshold(CTX_S(1))), 0);
}

static void test_claim_complete(void)
{
    reset_all();
    wr(prio(10), 1);
    enable_src(CTX_M(0), 10, true);
    CHECK(!meip[0]);
    line(10, 1);
    CHECK(is_pending(10));
    CHECK(meip[0]);
    CHECK(!seip[0] && !meip[1] && !seip[1]);
    CHECK_EQ(rd(claim(CTX_M(0))), 10);
    CHECK(!is_pending(10));
    CHECK(!meip[0]);
    /* nothing left */
    CHECK_EQ(rd(claim(CTX_M(0))), 0);
    /* the device stops asserting before the complete: no re-trigger */
    line(10, 0);
    wr(claim(CTX_M(0)), 10);
    CHECK(!is_pending(10));
    CHECK(!meip[0]);
}

static void test_level_retrigger(void)
{
    reset_all();
    wr(prio(3), 2);
    enable_src(CTX_S(1), 3, true);
    line(3, 1);
    CHECK(seip[1]);
    CHECK_EQ(rd(claim(CTX_S(1))), 3);
    CHECK(!seip[1]);
    /* still high at complete: pending again at once */
    wr(claim(CTX_S(1)), 3);
    CHECK(is_pending(3));
    CHECK(seip[1]);
    CHECK_EQ(rd(claim(CTX_S(1))), 3);
    /* a line that toggles while claimed is remembered by level only */
    line(3, 0);
    line(3, 1);
    CHECK(!is_pending(3));
    CHECK(!seip[1]);
    wr(claim(CTX_S(1)), 3);
    CHECK(seip[1]);
    /* dropping the line before the claim withdraws the request */
    line(3, 0);
    CHECK(!is_pending(3));
    CHECK(!seip[1]);
    CHECK_EQ(rd(claim(CTX_S(1))), 0);
}

static void test_priority_and_ties(void)
{
    reset_all();
    for (unsigned src = 40; src <= 44; src++) {
        enable_src(CTX_M(1), src, true);
    }
    wr(prio(40), 2);
    wr(prio(41), 5);
    wr(prio(42), 5);
    wr(prio(43), 1);
    wr(prio(44), 0);            /* priority 0: never interrupts */
    for (unsigned src = 40; src <= 44; src++) {
        line(src, 1);
    }
    CHECK(meip[1]);
    /* highest priority first, lowest ID among equals */
    CHECK_EQ(rd(claim(CTX_M(1))), 41);
    CHECK_EQ(rd(claim(CTX_M(1))), 42);
    CHECK_EQ(rd(claim(CTX_M(1))), 40);
    CHECK_EQ(rd(claim(CTX_M(1))), 43);
    CHECK(!meip[1]);
    CHECK_EQ(rd(claim(CTX_M(1))), 0);
    CHECK(is_pending(44));
    /* raising its priority makes it interrupt at once */
    wr(prio(44), 1);
    CHECK(meip[1]);
    CHECK_EQ(rd(claim(CTX_M(1))), 44);
    /* a tie across words: 33 before 70 */
    reset_all();
    wr(prio(33), 4);
    wr(prio(70), 4);
    enable_src(CTX_M(0), 33, true);
    enable_src(CTX_M(0), 70, true);
    line(70, 1);
    line(33, 1);
    CHECK_EQ(rd(claim(CTX_M(0))), 33);
    CHECK_EQ(rd(claim(CTX_M(0))), 70);
}

static void test_threshold(void)
{
    reset_all();
    wr(prio(7), 3);
    enable_src(CTX_M(0), 7, true);
    wr(threshold(CTX_M(0)), 3);  /* masks priority <= 3 */
    line(7, 1);
    CHECK(is_pending(7));
    CHECK(!meip[0]);
    CHECK_EQ(rd(claim(CTX_M(0))), 0);
    CHECK(is_pending(7));
    wr(threshold(CTX_M(0)), 2);
    CHECK(meip[0]);
    wr(threshold(CTX_M(0)), 7);
    CHECK(!meip[0]);
    wr(prio(7), 7);             /* 7 is not above 7 either */
    CHECK(!meip[0]);
    wr(threshold(CTX_M(0)), 0);
    CHECK(meip[0]);
    CHECK_EQ(rd(claim(CTX_M(0))), 7);
}

static void test_per_context(void)
{
    reset_all();
    wr(prio(20), 1);
    wr(prio(21), 1);
    enable_src(CTX_M(0), 20, true);
    enable_src(CTX_S(0), 21, true);
    enable_src(CTX_S(1), 20, true);
    enable_src(CTX_S(1), 21, true);
    line(21, 1);
    CHECK(!meip[0] && seip[0] && !meip[1] && seip[1]);
    line(20, 1);
    CHECK(meip[0] && seip[0] && !meip[1] && seip[1]);
    /* a context only claims what it enables */
    CHECK_EQ(rd(claim(CTX_M(1))), 0);
    CHECK_EQ(rd(claim(CTX_M(0))), 20);
    /* claimed by hart 0: no longer offered to hart 1's S context */
    CHECK(!meip[0] && seip[1]);
    CHECK_EQ(rd(claim(CTX_S(1))), 21);
    CHECK(!seip[0] && !seip[1]);
    CHECK_EQ(rd(claim(CTX_S(0))), 0);
    /* disabling an enabled pending source lowers the output */
    wr(claim(CTX_S(1)), 21);
    CHECK(seip[0] && seip[1]);
    enable_src(CTX_S(0), 21, false);
    CHECK(!seip[0] && seip[1]);
    /* complete from a context that does not enable it: ignored */
    line(20, 0);
    wr(claim(CTX_S(0)), 20);
    CHECK(!is_pending(20));
    line(20, 1);
    CHECK(!is_pending(20));     /* still claimed */
    CHECK(!meip[0]);
    /* complete from one that enables it (not the claimer) is honoured */
    wr(claim(CTX_S(1)), 20);
    CHECK(is_pending(20));
    CHECK(meip[0]);
}

static void test_no_redundant_calls(void)
{
    unsigned before;

    reset_all();
    wr(prio(9), 1);
    enable_src(CTX_M(0), 9, true);
    line(9, 1);
    CHECK(meip[0]);
    before = nr_calls;
    line(9, 1);
    wr(prio(9), 2);
    CHECK_EQ(nr_calls, before);
}

static void test_bad_access(void)
{
    uint64_t v = 0x1234;
    MemTxResult r;

    reset_all();
    wr(prio(2), 5);
    /* narrow, wide and unaligned: reads 0, writes are no-ops */
    CHECK_EQ(address_space_load(&as, PLIC + prio(2), 1, DEVICE_LITTLE_ENDIAN,
                                MEMTXATTRS_UNSPECIFIED, &v), MEMTX_OK);
    CHECK_EQ(v, 0);
    CHECK_EQ(address_space_load(&as, PLIC + prio(2), 8, DEVICE_LITTLE_ENDIAN,
                                MEMTXATTRS_UNSPECIFIED, &v), MEMTX_OK);
    CHECK_EQ(v, 0);
    CHECK_EQ(address_space_store(&as, PLIC + prio(2), 1,
                                 DEVICE_LITTLE_ENDIAN,
                                 MEMTXATTRS_UNSPECIFIED, 1), MEMTX_OK);
    CHECK_EQ(address_space_store(&as, PLIC + prio(2), 2,
                                 DEVICE_LITTLE_ENDIAN,
                                 MEMTXATTRS_UNSPECIFIED, 1), MEMTX_OK);
    CHECK_EQ(address_space_store(&as, PLIC + prio(2) + 1, 4,
                                 DEVICE_LITTLE_ENDIAN,
                                 MEMTXATTRS_UNSPECIFIED, 0), MEMTX_OK);
    CHECK_EQ(address_space_store(&as, PLIC + prio(2), 8,
                                 DEVICE_LITTLE_ENDIAN,
                                 MEMTXATTRS_UNSPECIFIED, 0), MEMTX_OK);
    CHECK_EQ(rd(prio(2)), 5);
    /* holes: source 0, past the last source, past the pending words,
     * enables of contexts that do not exist, context page padding */
    wr(prio(0), 7);
    CHECK_EQ(rd(prio(0)), 0);
    wr(prio(NSRC + 1), 7);
    CHECK_EQ(rd(prio(NSRC + 1)), 0);
    CHECK_EQ(rd(prio(0x3ff)), 0);
    CHECK_EQ(rd(PLIC_PENDING_BASE + 0xc), 0);
    wr(PLIC_ENABLE_BASE + PLIC_ENABLE_STRIDE * 2 * NHARTS, 0xffffffff);
    CHECK_EQ(rd(PLIC_ENABLE_BASE + PLIC_ENABLE_STRIDE * 2 * NHARTS), 0);
    CHECK_EQ(rd(PLIC_ENABLE_BASE + 0x7c), 0);
    CHECK_EQ(rd(PLIC_CONTEXT_BASE + 8), 0);
    wr(PLIC_CONTEXT_BASE + 0xffc, 1);
    /* complete of IDs that do not exist */
    wr(claim(CTX_M(0)), 0);
    wr(claim(CTX_M(0)), NSRC + 1);
    wr(claim(CTX_M(0)), 0xffffffff);
    /* the last context page is mapped, the next is not ours */
    CHECK_EQ(rd(threshold(2 * NHARTS - 1)), 0);
    address_space_ldl_le(&as, PLIC + PLIC_SIZE(NHARTS),
                         MEMTXATTRS_UNSPECIFIED, &r);
    CHECK(r != MEMTX_OK);
    CHECK(!plic_source(plic, 0));
    CHECK(!plic_source(plic, NSRC + 1));
    CHECK(plic_source(plic, NSRC));
}

static void test_create_errors(void)
{
    Error *err = NULL;

    CHECK(!plic_create(&sysmem, 0, 0, NSRC, set_irq, NULL, &err));
    CHECK(err);
    error_free(err);
    err = NULL;
    CHECK(!plic_create(&sysmem, 0, PLIC_MAX_HARTS + 1, NSRC, set_irq, NULL,
                       &err));
    error_free(err);
    err = NULL;
    CHECK(!plic_create(&sysmem, 0, 1, 0, set_irq, NULL, &err));
    error_free(err);
    err = NULL;
    CHECK(!plic_create(&sysmem, 0, 1, PLIC_MAX_SOURCES + 1, set_irq, NULL,
                       &err));
    error_free(err);
    CHECK_EQ(PLIC_SIZE(PLIC_MAX_HARTS), PLIC_VIRT_WINDOW);
}

int main(void)
{
    Error *err = NULL;

    weft_rcu_register_thread();
    CHECK(main_loop_init(&err));
    bql_lock();
    memory_region_init(&sysmem, NULL, "system", UINT64_MAX);
    address_space_init(&as, &sysmem, "memory");
    plic = plic_create(&sysmem, PLIC, NHARTS, NSRC, set_irq, &as, &err);
    CHECK(plic);

    RUN(test_registers);
    RUN(test_claim_complete);
    RUN(test_level_retrigger);
    RUN(test_priority_and_ties);
    RUN(test_threshold);
    RUN(test_per_context);
    RUN(test_no_redundant_calls);
    RUN(test_bad_access);
    RUN(test_create_errors);
    bql_unlock();
    return 0;
}
