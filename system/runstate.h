/* Machine run state: how a running machine asks the main loop to end.
 *
 * A guest (HTIF tohost, a test device, a power-off register) calls
 * qemu_system_shutdown_request(status) from any thread: the first request
 * wins, later ones are ignored, and the main loop wakes up.  main() runs
 * the loop until shutdown_requested() and exits with shutdown_status().
 */
#ifndef SYSTEM_RUNSTATE_H
#define SYSTEM_RUNSTATE_H

#include <stdbool.h>

/* Any thread, any lock held, never blocks.  status is the process exit
 * status to use (0 = success). */
void qemu_system_shutdown_request(int status);
bool shutdown_requested(void);
int shutdown_status(void);

/* Main thread, BQL not held: runs the main loop until a shutdown
 * request. */
void main_loop_run_until_shutdown(void);

#endif
