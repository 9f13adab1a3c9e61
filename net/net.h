/* Network backends (-netdev) and the glue between a backend and the NIC
 * that uses it.  docs/virtio-net.md has the whole picture.
 *
 * A backend (NetBackend) is created from a -netdev option string, named
 * by its id, and used by at most one NIC (the frontend), which attaches
 * to it at realize.  Ethernet frames flow both ways without the virtio
 * header: the frontend hands the backend what the guest transmits
 * (net_send) and the backend hands the frontend what arrives
 * (net_backend_deliver -> NetFrontendOps.receive).
 *
 * Threads: a backend runs in the event loop of its frontend (the main
 * loop, or the NIC's iothread), chosen at attach.  From the attach on,
 * every backend callback, every frontend callback and every call below
 * that says "loop thread" runs in that loop's thread, so neither side
 * needs a lock for the packet path.  Creating, finding and attaching
 * backends runs under the BQL (command line, realize).
 *
 * Back-pressure: when the frontend has no room for a frame (no guest
 * buffers), the net layer queues it, up to NET_QUEUE_MAX frames, and
 * drops beyond that; a backend that can wait (tap) stops reading until
 * the frontend calls net_rx_ready() and the queue has emptied
 * (NetBackendOps.rx_resume).  Slirp cannot wait: TCP retransmits what was
 * dropped.  In the other direction a backend that cannot take a frame now
 * keeps it and tells the frontend to pause its transmit queue until
 * net_backend_tx_ready().
 *
 * References: the backend list owns every backend for the life of the
 * process; a frontend borrows its backend from attach to detach.
 */
#ifndef NET_NET_H
#define NET_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/queue.h>

#include "hw/core/props.h"
#include "system/event-loop.h"
#include "util/error.h"
#include "util/keyval.h"

/* Largest Ethernet frame accepted in either direction (without the
 * virtio header): a 64 KiB IP packet plus its Ethernet header. */
#define NET_MAX_FRAME (65535 + 14)
/* Frames queued toward a frontend that has no room, at most. */
#define NET_QUEUE_MAX 1024

typedef struct NetBackend NetBackend;

/* The NIC's side; every callback runs in the loop thread. */
typedef struct NetFrontendOps {
    /* Takes one frame.  False: no room now, the net layer keeps the frame
     * and retries at the next net_rx_ready(). */
    bool (*receive)(void *opaque, const uint8_t *frame, size_t len);
    /* The backend can take frames again after net_send() returned
     * false. */
    void (*tx_ready)(void *opaque);
    /* At process exit, just before the backend is detached: release
     * what the frontend holds in the loop (its BHs and timers must be
     * gone before an iothread's loop is freed) and ignore the queues
     * from now on. */
    void (*exit)(void *opaque);
} NetFrontendOps;

typedef struct NetBackendOps {
    const char *type;
    /* The frames this backend delivers carry correct checksums (slirp
     * builds every packet itself), so a NIC may tell the guest so. */
    bool rx_csum_valid;
    /* Loop thread: serve the loop given at attach / stop serving it (no
     * callback into the frontend after stop returns). */
    void (*start)(NetBackend *nb);
    void (*stop)(NetBackend *nb);
    /* Loop thread: one frame from the guest.  False: the backend kept a
     * copy of the frame and will call net_backend_tx_ready() when it can
     * take more. */
    bool (*send)(NetBackend *nb, const uint8_t *frame, size_t len);
    /* Loop thread: the queue toward the frontend has emptied; a backend
     * that paused its input may resume it.  NULL: nothing to do. */
    void (*rx_resume)(NetBackend *nb);
} NetBackendOps;

typedef struct NetPacket {
    STAILQ_ENTRY(NetPacket) next;
    size_t len;
    uint8_t data[];
} NetPacket;

struct NetBackend {
    const NetBackendOps *ops;
    char *id;
    TAILQ_ENTRY(NetBackend) link;   /* the backend list (BQL) */

    /* Set under the BQL at attach, cleared by detach in the loop thread;
     * atomic accesses only. */
    bool in_use;

    /* Constant from attach to detach. */
    EventLoop *loop;
    const NetFrontendOps *fe;
    void *fe_opaque;

    /* Loop thread only. */
    STAILQ_HEAD(, NetPacket) queue; /* frames the frontend had no room for */
    unsigned queued;
    bool rx_paused;                 /* deliver said "stop"; resume owed */
    bool started;
    uint64_t rx_frames, tx_frames, rx_dropped;
};

/* ---- command line (BQL) */

/* -netdev TYPE,id=ID,...: creates the backend.  Errors (unknown type,
 * missing or duplicate id, bad parameter, no permission, port in use)
 * come back as one line without the option itself. */
bool net_netdev_add(const char *opts, Error **errp);
/* "-netdev help": prints the backend types and returns true. */
bool net_netdev_opts_help(const char *opts, FILE *f);
/* After the devices are added: warns about backends no NIC uses. */
void net_check_peers(void);
/* At exit, in the main thread without the BQL, after the vCPUs stopped
 * and before the iothreads are destroyed: detaches every backend in its
 * loop (NetFrontendOps.exit first) and waits until that is done. */
void net_exit(void);

/* ---- for backends (net/slirp.c, net/tap.c) */

/* Registers a backend filled in by its creator (ops, embedded in a
 * bigger struct); takes a copy of id. */
void net_backend_register(NetBackend *nb, const NetBackendOps *ops,
                          const char *id);
/* Loop thread: hands a received frame to the frontend, or queues it.
 * Returns false when the backend should stop producing until rx_resume
 * (the frame itself was queued or, past NET_QUEUE_MAX, dropped). */
bool net_backend_deliver(NetBackend *nb, const uint8_t *frame, size_t len);
/* Loop thread: a backend that refused a frame in send can take more. */
void net_backend_tx_ready(NetBackend *nb);
/* The keys of an option string that no backend knows; for the message. */
bool net_check_keys(const KeyVal *kv, const char *const *known,
                    Error **errp);

/* ---- for NICs */

/* BQL.  NULL if there is no backend of that id. */
NetBackend *net_backend_find(const char *id);
/* BQL, at realize: fails if the backend is already used.  The backend
 * starts serving `loop` (from that loop's thread, soon). */
bool net_backend_attach(NetBackend *nb, const NetFrontendOps *fe,
                        void *opaque, EventLoop *loop, Error **errp);
/* Loop thread: stops the backend, drops the queued frames; the frontend
 * is not called again.  The backend may be attached again afterwards. */
void net_backend_detach(NetBackend *nb);
/* Loop thread: a frame from the guest.  False: pause transmitting until
 * NetFrontendOps.tx_ready (the frame itself was taken). */
bool net_send(NetBackend *nb, const uint8_t *frame, size_t len);
/* Loop thread: the frontend has room again (the guest added buffers). */
void net_rx_ready(NetBackend *nb);

/* ---- MAC address property (any NIC) */

typedef struct MACAddr {
    uint8_t a[6];
} MACAddr;

/* "52:54:00:12:34:56" (or with '-'); unicast only.  All zeroes means
 * unset: net_macaddr_default() then picks the next default address. */
extern const PropertyInfo net_prop_info_macaddr;
#define DEFINE_PROP_MACADDR(n, st, f)                                      \
    { .name = (n), .info = &net_prop_info_macaddr,                         \
      .offset = PROP_OFFSET(MACAddr, st, f) }

/* BQL: if *mac is unset, sets it to 52:54:00:12:34:56 + the number of
 * NICs that took a default before (QEMU's sequence). */
void net_macaddr_default(MACAddr *mac);

#endif
