/* Test devices and buses shared by the hw/core tests, and an event log
 * that records every callback in the order it ran. */
#ifndef TESTS_UNIT_HW_TESTDEV_H
#define TESTS_UNIT_HW_TESTDEV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "hw/core/device.h"
#include "hw/core/irq.h"
#include "hw/core/props.h"
#include "util/compiler.h"

#define TESTDEV_MAGIC_LIVE 0x7e57de7u
#define TESTDEV_MAGIC_DEAD 0xdeadu

enum { MODE_OFF, MODE_LOW, MODE_HIGH };

typedef struct TestDev {
    Device parent;
    unsigned magic;              /* LIVE until instance_finalize */
    char *label;                 /* test-base */
    bool fail_realize;
    bool async_drain;
    bool flag;
    uint8_t u8;
    uint16_t u16;
    uint32_t u32;
    uint64_t u64;
    int32_t i32;
    int64_t i64;
    uint64_t size;
    char *str;
    int mode;
    Device *link;
    pthread_t drained_in;        /* thread that ran unrealize */
} TestDev;

/* Every bus here has type "test-bus" unless said otherwise. */
extern const BusInfo test_bus_info;     /* 8 slots, hot-pluggable, acks */
extern const BusInfo guest_bus_info;    /* guest protocol: see below */
extern const BusInfo fixed_bus_info;    /* not hot-pluggable, no slots */
extern const BusInfo sys_bus_info;      /* type "sys" */

/* guest_bus: unplug_request logs "request:NAME" and acks inside the hook
 * when guest_auto_ack is set; otherwise the request stays pending. */
extern bool guest_auto_ack;
/* ...and fails instead while guest_refuse_request is set. */
extern bool guest_refuse_request;
/* test_bus pre_plug refuses every device while set. */
extern bool test_bus_refuse;

/* Called by test-dev's drain when async_drain is set (it then returns
 * false and the hook must arrange device_drain_done()). */
extern void (*testdev_async_drain_hook)(Device *dev);
/* Called by test-dev's isolate (e.g. to unpublish an MMIO pointer). */
extern void (*testdev_isolate_hook)(Device *dev);

/* Number of test-dev instances finalized (atomic), and the thread that
 * ran the last finalize (BQL). */
extern unsigned long testdev_finalized;
extern pthread_t testdev_finalize_thread;

/* ---- event log: "a:x b:y ..." in call order; any thread */
void ev_reset(void);
void ev_log(const char *fmt, ...) WEFT_PRINTF(1, 2);
/* A malloc'd copy of the log. */
char *ev_dump(void);
/* True if the log is exactly expect; prints both otherwise. */
bool ev_equals(const char *expect);
bool ev_contains(const char *item);
/* Index of item in the log, or -1. */
long ev_index(const char *item);

/* Logs "deleted:ID:PATH" for every DEVICE_DELETED. */
void testdev_watch_deleted(void);
unsigned long testdev_deleted_count(void);

/* A name for logs: the id, or "anon". */
const char *dev_label(const Device *dev);

/* Releases the BQL if held, lets every pending grace period, finalize
 * and (with a main loop) main-loop callback run, and retakes it. */
void settle(void);

#endif
