/* Drives: the named block backends of the command line.
 *
 *   -drive file=X[,format=raw][,if=virtio|none][,id=ID][,readonly=on]
 *          [,cache=none|writeback][,aio=threads|io_uring]
 *          [,discard=unmap|ignore][,serial=S][,iothread=NAME]
 *   -blockdev driver=file,node-name=N,filename=X[,read-only=on]
 *             [,cache.direct=on][,aio=...][,discard=...]
 *   -blockdev driver=raw,node-name=N,file=FILE-NODE[,read-only=on]
 *
 * -drive ids and -blockdev node names share one namespace.  A device
 * names its drive with drive=ID and claims it at realize: one device per
 * drive, released at unrealize.  A raw node claims its file node for its
 * whole life.
 *
 * Lifetimes, as in QEMU:
 *  - a -drive (an implicit backend) is deleted when the device that
 *    claimed it releases it: the id disappears and the file is closed
 *    by the time unrealize returns;
 *  - a -blockdev / QMP blockdev-add node stays when its device goes (it
 *    can be plugged again) until blockdev_del(), which refuses a node in
 *    use and closes the file before it returns.
 *
 * Threads: everything here runs under the BQL (command-line set-up,
 * QMP, device realize and unrealize, from whichever thread holds it),
 * drive_exit() aside.  The BlockBackend a drive holds is used from the
 * claiming device's event loop (block/block.h).
 *
 * References (counted in drive.c): the registry holds one on every named
 * drive; a user holds one between drive_claim() and drive_release(), so
 * the pointer and the BlockBackend stay valid for it in between.  The
 * last reference closes the BlockBackend.
 */
#ifndef BLOCK_DRIVE_H
#define BLOCK_DRIVE_H

#include <stdbool.h>

#include "block/block.h"
#include "util/error.h"

typedef struct Drive Drive;

/* Called by drive_exit() for the user of a claimed drive (-d stats). */
typedef void DriveExitHook(void *opaque);

/* -drive OPTS / -blockdev OPTS: opens the image.  Errors are one line,
 * without the option prefix (the caller adds "-drive OPTS: "). */
Drive *drive_add(const char *opts, Error **errp);
Drive *blockdev_add(const char *opts, Error **errp);
/* QMP blockdev-del: removes the -blockdev node node_name and closes its
 * file.  Fails (GenericError text, QEMU's where it has one) on an
 * unknown name, a -drive id (those go with their device), and a node in
 * use by a device or a raw node. */
bool blockdev_del(const char *node_name, Error **errp);

/* Creates a virtio-blk-device for every -drive if=virtio (in command-line
 * order), each on the next free virtio bus.  Call after the -device
 * options, as QEMU does.  The error names the -drive option. */
bool drive_create_devices(Error **errp);

/* The drive or node called id, or NULL. */
Drive *drive_find(const char *id);
const char *drive_get_id(const Drive *d);

/* Makes user (a device path, for messages) the only user of d, with a
 * reference.  Fails with "drive 'ID' is already in use by USER". */
bool drive_claim(Drive *d, const char *user, DriveExitHook *exit_hook,
                 void *opaque, Error **errp);
/* Drops the claim and its reference; the caller must have drained its
 * requests.  A -drive is deleted here (its file closed before the call
 * returns); d may be freed, do not use it afterwards. */
void drive_release(Drive *d);

BlockBackend *drive_get_blk(const Drive *d);
/* read-only=on on the drive or node (the file may still be writable: a
 * raw node over a writable file node), or a read-only backend. */
bool drive_is_read_only(const Drive *d);
/* serial= of the -drive, or NULL. */
const char *drive_get_serial(const Drive *d);
/* discard=ignore: discard requests succeed without deallocating. */
bool drive_discard_ignored(const Drive *d);

/* At exit, after the vCPUs stopped, without the BQL (it takes it for
 * the hooks): calls the users' exit hooks, then waits for the requests
 * in flight on every drive. */
void drive_exit(void);

#endif
