/* virtio-rng (entropy device, virtio 1.2 §5.4): one request queue of
 * device-writable buffers, filled from the host's getrandom(2).
 *
 * getrandom may block until the host pool is initialised, so it runs in
 * the worker pool; the completion writes the bytes and returns the buffer
 * in the device's event loop.  Every request is counted in flight by the
 * core, which is what unplug's drain waits for.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/random.h>

#include "hw/core/props.h"
#include "hw/virtio/virtio.h"
#include "util/log.h"

#define TYPE_VIRTIO_RNG "virtio-rng-device"
#define RNG_QUEUE_SIZE 64
/* Bytes served per request at most: the driver asks again for more. */
#define RNG_MAX_REQUEST (64 * 1024)

typedef struct VirtIORNG {
    VirtIODevice parent;
    VirtQueue *vq;              /* set at realize */
} VirtIORNG;

/* Owned by the worker, then by the completion, which frees it. */
typedef struct RngRequest {
    VirtIODevice *vdev;
    VirtQueue *vq;
    VirtQueueElement *elem;
    size_t len;
    uint8_t buf[];
} RngRequest;

/* Worker thread: no device state touched. */
static int rng_work(void *opaque)
{
    RngRequest *req = opaque;
    size_t got = 0;

    while (got < req->len) {
        ssize_t n = getrandom(req->buf + got, req->len - got, 0);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return -errno;
        }
        got += n;
    }
    return 0;
}

/* The device's loop. */
static void rng_done(void *opaque, int result)
{
    RngRequest *req = opaque;
    uint64_t written = 0;

    if (result < 0) {
        log_mask_printf(LOG_UNIMP, "virtio-rng: getrandom failed (%d)\n",
                        result);
    } else if (!virtqueue_elem_write(req->vdev, req->elem, 0, req->buf,
                                     req->len, &written)) {
        /* The buffer stopped being RAM, or the queue was reset. */
        log_mask_printf(LOG_GUEST_ERROR, "virtio-rng: request buffer "
                        "unusable; completed with %llu bytes\n",
                        (unsigned long long)written);
    }
    virtqueue_push(req->vq, req->elem, (uint32_t)written);
    virtqueue_notify(req->vq);
    free(req);
}

static void rng_handle_queue(VirtIODevice *vdev, VirtQueue *vq)
{
    VirtQueueElement *elem;

    while ((elem = virtqueue_pop(vq))) {
        RngRequest *req;
        size_t len;

        if (elem->out_num || !elem->in_num) {
            virtio_error(vdev, "request with device-readable or no "
                         "device-writable buffers");
            virtqueue_drop(vq, elem);
            return;
        }
        len = elem->in_len < RNG_MAX_REQUEST ? elem->in_len
                                              : RNG_MAX_REQUEST;
        req = malloc(sizeof(*req) + len);
        if (!req) {
            abort();
        }
        req->vdev = vdev;
        req->vq = vq;
        req->elem = elem;
        req->len = len;
        thread_pool_submit(vdev->loop, rng_work, rng_done, req);
    }
}

static bool rng_realize(VirtIODevice *vdev, Error **errp)
{
    VirtIORNG *rng = container_of(vdev, VirtIORNG, parent);

    rng->vq = virtio_add_queue(vdev, RNG_QUEUE_SIZE, rng_handle_queue, errp);
    return rng->vq != NULL;
}

static void rng_class_init(DeviceClass *dc, const void *data)
{
    VirtioDeviceClass *vdc = (VirtioDeviceClass *)dc;

    vdc->device_id = VIRTIO_ID_RNG;
    vdc->config_size = 0;
    vdc->realize = rng_realize;
}

static const DeviceTypeInfo virtio_rng_info = {
    .name = TYPE_VIRTIO_RNG,
    .parent = TYPE_VIRTIO_DEVICE,
    .desc = "virtio entropy source (host getrandom)",
    .instance_size = sizeof(VirtIORNG),
    .class_init = rng_class_init,
};
DEVICE_TYPE_REGISTER(virtio_rng_info)
