/* Shutdown and reset requests: flags, the status, and a wake-up of the
 * main loop.  The loop is stopped with event_loop_stop(), which is
 * callable from any thread and keeps a stop requested before the loop
 * runs (so a guest that exits before main() reaches the loop is not
 * missed). */
#include <assert.h>
#include <stdlib.h>

#include "system/bql.h"
#include "system/event-loop.h"
#include "system/runstate.h"
#include "util/atomic.h"

/* Set once, by the first request: the compare-exchange on `requested` decides
 * who writes `status`; readers load `requested` (acquire) first. */
static int requested;
static int status;

/* A pending reset request (atomic: set by any thread, cleared by the main
 * thread).  no_reboot is written before the vCPUs start. */
static int reset_pending;
static bool no_reboot;

typedef struct ResetEntry {
    ResetHandler *fn;
    void *opaque;
    struct ResetEntry *next;
} ResetEntry;

/* BQL: the reset handler list, in registration order. */
static ResetEntry *reset_first, **reset_tail = &reset_first;

static void wake_main_loop(void)
{
    EventLoop *loop = main_loop();

    if (loop) {
        event_loop_stop(loop);
    }
}

void qemu_system_shutdown_request(int exit_status)
{
    int expected = 0;

    /* 0 -> 1 claims the right to write status; 2 publishes it. */
    if (!__atomic_compare_exchange_n(&requested, &expected, 1, false,
                                     __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        return;
    }
    atomic_set(&status, exit_status);
    atomic_store_release(&requested, 2);
    wake_main_loop();
}

bool shutdown_requested(void)
{
    return atomic_load_acquire(&requested) == 2;
}

int shutdown_status(void)
{
    return shutdown_requested() ? atomic_read(&status) : 0;
}

void runstate_set_no_reboot(bool value)
{
    no_reboot = value;
}

void qemu_system_reset_request(void)
{
    if (no_reboot) {
        qemu_system_shutdown_request(0);
        return;
    }
    atomic_store_release(&reset_pending, 1);
    wake_main_loop();
}

bool reset_request_consume(void)
{
    return atomic_xchg(&reset_pending, 0) != 0;
}

void qemu_register_reset(ResetHandler *fn, void *opaque)
{
    ResetEntry *e = calloc(1, sizeof(*e));

    assert(bql_locked());
    if (!e) {
        abort();
    }
    e->fn = fn;
    e->opaque = opaque;
    *reset_tail = e;
    reset_tail = &e->next;
}

void qemu_system_reset(void)
{
    assert(bql_locked());
    for (ResetEntry *e = reset_first; e; e = e->next) {
        e->fn(e->opaque);
    }
}

void main_loop_run_until_shutdown(void)
{
    EventLoop *loop = main_loop();

    while (!shutdown_requested() && !atomic_read(&reset_pending)) {
        event_loop_run(loop);
    }
}
