/* The QMP monitor: QEMU's JSON management protocol (greeting, capability
 * negotiation, commands, events) on unix and TCP stream sockets.  The
 * wire format, the commands and their errors are in docs/qmp.md.
 *
 * Threads: the server runs in the main loop.  Sockets are read and
 * commands run in the main thread; a command that touches the machine
 * takes the BQL for its duration.  Events may come from any thread (the
 * object finalize context sends DEVICE_DELETED, run-state changes come
 * from the main thread): they are queued under the server's lock and
 * written without blocking.
 */
#ifndef SYSTEM_MONITOR_QMP_H
#define SYSTEM_MONITOR_QMP_H

#include <stdbool.h>
#include <stdint.h>

#include "util/error.h"

/* -qmp SPEC: "unix:PATH,server=on[,wait=on|off]" or
 * "tcp:HOST:PORT,server=on[,wait=on|off]".  As in QEMU, wait defaults to
 * on: the call returns only once a first client has connected.  A unix
 * PATH that is a stale socket is replaced; any other existing file is an
 * error.  The first call installs the event hooks.  BQL, main thread,
 * after main_loop_init(), before the machine runs. */
bool qmp_server_add(const char *spec, Error **errp);

/* Main thread, after the main loop has ended: writes what is still
 * queued for each client (waiting at most about a second in all), then
 * closes every connection and listener and removes the unix socket
 * files.  Events sent afterwards go nowhere. */
void qmp_cleanup(void);

/* ---- query-pci.  The PCI core registers a walker per host bridge; the
 * command calls each, under the BQL, and the walker calls visit once for
 * every function present.  Strings are borrowed for the call. */
typedef struct QmpPciRegion {
    int bar;                    /* 0..5, 6 for the expansion ROM */
    bool io;                    /* I/O space, else memory */
    bool mem64;
    bool prefetch;
    uint64_t address;
    uint64_t size;
} QmpPciRegion;

typedef struct QmpPciDevice {
    unsigned bus, slot, function;
    uint16_t class_code;        /* base class << 8 | sub class */
    const char *class_desc;     /* or NULL */
    uint16_t vendor_id, device_id;
    uint16_t subsystem_vendor_id, subsystem_id;
    int irq;                    /* -1: none */
    unsigned irq_pin;           /* 0: none, 1..4: INTA..INTD */
    const char *qdev_id;        /* the device's id, or NULL */
    const QmpPciRegion *regions;
    unsigned nr_regions;
} QmpPciDevice;

typedef void QmpPciVisitFn(const QmpPciDevice *dev, void *ctx);
typedef void QmpPciWalkFn(QmpPciVisitFn *visit, void *ctx);
/* BQL; walkers stay registered for the life of the process. */
void qmp_register_pci_walker(QmpPciWalkFn *walk);

#endif
