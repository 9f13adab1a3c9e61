/* Android goldfish RTC, as Linux's rtc-goldfish driver uses it:
 *
 *   0x00 TIME_LOW       ns since the epoch, low word; reading latches HIGH
 *   0x04 TIME_HIGH      high word as latched by the last TIME_LOW read
 *   0x08 ALARM_LOW      writing it arms the alarm at (ALARM_HIGH:value)
 *   0x0c ALARM_HIGH
 *   0x10 IRQ_ENABLED    1: the alarm may raise the line
 *   0x14 CLEAR_ALARM    any write disarms the alarm
 *   0x18 ALARM_STATUS   1 while an alarm is armed
 *   0x1c CLEAR_INTERRUPT any write lowers the line
 *
 * Time is the host's CLOCK_REALTIME plus an offset that a guest write of
 * TIME_LOW (with TIME_HIGH written before it) sets.  The alarm fires from
 * a main-loop timer.  Registers are 32-bit aligned words.
 *
 * Threads: the region is lockless; the device guards itself.
 */
#ifndef HW_RTC_GOLDFISH_RTC_H
#define HW_RTC_GOLDFISH_RTC_H

#include "hw/core/irq.h"
#include "memory/memory.h"
#include "util/error.h"

#define GOLDFISH_RTC_SIZE            0x1000

#define GOLDFISH_RTC_TIME_LOW        0x00
#define GOLDFISH_RTC_TIME_HIGH       0x04
#define GOLDFISH_RTC_ALARM_LOW       0x08
#define GOLDFISH_RTC_ALARM_HIGH      0x0c
#define GOLDFISH_RTC_IRQ_ENABLED     0x10
#define GOLDFISH_RTC_CLEAR_ALARM     0x14
#define GOLDFISH_RTC_ALARM_STATUS    0x18
#define GOLDFISH_RTC_CLEAR_INTERRUPT 0x1c

typedef struct GoldfishRtcState GoldfishRtcState;

/* BQL, after main_loop_init().  0x1000 bytes at base, host wall-clock
 * time, alarm + IRQ (irq may be NULL: no interrupt).  Static device:
 * lives with the machine. */
GoldfishRtcState *goldfish_rtc_create(MemoryRegion *sysmem, hwaddr base,
                                      IrqLine *irq, Error **errp);

/* Machine reset (BQL): alarm disarmed, interrupt disabled and lowered;
 * the time offset is kept, as a battery-backed clock keeps its time. */
void goldfish_rtc_reset(GoldfishRtcState *s);

#endif
