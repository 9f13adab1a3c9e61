/* The goldfish RTC through the memory API: host wall-clock time, setting
 * the time, the alarm timer raising the line, clearing, bad accesses. */
#include <pthread.h>
#include <sched.h>
#include <time.h>

#include "hw/rtc/goldfish-rtc.h"
#include "memory/memory.h"
#include "system/bql.h"
#include "system/event-loop.h"
#include "test.h"

#define RTC 0x101000ull
#define NS 1000000000ll
#define MS 1000000ll

static MemoryRegion sysmem;
static AddressSpace as;
static GoldfishRtcState *rtc;
static IrqLine irq_in;
static int irq_level;           /* atomic: the main loop sets it too */
static unsigned irq_changes;    /* atomic */

static void irq_handler(void *opaque, int n, int level)
{
    CHECK(opaque == &irq_in && n == 11);
    atomic_store_release(&irq_level, level);
    atomic_fetch_inc(&irq_changes);
}

static uint32_t rd(hwaddr off)
{
    MemTxResult r;
    uint32_t v = address_space_ldl_le(&as, RTC + off,
                                      MEMTXATTRS_UNSPECIFIED, &r);

    CHECK_EQ(r, MEMTX_OK);
    return v;
}

static void wr(hwaddr off, uint32_t v)
{
    MemTxResult r;

    address_space_stl_le(&as, RTC + off, v, MEMTXATTRS_UNSPECIFIED, &r);
    CHECK_EQ(r, MEMTX_OK);
}

static int64_t host_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return ts.tv_sec * NS + ts.tv_nsec;
}

/* As Linux's driver reads it: LOW first (latches HIGH), then HIGH. */
static int64_t rtc_time(void)
{
    uint32_t low = rd(GOLDFISH_RTC_TIME_LOW);

    return (int64_t)((uint64_t)rd(GOLDFISH_RTC_TIME_HIGH) << 32 | low);
}

static void rtc_set_time(int64_t t)
{
    wr(GOLDFISH_RTC_TIME_HIGH, (uint64_t)t >> 32);
    wr(GOLDFISH_RTC_TIME_LOW, (uint32_t)t);
}

static void rtc_set_alarm(int64_t t)
{
    wr(GOLDFISH_RTC_ALARM_HIGH, (uint64_t)t >> 32);
    wr(GOLDFISH_RTC_ALARM_LOW, (uint32_t)t);
}

static int64_t abs64(int64_t v)
{
    return v < 0 ? -v : v;
}

/* Runs the main loop (as its thread would) until the line is at level
 * or ns have passed; returns whether it got there. */
static bool wait_irq(int level, int64_t ns)
{
    int64_t give_up = clock_monotonic_ns() + ns;
    bool got;

    bql_unlock();
    while (!(got = atomic_load_acquire(&irq_level) == level) &&
           clock_monotonic_ns() < give_up) {
        event_loop_poll(main_loop(), false);
    }
    bql_lock();
    return got;
}

static void test_host_time(void)
{
    int64_t before = host_now(), t = rtc_time(), after = host_now();
    int64_t t_host;

    CHECK(t >= before - NS && t <= after + NS);
    /* the high word of the last LOW read, whatever happened since */
    CHECK_EQ(rd(GOLDFISH_RTC_TIME_HIGH), (uint64_t)t >> 32);
    /* it runs: t is read before t_host, so once the host clock is 2 ms
     * past t_host the RTC must be 2 ms past t */
    t = rtc_time();
    t_host = host_now();

    while (host_now() < t_host + 2 * MS) {
    }
    CHECK(rtc_time() >= t + 2 * MS);
}

static void test_set_time(void)
{
    int64_t host = host_now();
    int64_t target = host - 86400 * NS - 12345;    /* a day ago */
    int64_t t;

    rtc_set_time(target);
    t = rtc_time();
    CHECK(abs64(t - (target + (host_now() - host))) < NS);
    CHECK(abs64(t - host_now()) > 86000 * NS);
    /* a time in the future, with a different high word */
    rtc_set_time(host_now() + 0x100000000ll * 10);
    CHECK(abs64(rtc_time() - (host_now() + 0x100000000ll * 10)) < NS);
    /* a lone HIGH write only latches */
    wr(GOLDFISH_RTC_TIME_HIGH, 0);
    CHECK(abs64(rtc_time() - (host_now() + 0x100000000ll * 10)) < NS);
    rtc_set_time(host_now());
    CHECK(abs64(rtc_time() - host_now()) < NS);
}

static void test_alarm_fires(void)
{
    int64_t alarm = rtc_time() + 20 * MS;

    CHECK(!atomic_load_acquire(&irq_level));
    wr(GOLDFISH_RTC_IRQ_ENABLED, 1);
    CHECK_EQ(rd(GOLDFISH_RTC_IRQ_ENABLED), 1);
    rtc_set_alarm(alarm);
    CHECK_EQ(rd(GOLDFISH_RTC_ALARM_STATUS), 1);
    CHECK_EQ(rd(GOLDFISH_RTC_ALARM_LOW), (uint32_t)alarm);
    CHECK_EQ(rd(GOLDFISH_RTC_ALARM_HIGH), (uint64_t)alarm >> 32);
    CHECK(!atomic_load_acquire(&irq_level));
    CHECK(wait_irq(1, 5 * NS));
    /* not early */
    CHECK(rtc_time() >= alarm);
    CHECK_EQ(rd(GOLDFISH_RTC_ALARM_STATUS), 0);
    /* the line stays up until the interrupt is cleared */
    wr(GOLDFISH_RTC_CLEAR_ALARM, 1);
    CHECK(atomic_load_acquire(&irq_level));
    wr(GOLDFISH_RTC_CLEAR_INTERRUPT, 1);
    CHECK(!atomic_load_acquire(&irq_level));
}

static void test_alarm_in_past(void)
{
    rtc_set_alarm(rtc_time() - NS);
    CHECK(atomic_load_acquire(&irq_level));
    CHECK_EQ(rd(GOLDFISH_RTC_ALARM_STATUS), 0);
    wr(GOLDFISH_RTC_CLEAR_INTERRUPT, 1);
    CHECK(!atomic_load_acquire(&irq_level));
}

static void test_clear_alarm(void)
{
    rtc_set_alarm(rtc_time() + 30 * MS);
    CHECK_EQ(rd(GOLDFISH_RTC_ALARM_STATUS), 1);
    wr(GOLDFISH_RTC_CLEAR_ALARM, 1);
    CHECK_EQ(rd(GOLDFISH_RTC_ALARM_STATUS), 0);
    CHECK(!wait_irq(1, 80 * MS));
}

static void test_irq_disabled(void)
{
    wr(GOLDFISH_RTC_IRQ_ENABLED, 0);
    rtc_set_alarm(rtc_time() + 10 * MS);
    /* fires (the alarm disarms) but the line stays low */
    bql_unlock();
    for (int64_t end = clock_monotonic_ns() + 2 * NS;
         clock_monotonic_ns() < end;) {
        bql_lock();
        if (!rd(GOLDFISH_RTC_ALARM_STATUS)) {
            bql_unlock();
            break;
        }
        bql_unlock();
        event_loop_poll(main_loop(), false);
    }
    bql_lock();
    CHECK_EQ(rd(GOLDFISH_RTC_ALARM_STATUS), 0);
    CHECK(!atomic_load_acquire(&irq_level));
    /* the interrupt is pending: enabling delivers it */
    wr(GOLDFISH_RTC_IRQ_ENABLED, 1);
    CHECK(atomic_load_acquire(&irq_level));
    wr(GOLDFISH_RTC_CLEAR_INTERRUPT, 1);
    CHECK(!atomic_load_acquire(&irq_level));
}

/* The alarm is in guest time: with the clock a day ahead, an alarm 20 ms
 * after the guest's now fires in 20 ms; moving the clock past an armed
 * alarm fires it at once. */
static void test_alarm_with_offset(void)
{
    int64_t start = clock_monotonic_ns();

    rtc_set_time(host_now() + 86400 * NS);
    rtc_set_alarm(rtc_time() + 20 * MS);
    CHECK(wait_irq(1, 5 * NS));
    CHECK(clock_monotonic_ns() - start < 4 * NS);
    wr(GOLDFISH_RTC_CLEAR_INTERRUPT, 1);
    rtc_set_alarm(rtc_time() + 3600 * NS);
    CHECK(!atomic_load_acquire(&irq_level));
    rtc_set_time(rtc_time() + 7200 * NS);
    CHECK(atomic_load_acquire(&irq_level));
    CHECK_EQ(rd(GOLDFISH_RTC_ALARM_STATUS), 0);
    wr(GOLDFISH_RTC_CLEAR_INTERRUPT, 1);
    rtc_set_time(host_now());
}

static void test_bad_access(void)
{
    uint64_t v = 0x55;
    unsigned changes;

    wr(GOLDFISH_RTC_IRQ_ENABLED, 0);
    changes = atomic_read(&irq_changes);

    /* byte and 8-byte reads: 0; writes: ignored */
    CHECK_EQ(address_space_load(&as, RTC + GOLDFISH_RTC_TIME_LOW, 1,
                                DEVICE_LITTLE_ENDIAN, MEMTXATTRS_UNSPECIFIED,
                                &v), MEMTX_OK);
    CHECK_EQ(v, 0);
    CHECK_EQ(address_space_load(&as, RTC, 8, DEVICE_LITTLE_ENDIAN,
                                MEMTXATTRS_UNSPECIFIED, &v), MEMTX_OK);
    CHECK_EQ(v, 0);
    CHECK_EQ(address_space_store(&as, RTC + GOLDFISH_RTC_IRQ_ENABLED, 1,
                                 DEVICE_LITTLE_ENDIAN,
                                 MEMTXATTRS_UNSPECIFIED, 1), MEMTX_OK);
    CHECK_EQ(rd(GOLDFISH_RTC_IRQ_ENABLED), 0);
    CHECK_EQ(address_space_store(&as, RTC + GOLDFISH_RTC_ALARM_LOW + 2, 4,
                                 DEVICE_LITTLE_ENDIAN,
                                 MEMTXATTRS_UNSPECIFIED, 1), MEMTX_OK);
    CHECK_EQ(rd(GOLDFISH_RTC_ALARM_STATUS), 0);
    /* write-only registers and holes read 0 */
    CHECK_EQ(rd(GOLDFISH_RTC_CLEAR_ALARM), 0);
    CHECK_EQ(rd(GOLDFISH_RTC_CLEAR_INTERRUPT), 0);
    CHECK_EQ(rd(0x20), 0);
    CHECK_EQ(rd(0xffc), 0);
    wr(0xffc, 1);
    wr(GOLDFISH_RTC_ALARM_STATUS, 1);
    CHECK_EQ(rd(GOLDFISH_RTC_ALARM_STATUS), 0);
    CHECK_EQ(atomic_read(&irq_changes), changes);
    CHECK(abs64(rtc_time() - host_now()) < NS);
}

static void test_reset(void)
{
    wr(GOLDFISH_RTC_IRQ_ENABLED, 1);
    rtc_set_alarm(rtc_time() + 20 * MS);
    rtc_set_time(host_now() - 3600 * NS);
    goldfish_rtc_reset(rtc);
    CHECK_EQ(rd(GOLDFISH_RTC_ALARM_STATUS), 0);
    CHECK_EQ(rd(GOLDFISH_RTC_IRQ_ENABLED), 0);
    CHECK(!wait_irq(1, 60 * MS));
    /* the clock keeps its time across reset */
    CHECK(abs64(rtc_time() - (host_now() - 3600 * NS)) < NS);
}

/* A "vCPU" thread arms alarms and clears interrupts through the lockless
 * region while the main loop fires them: the timer callback and MMIO run
 * concurrently (for TSan). */
#define VCPU_ALARMS 20
static bool vcpu_done;          /* atomic */

static void *vcpu_main(void *arg)
{
    weft_rcu_register_thread();
    wr(GOLDFISH_RTC_IRQ_ENABLED, 1);
    for (int i = 0; i < VCPU_ALARMS; i++) {
        int64_t alarm = rtc_time() + 2 * MS;
        int64_t give_up = clock_monotonic_ns() + 5 * NS;

        rtc_set_alarm(alarm);
        while (!atomic_load_acquire(&irq_level)) {
            CHECK(clock_monotonic_ns() < give_up);
            sched_yield();
        }
        CHECK(rtc_time() >= alarm);
        CHECK_EQ(rd(GOLDFISH_RTC_ALARM_STATUS), 0);
        wr(GOLDFISH_RTC_CLEAR_INTERRUPT, 1);
        CHECK(!atomic_load_acquire(&irq_level));
    }
    wr(GOLDFISH_RTC_IRQ_ENABLED, 0);
    atomic_store_release(&vcpu_done, true);
    event_loop_notify(main_loop());
    weft_rcu_unregister_thread();
    return NULL;
}

static void test_alarm_from_vcpu_thread(void)
{
    pthread_t t;

    bql_unlock();
    CHECK(!pthread_create(&t, NULL, vcpu_main, NULL));
    while (!atomic_load_acquire(&vcpu_done)) {
        event_loop_poll(main_loop(), true);
    }
    pthread_join(t, NULL);
    bql_lock();
}

int main(void)
{
    Error *err = NULL;

    weft_rcu_register_thread();
    CHECK(main_loop_init(&err));
    bql_lock();
    memory_region_init(&sysmem, NULL, "system", UINT64_MAX);
    address_space_init(&as, &sysmem, "memory");
    irq_init_in(&irq_in, irq_handler, &irq_in, 11, NULL);
    rtc = goldfish_rtc_create(&sysmem, RTC, &irq_in, &err);
    CHECK(rtc);

    RUN(test_host_time);
    RUN(test_set_time);
    RUN(test_alarm_fires);
    RUN(test_alarm_in_past);
    RUN(test_clear_alarm);
    RUN(test_irq_disabled);
    RUN(test_alarm_with_offset);
    RUN(test_bad_access);
    RUN(test_reset);
    RUN(test_alarm_from_vcpu_thread);
    bql_unlock();
    return 0;
}
