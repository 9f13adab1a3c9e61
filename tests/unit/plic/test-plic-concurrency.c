/* The PLIC under fire: device threads raise source lines while hart
 * threads wait for their context's output, claim through MMIO, service
 * the device (lower its line) and complete.  Every request must be
 * claimed exactly once: a lost one stalls its device (timeout), a
 * duplicate claim finds no request outstanding.
 *
 * A device re-raises as soon as it sees its request serviced, usually
 * while the source is still claimed, so the re-trigger at complete is on
 * the hot path too. */
#include <pthread.h>
#include <sched.h>

#include "hw/intc/plic.h"
#include "memory/memory.h"
#include "system/bql.h"
#include "system/event-loop.h"
#include "test.h"

#define A MEMTXATTRS_UNSPECIFIED
#define PLIC 0xc000000ull
#define NHARTS 4
#define NCTX (2 * NHARTS)
#define NSRC 95
#define NDEVS 4                 /* device threads */
#define SRCS_PER_DEV 6          /* sources 1..24 are driven */
#define ROUNDS 1500             /* requests per source */
#define TIMEOUT_NS 20000000000ll

static MemoryRegion sysmem;
static AddressSpace as;
static PlicState *plic;
/* All atomics: */
static bool output[NCTX];       /* written by set_irq under the PLIC lock */
static unsigned request[NSRC + 1];   /* 1: raised, not serviced yet */
static unsigned in_service[NSRC + 1];    /* 1: claimed, not completed */
static unsigned long claims[NSRC + 1];
static unsigned long empty_claims;
static bool stop;

static void set_irq(void *opaque, unsigned hart, unsigned irq, bool level)
{
    unsigned ctx = 2 * hart + (irq == PLIC_IRQ_SEIP);

    CHECK(hart < NHARTS);
    atomic_store_release(&output[ctx], level);
}

static hwaddr claim_reg(unsigned ctx)
{
    return PLIC + PLIC_CONTEXT_BASE + PLIC_CONTEXT_STRIDE * ctx + PLIC_CLAIM;
}

static void *device_main(void *arg)
{
    unsigned first = 1 + (uintptr_t)arg * SRCS_PER_DEV;
    unsigned raised[SRCS_PER_DEV] = { 0 };
    unsigned done = 0;
    int64_t deadline = clock_monotonic_ns() + TIMEOUT_NS;

    while (done < SRCS_PER_DEV) {
        done = 0;
        for (unsigned i = 0; i < SRCS_PER_DEV; i++) {
            unsigned src = first + i;

            if (atomic_load_acquire(&request[src])) {
                continue;
            }
            if (raised[i] == ROUNDS) {
                done++;
                continue;
            }
            raised[i]++;
            atomic_store_release(&request[src], 1);
            irq_raise(plic_source(plic, src));
        }
        if (clock_monotonic_ns() > deadline) {
            fprintf(stderr, "device %u: a request was lost\n",
                    (unsigned)(uintptr_t)arg);
            exit(1);
        }
        sched_yield();
    }
    return NULL;
}

/* Services source src as a driver would: quiet the device, then
 * complete.  For odd sources the handler lingers until the device has
 * raised its next request, so that it arrives while the source is still
 * claimed and must become pending at the complete. */
static void service(unsigned ctx, unsigned src)
{
    int64_t linger_until = clock_monotonic_ns() + 200000;

    CHECK(src >= 1 && src <= NDEVS * SRCS_PER_DEV);
    /* Claimed by two harts at once: the claim did not hold the source. */
    CHECK_EQ(atomic_xchg(&in_service[src], 1), 0);
    irq_lower(plic_source(plic, src));
    /* A duplicate claim would find the request already serviced. */
    CHECK_EQ(atomic_xchg(&request[src], 0), 1);
    atomic_fetch_inc(&claims[src]);
    while (src % 2 && !atomic_load_acquire(&request[src]) &&
           clock_monotonic_ns() < linger_until) {
        sched_yield();
    }
    atomic_store_release(&in_service[src], 0);
    address_space_stl_le(&as, claim_reg(ctx), src, A, NULL);
}

static void *hart_main(void *arg)
{
    unsigned hart = (uintptr_t)arg;

    weft_rcu_register_thread();
    while (!atomic_load_acquire(&stop)) {
        for (unsigned ctx = 2 * hart; ctx < 2 * hart + 2; ctx++) {
            MemTxResult r;
            uint32_t src;

            if (!atomic_load_acquire(&output[ctx])) {
                continue;
            }
            src = address_space_ldl_le(&as, claim_reg(ctx), A, &r);
            CHECK_EQ(r, MEMTX_OK);
            if (src) {
                service(ctx, src);
            } else {
                atomic_fetch_inc(&empty_claims);   /* another hart won */
            }
        }
        if (weft_rcu_quiescent_state_wanted()) {
            weft_rcu_quiescent_state();
        }
        sched_yield();
    }
    weft_rcu_unregister_thread();
    return NULL;
}

/* Every hart's M and S contexts enable every source; priorities vary so
 * that claims are not in ID order. */
static void setup_plic(void)
{
    for (unsigned src = 1; src <= NSRC; src++) {
        address_space_stl_le(&as, PLIC + 4 * src, 1 + src % 7, A, NULL);
    }
    for (unsigned ctx = 0; ctx < NCTX; ctx++) {
        for (unsigned w = 0; w < 3; w++) {
            address_space_stl_le(&as, PLIC + PLIC_ENABLE_BASE +
                                 PLIC_ENABLE_STRIDE * ctx + 4 * w,
                                 0xffffffff, A, NULL);
        }
    }
}

static void test_no_lost_no_duplicate(void)
{
    pthread_t harts[NHARTS], devs[NDEVS];
    unsigned long total = 0;

    setup_plic();
    /* This thread only waits until the joins: grace periods must not
     * wait for it. */
    weft_rcu_go_offline();
    for (uintptr_t h = 0; h < NHARTS; h++) {
        CHECK(!pthread_create(&harts[h], NULL, hart_main, (void *)h));
    }
    for (uintptr_t d = 0; d < NDEVS; d++) {
        CHECK(!pthread_create(&devs[d], NULL, device_main, (void *)d));
    }
    for (unsigned d = 0; d < NDEVS; d++) {
        pthread_join(devs[d], NULL);
    }
    atomic_store_release(&stop, true);
    for (unsigned h = 0; h < NHARTS; h++) {
        pthread_join(harts[h], NULL);
    }
    weft_rcu_go_online();
    for (unsigned src = 1; src <= NDEVS * SRCS_PER_DEV; src++) {
        CHECK_EQ(atomic_read(&claims[src]), ROUNDS);
        CHECK_EQ(atomic_read(&request[src]), 0);
        total += claims[src];
    }
    for (unsigned w = 0; w < 3; w++) {
        CHECK_EQ(address_space_ldl_le(&as, PLIC + PLIC_PENDING_BASE + 4 * w,
                                      A, NULL), 0);
    }
    for (unsigned ctx = 0; ctx < NCTX; ctx++) {
        CHECK(!atomic_load_acquire(&output[ctx]));
    }
    printf("# %lu claims, %lu empty claims\n", total,
           atomic_read(&empty_claims));
}

int main(void)
{
    Error *err = NULL;

    weft_rcu_register_thread();
    CHECK(main_loop_init(&err));
    bql_lock();
    memory_region_init(&sysmem, NULL, "system", UINT64_MAX);
    address_space_init(&as, &sysmem, "memory");
    plic = plic_create(&sysmem, PLIC, NHARTS, NSRC, set_irq, NULL, &err);
    CHECK(plic);
    bql_unlock();
    RUN(test_no_lost_no_duplicate);
    return 0;
}
