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
 * and reset_request_consume()). */
void main_loop_run_until_shutdown(void);

#endif
