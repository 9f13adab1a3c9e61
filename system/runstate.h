/* Machine run state: how a running machine asks the main loop to end or
 * to reset.
 *
 * A guest (HTIF tohost, a test device, a power-off register) calls
 * qemu_system_shutdown_request(status) from any thread: the first request
 * wins, later ones are ignored, and the main loop wakes up.  main() runs
 * the loop until shutdown_requested() and exits with shutdown_status().
 *
 * A guest reboot calls qemu_system_reset_request() from any thread.  The
 * main loop returns to main(), which pauses the vCPUs, runs
 * qemu_system_reset() (every registered reset handler, in registration
 * order, under the BQL) and resumes them.  With -no-reboot
 * (runstate_set_no_reboot(true)) a reset request is a shutdown request
 * with status 0, as in QEMU.
 */
#ifndef SYSTEM_RUNSTATE_H
#define SYSTEM_RUNSTATE_H

#include <stdbool.h>

/* Any thread, any lock held, never blocks.  status is the process exit
 * status to use (0 = success). */
void qemu_system_shutdown_request(int status);
bool shutdown_requested(void);
int shutdown_status(void);

/* Any thread, any lock held, never blocks.  Requests made while one is
 * pending merge into it. */
void qemu_system_reset_request(void);
/* Main thread: true once per pending reset request (it clears it). */
bool reset_request_consume(void);
/* Before the machine runs: turn reset requests into shutdowns. */
void runstate_set_no_reboot(bool no_reboot);

/* BQL.  fn(opaque) runs at every machine reset, vCPUs paused.  Boards
 * and devices register once at creation; the registrations live as long
 * as the process. */
typedef void ResetHandler(void *opaque);
void qemu_register_reset(ResetHandler *fn, void *opaque);
/* BQL, vCPUs paused: runs every reset handler. */
void qemu_system_reset(void);

/* Main thread, BQL not held: runs the main loop until a shutdown or a
 * reset request (the caller tells them apart with shutdown_requested()
 * and reset_request_consume()).  On a shutdown it sets the run state to
 * "shutdown" and reports RUNSTATE_EVENT_SHUTDOWN once. */
void main_loop_run_until_shutdown(void);

/* ---- causes, run state and events, for management (QMP) */

/* Why the machine shuts down or resets; QMP reports it in the SHUTDOWN
 * and RESET events.  The plain request functions above are the guest's
 * (GUEST_SHUTDOWN, GUEST_RESET). */
typedef enum ShutdownCause {
    SHUTDOWN_CAUSE_NONE,                 /* power-on reset: no event */
    SHUTDOWN_CAUSE_HOST_QMP_QUIT,
    SHUTDOWN_CAUSE_HOST_QMP_SYSTEM_RESET,
    SHUTDOWN_CAUSE_GUEST_SHUTDOWN,
    SHUTDOWN_CAUSE_GUEST_RESET,
    SHUTDOWN_CAUSE_HOST_SIGNAL,          /* SIGTERM, SIGINT, SIGHUP */
} ShutdownCause;

/* Like the requests above, with the cause.  Any thread, never blocks;
 * the shutdown one is async-signal-safe and returns whether this request
 * was the first (the one that counts). */
bool qemu_system_shutdown_request_cause(int status, ShutdownCause cause);

/* Main thread, once, early in main() (before anything that needs a
 * clean exit, such as a QMP socket file, exists): SIGTERM, SIGINT and
 * SIGHUP become a shutdown request with cause HOST_SIGNAL and exit
 * status 0, as in QEMU.  When the main loop acts on it, weft prints
 * "weft: terminating on signal N from pid P (NAME)" on stderr and sends
 * SHUTDOWN.  Other threads block these signals or only run this
 * async-signal-safe handler. */
void runstate_init_signals(void);
void qemu_system_reset_request_cause(ShutdownCause cause);
/* QEMU's names: "host-qmp-quit", "guest-reset", ... */
const char *shutdown_cause_name(ShutdownCause cause);
bool shutdown_cause_is_guest(ShutdownCause cause);

/* Whether guest code may run.  PRELAUNCH until main() starts the vCPUs;
 * PAUSED after QMP "stop"; SHUTDOWN once the main loop saw a shutdown
 * request.  A reset keeps a paused machine paused (main() resumes the
 * vCPUs after a reset only in RUNNING). */
typedef enum RunState {
    RUN_STATE_PRELAUNCH,
    RUN_STATE_RUNNING,
    RUN_STATE_PAUSED,
    RUN_STATE_SHUTDOWN,
} RunState;

/* Any thread; a snapshot. */
RunState runstate_get(void);
const char *runstate_name(RunState state);
/* BQL, not from a vCPU thread.  vm_start() lets every vCPU run and
 * reports RESUME if the machine was not running; vm_stop() waits until
 * every vCPU is out of guest code and reports STOP if it was running.
 * Neither does anything once the run state is SHUTDOWN. */
void vm_start(void);
void vm_stop(void);

/* The events a management listener (the QMP server) is told about.
 * cause is set for RESET and SHUTDOWN, NONE otherwise. */
typedef enum RunstateEvent {
    RUNSTATE_EVENT_STOP,
    RUNSTATE_EVENT_RESUME,
    RUNSTATE_EVENT_RESET,
    RUNSTATE_EVENT_SHUTDOWN,
    RUNSTATE_EVENT_POWERDOWN,
} RunstateEvent;
/* Called in the main thread, with or without the BQL; must not block.
 * One listener; set before the machine runs (NULL removes it). */
typedef void RunstateEventHook(RunstateEvent event, ShutdownCause cause);
void runstate_set_event_hook(RunstateEventHook *hook);

/* The board's power button (ACPI, a GPIO key...).  A board that has one
 * registers its handler once at creation (BQL).  The request runs it and
 * reports POWERDOWN; without a handler it returns false and does
 * nothing, since nothing would reach the guest.  BQL. */
void qemu_register_powerdown_handler(void (*fn)(void *opaque), void *opaque);
bool qemu_system_powerdown_request(void);

#endif
