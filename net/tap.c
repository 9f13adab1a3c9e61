/* -netdev tap,id=ID[,ifname=NAME][,script=no][,downscript=no]: the guest's
 * frames go to and come from a host tap interface (/dev/net/tun, IFF_TAP |
 * IFF_NO_PI, no virtio header: the NIC finishes checksums itself, so the
 * kernel gets plain frames).  weft runs no scripts: the interface is
 * configured by whoever runs weft (ip link set NAME up, addresses,
 * bridges).  Creating an interface needs CAP_NET_ADMIN; attaching to a
 * persistent one the caller owns does not.
 *
 * Once attached, everything runs in the NIC's loop thread: reading stops
 * while the NIC has no room (the net layer's queue is not empty) and
 * resumes at rx_resume; a write that would block keeps the frame and
 * pauses the NIC's transmit queue until the fd is writable again.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "net/net-backends.h"
#include "net/net.h"
#include "util/log.h"

/* One read more than the largest frame tells a too-long frame apart. */
#define TAP_BUF_SIZE (NET_MAX_FRAME + 1)
/* Frames read per handler call, so other handlers get their turn. */
#define TAP_READ_BURST 64

typedef struct NetTap {
    NetBackend nb;
    int fd;                     /* non-blocking; open for the process */
    char ifname[IFNAMSIZ];

    /* The loop thread only. */
    bool reading;               /* read handler wanted */
    bool broken;                /* the fd failed: no more handlers */
    size_t tx_len;              /* bytes of a frame waiting in tx_buf */
    uint8_t *rx_buf, *tx_buf;   /* TAP_BUF_SIZE each */
} NetTap;

static void tap_update_handlers(NetTap *t);

static void tap_fail(NetTap *t, const char *what)
{
    log_mask_printf(LOG_UNIMP, "netdev %s: %s on tap %s: %s; stopped\n",
                    t->nb.id, what, t->ifname, strerror(errno));
    t->broken = true;
    t->tx_len = 0;
}

static void tap_read(void *opaque)
{
    NetTap *t = opaque;

    for (int i = 0; i < TAP_READ_BURST && t->reading && !t->broken; i++) {
        ssize_t n = read(t->fd, t->rx_buf, TAP_BUF_SIZE);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && errno == EAGAIN) {
            break;
        }
        if (n <= 0) {
            /* The interface went away (EBADFD, EIO): level-triggered
             * epoll would call us forever. */
            tap_fail(t, "read failed");
            break;
        }
        if (n > NET_MAX_FRAME) {
            continue;           /* too long for any NIC: drop it */
        }
        if (!net_backend_deliver(&t->nb, t->rx_buf, n)) {
            t->reading = false; /* until rx_resume */
        }
    }
    tap_update_handlers(t);
}

static void tap_writable(void *opaque)
{
    NetTap *t = opaque;
    ssize_t n;

    do {
        n = write(t->fd, t->tx_buf, t->tx_len);
    } while (n < 0 && errno == EINTR);
    if (n < 0 && errno == EAGAIN) {
        return;
    }
    t->tx_len = 0;              /* written, or dropped on an error */
    tap_update_handlers(t);
    net_backend_tx_ready(&t->nb);
}

static void tap_update_handlers(NetTap *t)
{
    bool rd = t->reading && !t->broken && t->nb.started;
    bool wr = t->tx_len && !t->broken && t->nb.started;

    event_loop_set_fd_handler(t->nb.loop, t->fd, rd ? tap_read : NULL,
                              wr ? tap_writable : NULL, t);
}

static void tap_start(NetBackend *nb)
{
    NetTap *t = container_of(nb, NetTap, nb);

    t->reading = true;
    tap_update_handlers(t);
}

static void tap_stop(NetBackend *nb)
{
    NetTap *t = container_of(nb, NetTap, nb);

    event_loop_set_fd_handler(nb->loop, t->fd, NULL, NULL, NULL);
    t->reading = false;
    t->tx_len = 0;
}

static bool tap_send(NetBackend *nb, const uint8_t *frame, size_t len)
{
    NetTap *t = container_of(nb, NetTap, nb);
    ssize_t n;

    if (t->broken) {
        return true;
    }
    do {
        n = write(t->fd, frame, len);
    } while (n < 0 && errno == EINTR);
    if (n >= 0 || errno != EAGAIN) {
        /* Sent, or dropped: EIO while the interface is down is a cable
         * pulled out, not a reason to stop. */
        return true;
    }
    memcpy(t->tx_buf, frame, len);
    t->tx_len = len;
    tap_update_handlers(t);
    return false;
}

static void tap_rx_resume(NetBackend *nb)
{
    NetTap *t = container_of(nb, NetTap, nb);

    t->reading = true;
    tap_update_handlers(t);
}

static const NetBackendOps tap_ops = {
    .type = "tap",
    .rx_csum_valid = false,
    .start = tap_start,
    .stop = tap_stop,
    .send = tap_send,
    .rx_resume = tap_rx_resume,
};

static bool check_script(const KeyVal *kv, const char *key, Error **errp)
{
    const char *v = keyval_get(kv, key);

    if (v && *v && strcmp(v, "no")) {
        error_setg(errp, "%s=%s: weft runs no interface scripts (use %s=no "
                   "and configure the interface yourself)", key, v, key);
        return false;
    }
    return true;
}

static int tap_open(const char *ifname, char *name_out, Error **errp)
{
    struct ifreq ifr = { 0 };
    int fd;

    fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        error_setg_errno(errp, errno, "cannot open /dev/net/tun");
        return -1;
    }
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    if (ifname) {
        memcpy(ifr.ifr_name, ifname, strlen(ifname));
    }
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        error_setg_errno(errp, errno, "cannot create or attach tap "
                         "interface '%s'", ifname ? ifname : "tap%d");
        close(fd);
        return -1;
    }
    memcpy(name_out, ifr.ifr_name, IFNAMSIZ);
    name_out[IFNAMSIZ - 1] = 0;
    return fd;
}

bool net_tap_create(const KeyVal *kv, const char *id, Error **errp)
{
    static const char *const known[] = {
        "ifname", "script", "downscript", NULL
    };
    const char *ifname = keyval_get(kv, "ifname");
    NetTap *t;

    if (!net_check_keys(kv, known, errp) ||
        !check_script(kv, "script", errp) ||
        !check_script(kv, "downscript", errp)) {
        return false;
    }
    if (ifname && (!*ifname || strlen(ifname) >= IFNAMSIZ ||
                   strchr(ifname, '/'))) {
        error_setg(errp, "ifname=%s: not a valid interface name (1 to %d "
                   "characters)", ifname, IFNAMSIZ - 1);
        return false;
    }
    t = calloc(1, sizeof(*t));
    if (!t) {
        abort();
    }
    t->fd = tap_open(ifname, t->ifname, errp);
    if (t->fd < 0) {
        free(t);
        return false;
    }
    t->rx_buf = malloc(TAP_BUF_SIZE);
    t->tx_buf = malloc(TAP_BUF_SIZE);
    if (!t->rx_buf || !t->tx_buf) {
        abort();
    }
    net_backend_register(&t->nb, &tap_ops, id);
    return true;
}
