/* Shutdown requests: a flag, the status, and a wake-up of the main loop.
 * The loop is stopped with event_loop_stop(), which is callable from any
 * thread and keeps a stop requested before the loop runs (so a guest
 * that exits before main() reaches the loop is not missed). */
#include "system/event-loop.h"
#include "system/runstate.h"
#include "util/atomic.h"

/* Set once, by the first request: the compare-exchange on `requested` decides
 * who writes `status`; readers load `requested` (acquire) first. */
static int requested;
static int status;

void qemu_system_shutdown_request(int exit_status)
{
    EventLoop *loop;
    int expected = 0;

    /* 0 -> 1 claims the right to write status; 2 publishes it. */
    if (!__atomic_compare_exchange_n(&requested, &expected, 1, false,
                                     __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        return;
    }
    atomic_set(&status, exit_status);
    atomic_store_release(&requested, 2);
    loop = main_loop();
    if (loop) {
        event_loop_stop(loop);
    }
}

bool shutdown_requested(void)
{
    return atomic_load_acquire(&requested) == 2;
}

int shutdown_status(void)
{
    return shutdown_requested() ? atomic_read(&status) : 0;
}

void main_loop_run_until_shutdown(void)
{
    EventLoop *loop = main_loop();

    while (!shutdown_requested()) {
        event_loop_run(loop);
    }
}
