/* Character devices: the host side of a guest serial port.
 *
 * A chardev is created from a spec string (the -serial argument):
 *   stdio      the terminal (raw mode when stdin is a tty, restored on every
 *              exit path) with QEMU's Ctrl-a commands: Ctrl-a x quits with
 *              status 0, Ctrl-a h prints help, Ctrl-a Ctrl-a sends Ctrl-a.
 *              When stdin is not a tty it is read as a plain stream; EOF
 *              just stops input.
 *   file:PATH  output to PATH (created or truncated), no input
 *   null       output discarded, no input
 *   pty        a new pseudo-terminal; "char device redirected to
 *              /dev/pts/N (label LABEL)" goes to stderr.  Output nobody
 *              reads is dropped once the pty buffer is full, so the guest
 *              never stalls on it.
 *
 * Threads: chardev_new() and chardev_set_frontend() run under the BQL
 * after main_loop_init(); input is read by fd handlers of the main loop
 * and handed to the frontend in the main-loop thread.  chardev_write()
 * and chardev_accept_input() may be called from any thread.  Each
 * chardev has its own output lock, a leaf: no other lock is taken while
 * holding it, so a frontend may call chardev_write() with or without its
 * own lock (it should not, because a slow stdout may block the write).
 *
 * Chardevs live until the process exits; chardev_cleanup_all() (also run
 * from atexit and from the fatal-signal handlers) restores the terminal.
 */
#ifndef SYSTEM_CHARDEV_H
#define SYSTEM_CHARDEV_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

typedef struct Chardev Chardev;

/* BQL, after main_loop_init(). */
Chardev *chardev_new(const char *label, const char *spec, Error **errp);

/* Input: can_read returns how many bytes the frontend accepts now;
 * receive delivers at most that many.  Both run in the main-loop thread.
 * When can_read said 0, the frontend calls chardev_accept_input() once it
 * can take more; until then input stays queued (in the chardev, then in
 * the host's pipe or tty buffer), never dropped.  BQL. */
void chardev_set_frontend(Chardev *chr, size_t (*can_read)(void *opaque),
                          void (*receive)(void *opaque, const uint8_t *buf,
                                          size_t len),
                          void *opaque);
/* Any thread, any lock held, never blocks. */
void chardev_accept_input(Chardev *chr);

/* Output: any thread (a vCPU in an MMIO handler).  Writes every byte, or
 * drops them if the backend is gone or (pty) nobody reads it; stdio and
 * file outputs wait for a slow consumer as QEMU does. */
void chardev_write(Chardev *chr, const uint8_t *buf, size_t len);

/* Restores the terminal.  Idempotent; also run at exit. */
void chardev_cleanup_all(void);

#endif
