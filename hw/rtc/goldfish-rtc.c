/* Goldfish RTC (register map in goldfish-rtc.h).
 *
 * Time: guest time = CLOCK_REALTIME + offset_ns.  A guest write of
 * TIME_HIGH only latches the high word; the TIME_LOW write that follows
 * sets the whole 64-bit time and so the offset (Linux writes HIGH then
 * LOW).  Reading TIME_LOW samples the clock and latches the high word
 * that TIME_HIGH returns, so a LOW-then-HIGH read pair is consistent.
 *
 * Alarm: ALARM_HIGH latches; ALARM_LOW arms the alarm at HIGH:LOW.  A
 * main-loop timer (CLOCK_MONOTONIC) is set for the moment the guest clock
 * reaches it; its callback re-checks against the guest clock, re-arms if
 * the host's wall clock moved back meanwhile, else fires: the alarm is
 * disarmed and the interrupt becomes pending.  An alarm already in the
 * past fires at once.  The line is high while an interrupt is pending and
 * IRQ_ENABLED is 1.
 *
 * Locking: the region is lockless.  `lock` protects every field below it
 * in GoldfishRtcState and is held while the line changes, so that two
 * threads cannot leave the line disagreeing with the registers.  It is
 * taken before the interrupt controller's lock (device lock -> PLIC lock)
 * and never while taking the BQL.  The timer API's locks are leaves.  A
 * timer callback that was already running when timer_del() returned finds
 * alarm_armed false or its deadline not reached, and does nothing.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "hw/rtc/goldfish-rtc.h"
#include "system/event-loop.h"
#include "util/log.h"

struct GoldfishRtcState {
    MemoryRegion mr;            /* static region, owner NULL */
    IrqLine *irq;               /* the controller's input, or NULL */
    Timer *timer;               /* main loop; goldfish_rtc_timer_cb */
    pthread_mutex_t lock;       /* see the file comment */
    int64_t offset_ns;          /* guest time - host CLOCK_REALTIME */
    uint32_t time_high_read;    /* latched by a TIME_LOW read */
    uint32_t time_high_write;   /* latched by a TIME_HIGH write */
    uint64_t alarm_ns;          /* guest time of the alarm */
    bool alarm_armed;           /* ALARM_STATUS */
    bool irq_enabled;           /* IRQ_ENABLED */
    bool irq_pending;           /* alarm fired, not cleared */
};

static int64_t host_realtime_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

/* Lock held. */
static uint64_t goldfish_rtc_now(GoldfishRtcState *s)
{
    return (uint64_t)host_realtime_ns() + (uint64_t)s->offset_ns;
}

/* Lock held. */
static void goldfish_rtc_update_irq(GoldfishRtcState *s)
{
    irq_set_level(s->irq, s->irq_pending && s->irq_enabled);
}

/* Lock held.  Fires the alarm if its time has come, else (re)arms the
 * timer for it. */
static void goldfish_rtc_check_alarm(GoldfishRtcState *s)
{
    uint64_t now = goldfish_rtc_now(s);
    uint64_t left;

    if (!s->alarm_armed) {
        timer_del(s->timer);
        return;
    }
    if (s->alarm_ns <= now) {
        timer_del(s->timer);
        s->alarm_armed = false;
        s->irq_pending = true;
        goldfish_rtc_update_irq(s);
        return;
    }
    /* Far alarms (beyond ~292 years) are clamped: the callback re-arms. */
    left = s->alarm_ns - now;
    if (left > INT64_MAX / 2) {
        left = INT64_MAX / 2;
    }
    timer_mod_ns(s->timer, clock_monotonic_ns() + (int64_t)left);
}

static void goldfish_rtc_timer_cb(void *opaque)
{
    GoldfishRtcState *s = opaque;

    pthread_mutex_lock(&s->lock);
    goldfish_rtc_check_alarm(s);
    pthread_mutex_unlock(&s->lock);
}

static bool goldfish_rtc_read_locked(GoldfishRtcState *s, hwaddr off,
                                     uint32_t *val)
{
    uint64_t now;

    switch (off) {
    case GOLDFISH_RTC_TIME_LOW:
        now = goldfish_rtc_now(s);
        s->time_high_read = now >> 32;
        *val = (uint32_t)now;
        return true;
    case GOLDFISH_RTC_TIME_HIGH:
        *val = s->time_high_read;
        return true;
    case GOLDFISH_RTC_ALARM_LOW:
        *val = (uint32_t)s->alarm_ns;
        return true;
    case GOLDFISH_RTC_ALARM_HIGH:
        *val = s->alarm_ns >> 32;
        return true;
    case GOLDFISH_RTC_IRQ_ENABLED:
        *val = s->irq_enabled;
        return true;
    case GOLDFISH_RTC_ALARM_STATUS:
        *val = s->alarm_armed;
        return true;
    default:                    /* write-only or nothing */
        return false;
    }
}

static bool goldfish_rtc_write_locked(GoldfishRtcState *s, hwaddr off,
                                      uint32_t val)
{
    uint64_t t;

    switch (off) {
    case GOLDFISH_RTC_TIME_LOW:
        t = (uint64_t)s->time_high_write << 32 | val;
        s->offset_ns = (int64_t)(t - (uint64_t)host_realtime_ns());
        /* The alarm is in guest time: it may be due now, or later. */
        goldfish_rtc_check_alarm(s);
        return true;
    case GOLDFISH_RTC_TIME_HIGH:
        s->time_high_write = val;
        return true;
    case GOLDFISH_RTC_ALARM_LOW:
        s->alarm_ns = (s->alarm_ns & ~0xffffffffull) | val;
        s->alarm_armed = true;
        goldfish_rtc_check_alarm(s);
        return true;
    case GOLDFISH_RTC_ALARM_HIGH:
        s->alarm_ns = (s->alarm_ns & 0xffffffffull) | (uint64_t)val << 32;
        return true;
    case GOLDFISH_RTC_IRQ_ENABLED:
        s->irq_enabled = val & 1;
        goldfish_rtc_update_irq(s);
        return true;
    case GOLDFISH_RTC_CLEAR_ALARM:
        s->alarm_armed = false;
        goldfish_rtc_check_alarm(s);
        return true;
    case GOLDFISH_RTC_CLEAR_INTERRUPT:
        s->irq_pending = false;
        goldfish_rtc_update_irq(s);
        return true;
    default:
        return false;
    }
}

static uint64_t goldfish_rtc_read(void *opaque, hwaddr off, unsigned size)
{
    GoldfishRtcState *s = opaque;
    uint32_t val = 0;
    bool ok = false;

    if (size == 4 && !(off & 3)) {
        pthread_mutex_lock(&s->lock);
        ok = goldfish_rtc_read_locked(s, off, &val);
        pthread_mutex_unlock(&s->lock);
    }
    if (!ok) {
        log_mask_printf(LOG_GUEST_ERROR, "goldfish-rtc: bad read of %u "
                        "bytes at 0x%" PRIx64 "\n", size, off);
        return 0;
    }
    return val;
}

static void goldfish_rtc_write(void *opaque, hwaddr off, uint64_t val,
                               unsigned size)
{
    GoldfishRtcState *s = opaque;
    bool ok = false;

    if (size == 4 && !(off & 3)) {
        pthread_mutex_lock(&s->lock);
        ok = goldfish_rtc_write_locked(s, off, val);
        pthread_mutex_unlock(&s->lock);
    }
    if (!ok) {
        log_mask_printf(LOG_GUEST_ERROR, "goldfish-rtc: bad write of %u "
                        "bytes at 0x%" PRIx64 " (0x%" PRIx64 ")\n",
                        size, off, val);
    }
}

/* Every size and alignment reaches the callbacks: a bad access is a
 * logged no-op reading 0, not a bus error. */
static const MemoryRegionOps goldfish_rtc_ops = {
    .read = goldfish_rtc_read,
    .write = goldfish_rtc_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 8,
               .unaligned = true },
    .impl = { .min_access_size = 1, .max_access_size = 8,
              .unaligned = true },
};

void goldfish_rtc_reset(GoldfishRtcState *s)
{
    pthread_mutex_lock(&s->lock);
    s->alarm_armed = false;
    s->alarm_ns = 0;
    s->irq_enabled = false;
    s->irq_pending = false;
    s->time_high_read = s->time_high_write = 0;
    goldfish_rtc_check_alarm(s);
    goldfish_rtc_update_irq(s);
    pthread_mutex_unlock(&s->lock);
}

GoldfishRtcState *goldfish_rtc_create(MemoryRegion *sysmem, hwaddr base,
                                      IrqLine *irq, Error **errp)
{
    GoldfishRtcState *s;
    EventLoop *loop = main_loop();

    if (!loop) {
        error_setg(errp, "goldfish-rtc: no main loop for its alarm timer");
        return NULL;
    }
    s = calloc(1, sizeof(*s));
    if (!s) {
        abort();
    }
    pthread_mutex_init(&s->lock, NULL);
    s->irq = irq;
    s->timer = timer_new(loop, goldfish_rtc_timer_cb, s);
    memory_region_init_io(&s->mr, NULL, &goldfish_rtc_ops, s,
                          "goldfish-rtc", GOLDFISH_RTC_SIZE);
    memory_region_set_lockless(&s->mr, true);
    memory_region_add_subregion(sysmem, base, &s->mr);
    return s;
}
