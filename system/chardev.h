/* Character devices: the host side of a guest serial port or console.
 *
 * A chardev is created either from a spec string (the -serial argument,
 * chardev_new()) or from -chardev options (chardev_new_from_opts()):
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
 *   socket     (-chardev only) a listening unix (path=) or TCP (host=,
 *              port=) socket serving one client at a time; output while
 *              no client is connected is dropped, a connected client that
 *              does not read makes writers wait (no data loss), input
 *              comes from the client.  See docs/virtio-console.md.
 *   chardev:ID (-serial only) the chardev -chardev created with id=ID.
 *
 * -chardev chardevs are registered by id (chardev_find()); a chardev has
 * at most one frontend (chardev_set_frontend() refuses a second).
 *
 * Threads: chardev_new(), chardev_new_from_opts(), chardev_find() and
 * chardev_set_frontend() run under the BQL after main_loop_init(); input
 * is read by fd handlers of the main loop and handed to the frontend in
 * the main-loop thread.  chardev_write() and chardev_accept_input() may be
 * called from any thread.  Each chardev has its own output lock, a leaf:
 * no other lock is taken while holding it, so a frontend may call
 * chardev_write() with or without its own lock (it should not, because a
 * slow stdout may block the write).
 *
 * Chardevs live until the process exits; chardev_cleanup_all() (run from
 * atexit; the fatal-signal handlers restore the terminal themselves)
 * restores the terminal and removes the unix sockets weft created.
 */
#ifndef SYSTEM_CHARDEV_H
#define SYSTEM_CHARDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util/error.h"

typedef struct Chardev Chardev;

/* BQL, after main_loop_init().  "chardev:ID" returns the registered
 * chardev ID (no new one is made). */
Chardev *chardev_new(const char *label, const char *spec, Error **errp);
/* -chardev BACKEND,id=ID[,...]: creates and registers chardev ID.  BQL,
 * after main_loop_init(). */
Chardev *chardev_new_from_opts(const char *opts, Error **errp);
/* The chardev registered as id, or NULL.  BQL. */
Chardev *chardev_find(const char *id);
const char *chardev_label(const Chardev *chr);
/* -chardev help: the backends and their parameters. */
void chardev_print_help(FILE *f);

/* Input: can_read returns how many bytes the frontend accepts now;
 * receive delivers at most that many.  Both run in the main-loop thread.
 * When can_read said 0, the frontend calls chardev_accept_input() once it
 * can take more; until then input stays queued (in the chardev, then in
 * the host's pipe or tty buffer), never dropped.  Returns false, and
 * changes nothing, if chr already has a frontend.  BQL. */
bool chardev_set_frontend(Chardev *chr, size_t (*can_read)(void *opaque),
                          void (*receive)(void *opaque, const uint8_t *buf,
                                          size_t len),
                          void *opaque);
/* Detaches the frontend (unplug): no callback runs once this returns;
 * input not delivered yet stays for the next frontend.  BQL, in the
 * main-loop thread. */
void chardev_remove_frontend(Chardev *chr);
/* Any thread, any lock held, never blocks. */
void chardev_accept_input(Chardev *chr);

/* Output: any thread (a vCPU in an MMIO handler).  Writes every byte, or
 * drops them if the backend is gone, (pty) nobody reads it or (socket) no
 * client is connected; stdio, file and a connected socket client wait
 * for a slow consumer as QEMU does. */
void chardev_write(Chardev *chr, const uint8_t *buf, size_t len);

/* Restores the terminal and removes the unix sockets of socket
 * chardevs.  Idempotent; also run at exit. */
void chardev_cleanup_all(void);

#endif
