/* virtio-console (virtio 1.2 §5.3): one console port, without
 * VIRTIO_CONSOLE_F_MULTIPORT, so two queues: receiveq0 (device-writable
 * buffers the device fills with input from the chardev) and transmitq0
 * (device-readable buffers whose bytes go to the chardev).  Linux binds
 * it to /dev/hvc0.
 *
 * Threads and ownership:
 *  - transmitq0's handler runs in the device's event loop; it copies the
 *    buffers in chunks to chardev_write(), which waits for a slow
 *    consumer (stdio, file, a socket client), as the UART does.
 *  - Input runs in the main-loop thread: the chardev asks can_read(),
 *    which pops one receive buffer and keeps it in rx_elem, then calls
 *    receive(), which fills it and hands it back at once (a console wants
 *    its bytes now, not when a page is full).  With no buffer, can_read()
 *    says 0 and the chardev stops reading its fd, so the input waits in
 *    the host's buffers (back-pressure, nothing dropped); receiveq0's
 *    handler, run when the driver adds buffers, resumes it with
 *    chardev_accept_input().  rx_elem and rx_closed belong to the
 *    main-loop thread; no lock of our own is needed.
 *  - A device reset leaves a held rx_elem stale (old queue generation):
 *    the next can_read() drops it and pops afresh.  Unplug's drain waits
 *    for every popped element, so drain releases rx_elem in the main loop
 *    first (console_drain) and unrealize detaches the frontend.
 */
#include <stdlib.h>
#include <string.h>

#include "hw/core/props.h"
#include "hw/virtio/virtio.h"
#include "system/chardev.h"
#include "util/log.h"

#define TYPE_VIRTIO_CONSOLE "virtio-console-device"
#define CONSOLE_QUEUE_SIZE 128
/* Bytes copied per step from a transmit buffer to the chardev. */
#define CONSOLE_TX_CHUNK 4096
/* Offered to the chardev per receive buffer at most. */
#define CONSOLE_RX_MAX 65536

/* Config space (§5.3.4): cols, rows (le16, with F_SIZE), max_nr_ports
 * (le32, with F_MULTIPORT), emerg_wr (le32, with F_EMERG_WRITE).  None of
 * the features is offered; the fields read as a 1-port console of
 * unknown size. */
#define CONSOLE_CONFIG_SIZE 12
#define CONSOLE_CONFIG_MAX_NR_PORTS 4

typedef struct VirtIOConsole {
    VirtIODevice parent;
    char *chardev_id;           /* property; NULL: output discarded */
    Chardev *chr;               /* our frontend, realize to unrealize */
    VirtQueue *rx_vq, *tx_vq;   /* set at realize */

    /* Main-loop thread only. */
    VirtQueueElement *rx_elem;  /* popped, not yet filled; ours */
    bool rx_closed;             /* draining: take no more buffers */
} VirtIOConsole;

#define VIRTIO_CONSOLE(vdev) container_of((vdev), VirtIOConsole, parent)

/* The core's drain, which console_drain chains to. */
static DeviceDrain *virtio_parent_drain;

/* ---- transmitq0: guest to chardev */

static void console_send(VirtIOConsole *con, const VirtQueueElement *elem)
{
    uint8_t buf[CONSOLE_TX_CHUNK];

    for (uint64_t off = 0; off < elem->out_len; off += sizeof(buf)) {
        uint64_t n = MIN(sizeof(buf), elem->out_len - off), done;
        bool ok = virtqueue_elem_read(&con->parent, elem, off, buf, n,
                                      &done);

        chardev_write(con->chr, buf, done);
        if (!ok) {
            /* The buffer stopped being RAM, or the queue was reset. */
            log_mask_printf(LOG_GUEST_ERROR, "%s: transmit buffer "
                            "unusable after %llu bytes\n", TYPE_VIRTIO_CONSOLE,
                            (unsigned long long)(off + done));
            return;
        }
    }
}

static void console_handle_tx(VirtIODevice *vdev, VirtQueue *vq)
{
    VirtIOConsole *con = VIRTIO_CONSOLE(vdev);
    VirtQueueElement *elem;

    while ((elem = virtqueue_pop(vq))) {
        if (elem->in_num) {
            virtio_error(vdev, "transmit buffer with a device-writable "
                         "part");
            virtqueue_drop(vq, elem);
            return;
        }
        console_send(con, elem);
        virtqueue_push(vq, elem, 0);
    }
    virtqueue_notify(vq);
}

/* ---- receiveq0: chardev to guest (main-loop thread) */

/* Whether the held buffer belongs to a queue the driver has reset since,
 * or to a device that needs a reset. */
static bool console_rx_elem_stale(VirtIOConsole *con)
{
    VirtIODevice *vdev = &con->parent;
    bool stale;

    pthread_mutex_lock(&vdev->lock);
    stale = con->rx_elem->generation != con->rx_vq->generation ||
            vdev->broken;
    pthread_mutex_unlock(&vdev->lock);
    return stale;
}

static VirtQueueElement *console_pop_rx(VirtIOConsole *con)
{
    VirtQueueElement *elem = virtqueue_pop(con->rx_vq);

    if (elem && (elem->out_num || !elem->in_num)) {
        virtio_error(&con->parent, "receive buffer with a device-readable "
                     "part or none device-writable");
        virtqueue_drop(con->rx_vq, elem);
        return NULL;
    }
    return elem;
}

static size_t console_can_read(void *opaque)
{
    VirtIOConsole *con = opaque;

    if (con->rx_closed) {
        return 0;
    }
    if (con->rx_elem && console_rx_elem_stale(con)) {
        virtqueue_drop(con->rx_vq, con->rx_elem);
        con->rx_elem = NULL;
    }
    if (!con->rx_elem) {
        /* NULL: no buffer (an empty ring asks the driver to notify when
         * it adds one; the handler then resumes the chardev). */
        con->rx_elem = console_pop_rx(con);
    }
    return con->rx_elem ? MIN(con->rx_elem->in_len, CONSOLE_RX_MAX) : 0;
}

static void console_receive(void *opaque, const uint8_t *buf, size_t len)
{
    VirtIOConsole *con = opaque;
    VirtQueueElement *elem = con->rx_elem;
    uint64_t done = 0;

    if (!elem) {
        return;                 /* can_read said 0: nothing is sent */
    }
    con->rx_elem = NULL;
    if (!virtqueue_elem_write(&con->parent, elem, 0, buf, len, &done)) {
        /* A reset or a buffer that stopped being RAM: the driver gave
         * the buffer up, and the bytes with it. */
        log_mask_printf(LOG_GUEST_ERROR, "%s: receive buffer unusable; "
                        "%zu bytes of input lost\n", TYPE_VIRTIO_CONSOLE,
                        len - (size_t)done);
    }
    virtqueue_push(con->rx_vq, elem, (uint32_t)done);
    virtqueue_notify(con->rx_vq);
}

/* The driver added receive buffers: the chardev may read again. */
static void console_handle_rx(VirtIODevice *vdev, VirtQueue *vq)
{
    chardev_accept_input(VIRTIO_CONSOLE(vdev)->chr);
}

/* ---- device */

static void console_get_config(VirtIODevice *vdev, uint8_t *config)
{
    memset(config, 0, CONSOLE_CONFIG_SIZE);
    config[CONSOLE_CONFIG_MAX_NR_PORTS] = 1;
}

static bool console_realize(VirtIODevice *vdev, Error **errp)
{
    VirtIOConsole *con = VIRTIO_CONSOLE(vdev);

    con->rx_vq = virtio_add_queue(vdev, CONSOLE_QUEUE_SIZE,
                                  console_handle_rx, errp);
    con->tx_vq = con->rx_vq ? virtio_add_queue(vdev, CONSOLE_QUEUE_SIZE,
                                               console_handle_tx, errp)
                            : NULL;
    if (!con->tx_vq) {
        return false;
    }
    if (!con->chardev_id) {
        return true;
    }
    con->chr = chardev_find(con->chardev_id);
    if (!con->chr) {
        error_setg(errp, "chardev '%s' not found (create it with -chardev "
                   "BACKEND,id=%s)", con->chardev_id, con->chardev_id);
        return false;
    }
    if (!chardev_set_frontend(con->chr, console_can_read, console_receive,
                              con)) {
        error_setg(errp, "chardev '%s' is already in use",
                   con->chardev_id);
        con->chr = NULL;
        return false;
    }
    return true;
}

/* BQL, main thread, after drain: no handler runs any more. */
static void console_unrealize(VirtIODevice *vdev)
{
    VirtIOConsole *con = VIRTIO_CONSOLE(vdev);

    chardev_remove_frontend(con->chr);
    con->chr = NULL;
}

/* Main loop: gives the held receive buffer back so that drain, which
 * waits for every popped element, can finish. */
static void console_release_rx(void *opaque)
{
    VirtIOConsole *con = opaque;

    con->rx_closed = true;
    if (con->rx_elem) {
        virtqueue_drop(con->rx_vq, con->rx_elem);
        con->rx_elem = NULL;
    }
    /* The reference console_drain took for us. */
    device_unref(&con->parent.parent);
}

static bool console_drain(Device *dev)
{
    VirtIOConsole *con = VIRTIO_CONSOLE(VIRTIO_DEVICE(dev));

    /* Owned by console_release_rx, which drops it. */
    device_ref(dev);
    event_loop_run_later(main_loop(), console_release_rx, con);
    return virtio_parent_drain(dev);
}

static const Property console_props[] = {
    DEFINE_PROP_STRING("chardev", VirtIOConsole, chardev_id, NULL),
    PROP_END
};

static void console_class_init(DeviceClass *dc, const void *data)
{
    VirtioDeviceClass *vdc = (VirtioDeviceClass *)dc;

    vdc->device_id = VIRTIO_ID_CONSOLE;
    vdc->config_size = CONSOLE_CONFIG_SIZE;
    vdc->realize = console_realize;
    vdc->unrealize = console_unrealize;
    vdc->get_config = console_get_config;
    virtio_parent_drain = dc->drain;
    dc->drain = console_drain;
}

static const DeviceTypeInfo virtio_console_info = {
    .name = TYPE_VIRTIO_CONSOLE,
    .parent = TYPE_VIRTIO_DEVICE,
    .desc = "virtio console, one port (/dev/hvc0) on chardev=ID",
    .instance_size = sizeof(VirtIOConsole),
    .props = console_props,
    .class_init = console_class_init,
};
DEVICE_TYPE_REGISTER(virtio_console_info)
