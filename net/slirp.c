/* -netdev user: the guest's network is libslirp's, a user-mode TCP/IP
 * stack that NATs the guest's connections onto host sockets and serves
 * DHCP and DNS (QEMU's defaults: network 10.0.2.0/24, host 10.0.2.2, DNS
 * 10.0.2.3, first DHCP address 10.0.2.15).  hostfwd rules listen on host
 * ports and forward to guest ports.
 *
 * libslirp is not thread-safe: after slirp_new() (main thread, BQL,
 * nothing running yet) every call into it and every callback from it
 * runs in the loop the backend was attached to.
 *
 * Polling: libslirp wants a poll(2)-style loop (fill the fd set, sleep,
 * report revents), while weft's loops are epoll-based.  One "run" does:
 * fill, poll(2) with a zero timeout, hand the revents to slirp, fill again
 * to learn what slirp waits for next; then it makes the loop watch
 * exactly those fds (read and/or write) and arms a timer for slirp's
 * timeout.  Any watched fd becoming ready, the timer, a frame from the
 * guest or slirp's notify callback schedules the next run (a bottom
 * half, so several events in one loop iteration cost one run).  Watching
 * only what slirp asks for matters: the loop is level-triggered, and slirp
 * stops reading a socket whose data the guest cannot take yet.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "config-host.h"
#include "net/net-backends.h"
#include "net/net.h"
#include "util/log.h"

#if CONFIG_SLIRP

#include <slirp/libslirp.h>

#define SLIRP_MAX_HOSTFWD 64

/* Bits of NetSlirp.watched[fd]: the handlers the loop has for fd. */
#define WATCH_READ  1
#define WATCH_WRITE 2

typedef struct NetSlirp NetSlirp;

/* A timer slirp asked for.  Slirp may create one in slirp_new(), before
 * the backend has a loop: the loop's Timer exists only while started. */
typedef struct SlirpTimerW {
    NetSlirp *s;
    SlirpTimerId id;            /* for slirp_handle_timer() ... */
    void *cb_opaque;
    SlirpTimerCb cb;            /* ... or this, from the older timer_new */
    Timer *timer;               /* while started */
    int64_t expire_ns;          /* armed deadline, -1 when not armed */
    LIST_ENTRY(SlirpTimerW) link;
} SlirpTimerW;

struct NetSlirp {
    NetBackend nb;
    Slirp *slirp;

    /* The loop thread only, once attached (the main thread before). */
    BH *run_bh;                 /* while started */
    Timer *poll_timer;          /* slirp's timeout; while started */
    struct pollfd *pfds;        /* the last fill */
    unsigned nfds, pfds_cap;
    uint8_t *watched;           /* WATCH_* per fd */
    uint8_t *want;              /* scratch of the same size */
    int watch_size;
    LIST_HEAD(, SlirpTimerW) timers;
    char *hostname;             /* borrowed by the SlirpConfig */
};

static void *xzalloc(size_t size)
{
    void *p = calloc(1, size);

    if (!p) {
        abort();
    }
    return p;
}

static void slirp_kick(NetSlirp *s)
{
    if (s->run_bh) {
        bh_schedule(s->run_bh);
    }
}

/* ------------------------------------------------------------------ */
/* Callbacks from libslirp */

static ssize_t cb_send_packet(const void *buf, size_t len, void *opaque)
{
    NetSlirp *s = opaque;

    /* A refused frame is queued or dropped by the net layer: slirp has
     * no way to wait, its TCP retransmits. */
    net_backend_deliver(&s->nb, buf, len);
    return len;
}

static void cb_guest_error(const char *msg, void *opaque)
{
    NetSlirp *s = opaque;

    log_mask_printf(LOG_GUEST_ERROR, "netdev %s: %s\n", s->nb.id, msg);
}

static int64_t cb_clock_get_ns(void *opaque)
{
    return clock_monotonic_ns();
}

static void slirp_timer_fire(void *opaque)
{
    SlirpTimerW *tw = opaque;

    tw->expire_ns = -1;
    if (tw->cb) {
        tw->cb(tw->cb_opaque);
    } else {
        slirp_handle_timer(tw->s->slirp, tw->id, tw->cb_opaque);
    }
    slirp_kick(tw->s);
}

static SlirpTimerW *timer_wrap_new(NetSlirp *s)
{
    SlirpTimerW *tw = xzalloc(sizeof(*tw));

    tw->s = s;
    tw->expire_ns = -1;
    if (s->nb.started) {
        tw->timer = timer_new(s->nb.loop, slirp_timer_fire, tw);
    }
    LIST_INSERT_HEAD(&s->timers, tw, link);
    return tw;
}

static void *cb_timer_new_opaque(SlirpTimerId id, void *cb_opaque,
                                 void *opaque)
{
    SlirpTimerW *tw = timer_wrap_new(opaque);

    tw->id = id;
    tw->cb_opaque = cb_opaque;
    return tw;
}

static void *cb_timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
    SlirpTimerW *tw = timer_wrap_new(opaque);

    tw->cb = cb;
    tw->cb_opaque = cb_opaque;
    return tw;
}

static void cb_timer_free(void *timer, void *opaque)
{
    SlirpTimerW *tw = timer;

    if (tw->timer) {
        timer_free(tw->timer);
    }
    LIST_REMOVE(tw, link);
    free(tw);
}

/* expire_time: ms on cb_clock_get_ns's clock. */
static void cb_timer_mod(void *timer, int64_t expire_time, void *opaque)
{
    SlirpTimerW *tw = timer;

    tw->expire_ns = expire_time * 1000000;
    if (tw->timer) {
        timer_mod_ns(tw->timer, tw->expire_ns);
    }
}

/* The fds to watch come from slirp_pollfds_fill(); this only matters
 * for an fd slirp is about to close: its handler goes first, so that the
 * number, once reused by somebody else, is not mistaken for ours. */
static void cb_register_poll_fd(int fd, void *opaque)
{
}

static void cb_unregister_poll_fd(int fd, void *opaque)
{
    NetSlirp *s = opaque;

    if (fd >= 0 && fd < s->watch_size && s->watched[fd]) {
        event_loop_set_fd_handler(s->nb.loop, fd, NULL, NULL, NULL);
        s->watched[fd] = 0;
    }
}

static void cb_notify(void *opaque)
{
    slirp_kick(opaque);
}

static const SlirpCb slirp_callbacks = {
    .send_packet = cb_send_packet,
    .guest_error = cb_guest_error,
    .clock_get_ns = cb_clock_get_ns,
    .timer_new = cb_timer_new,
    .timer_free = cb_timer_free,
    .timer_mod = cb_timer_mod,
    .register_poll_fd = cb_register_poll_fd,
    .unregister_poll_fd = cb_unregister_poll_fd,
    .notify = cb_notify,
    .timer_new_opaque = cb_timer_new_opaque,
};

/* ------------------------------------------------------------------ */
/* Polling */

static int cb_add_poll(int fd, int events, void *opaque)
{
    NetSlirp *s = opaque;
    short ev = 0;

    if (s->nfds == s->pfds_cap) {
        unsigned cap = s->pfds_cap ? 2 * s->pfds_cap : 16;
        struct pollfd *p = realloc(s->pfds, cap * sizeof(*p));

        if (!p) {
            abort();
        }
        s->pfds = p;
        s->pfds_cap = cap;
    }
    ev |= events & SLIRP_POLL_IN ? POLLIN : 0;
    ev |= events & SLIRP_POLL_OUT ? POLLOUT : 0;
    ev |= events & SLIRP_POLL_PRI ? POLLPRI : 0;
    s->pfds[s->nfds] = (struct pollfd){ .fd = fd, .events = ev };
    return s->nfds++;
}

static int cb_get_revents(int idx, void *opaque)
{
    NetSlirp *s = opaque;
    short r;
    int ev = 0;

    if (idx < 0 || (unsigned)idx >= s->nfds) {
        return 0;
    }
    r = s->pfds[idx].revents;
    ev |= r & POLLIN ? SLIRP_POLL_IN : 0;
    ev |= r & POLLOUT ? SLIRP_POLL_OUT : 0;
    ev |= r & POLLPRI ? SLIRP_POLL_PRI : 0;
    ev |= r & POLLERR ? SLIRP_POLL_ERR : 0;
    ev |= r & POLLHUP ? SLIRP_POLL_HUP : 0;
    return ev;
}

static void watch_grow(NetSlirp *s, int fd)
{
    int n = s->watch_size;

    if (fd < n) {
        return;
    }
    n = MAX(fd + 1, 2 * n);
    s->watched = realloc(s->watched, n);
    s->want = realloc(s->want, n);
    if (!s->watched || !s->want) {
        abort();
    }
    memset(s->watched + s->watch_size, 0, n - s->watch_size);
    memset(s->want + s->watch_size, 0, n - s->watch_size);
    s->watch_size = n;
}

static void slirp_fd_ready(void *opaque)
{
    slirp_kick(opaque);
}

/* Makes the loop watch exactly the fds of the last fill. */
static void watch_sync(NetSlirp *s)
{
    for (unsigned i = 0; i < s->nfds; i++) {
        int fd = s->pfds[i].fd;

        watch_grow(s, fd);
        s->want[fd] |= s->pfds[i].events & (POLLIN | POLLPRI) ? WATCH_READ
                                                               : 0;
        s->want[fd] |= s->pfds[i].events & POLLOUT ? WATCH_WRITE : 0;
    }
    for (int fd = 0; fd < s->watch_size; fd++) {
        uint8_t w = s->want[fd];

        if (w != s->watched[fd]) {
            event_loop_set_fd_handler(s->nb.loop, fd,
                                      w & WATCH_READ ? slirp_fd_ready : NULL,
                                      w & WATCH_WRITE ? slirp_fd_ready : NULL,
                                      s);
            s->watched[fd] = w;
        }
        s->want[fd] = 0;
    }
}

static uint32_t slirp_fill(NetSlirp *s)
{
    uint32_t timeout = UINT32_MAX;

    s->nfds = 0;
    slirp_pollfds_fill(s->slirp, &timeout, cb_add_poll, s);
    return timeout;
}

static void slirp_run(void *opaque)
{
    NetSlirp *s = opaque;
    uint32_t timeout;
    int n;

    slirp_fill(s);
    n = s->nfds ? poll(s->pfds, s->nfds, 0) : 0;
    slirp_pollfds_poll(s->slirp, n < 0, cb_get_revents, s);
    if (n < 0) {
        slirp_kick(s);          /* EINTR: look again soon */
    }
    timeout = slirp_fill(s);
    watch_sync(s);
    timer_mod_ns(s->poll_timer,
                 clock_monotonic_ns() + (int64_t)timeout * 1000000);
}

/* ------------------------------------------------------------------ */
/* NetBackendOps */

static void slirp_start(NetBackend *nb)
{
    NetSlirp *s = container_of(nb, NetSlirp, nb);
    SlirpTimerW *tw;

    s->run_bh = bh_new(nb->loop, slirp_run, s);
    s->poll_timer = timer_new(nb->loop, slirp_run, s);
    LIST_FOREACH(tw, &s->timers, link) {
        tw->timer = timer_new(nb->loop, slirp_timer_fire, tw);
        if (tw->expire_ns >= 0) {
            timer_mod_ns(tw->timer, tw->expire_ns);
        }
    }
    bh_schedule(s->run_bh);
}

static void slirp_stop(NetBackend *nb)
{
    NetSlirp *s = container_of(nb, NetSlirp, nb);
    SlirpTimerW *tw;

    for (int fd = 0; fd < s->watch_size; fd++) {
        if (s->watched[fd]) {
            event_loop_set_fd_handler(nb->loop, fd, NULL, NULL, NULL);
            s->watched[fd] = 0;
        }
    }
    LIST_FOREACH(tw, &s->timers, link) {
        if (tw->timer) {
            timer_free(tw->timer);
            tw->timer = NULL;
        }
    }
    timer_free(s->poll_timer);
    s->poll_timer = NULL;
    bh_delete(s->run_bh);
    s->run_bh = NULL;
}

static bool slirp_send(NetBackend *nb, const uint8_t *frame, size_t len)
{
    NetSlirp *s = container_of(nb, NetSlirp, nb);

    slirp_input(s->slirp, frame, (int)len);
    /* New connections, data for host sockets: look at the fds again. */
    slirp_kick(s);
    return true;
}

static const NetBackendOps slirp_ops = {
    .type = "user",
    .rx_csum_valid = true,
    .start = slirp_start,
    .stop = slirp_stop,
    .send = slirp_send,
};

/* ------------------------------------------------------------------ */
/* Options */

typedef struct SlirpOpts {
    struct in_addr net, mask, host, dns, dhcp;
    bool restricted, ipv6;
    const char *hostname;
    const char *hostfwd[SLIRP_MAX_HOSTFWD];
    unsigned nr_hostfwd;
} SlirpOpts;

static bool parse_addr(const char *key, const char *str,
                       struct in_addr *addr, Error **errp)
{
    if (!inet_aton(str, addr)) {
        error_setg(errp, "%s=%s: not an IPv4 address", key, str);
        return false;
    }
    return true;
}

/* net=A.B.C.D[/N or /MASK] */
static bool parse_net(const char *str, SlirpOpts *o, Error **errp)
{
    char buf[64];
    char *slash, *end;
    unsigned long bits;

    if (strlen(str) >= sizeof(buf)) {
        error_setg(errp, "net=%s: invalid network", str);
        return false;
    }
    strcpy(buf, str);
    slash = strchr(buf, '/');
    o->mask.s_addr = htonl(0xffffff00);
    if (slash) {
        *slash++ = 0;
        if (strchr(slash, '.')) {
            uint32_t m;

            if (!inet_aton(slash, &o->mask)) {
                error_setg(errp, "net=%s: invalid netmask", str);
                return false;
            }
            /* Contiguous ones, leaving room for host, DNS and DHCP. */
            m = ntohl(o->mask.s_addr);
            if ((m & (~m >> 1)) || __builtin_popcount(m) < 8 ||
                __builtin_popcount(m) > 30) {
                error_setg(errp, "net=%s: invalid netmask", str);
                return false;
            }
        } else {
            errno = 0;
            bits = strtoul(slash, &end, 10);
            if (!*slash || *end || errno || bits < 8 || bits > 30) {
                error_setg(errp, "net=%s: the prefix length must be 8 to "
                           "30", str);
                return false;
            }
            o->mask.s_addr = htonl(0xffffffffu << (32 - bits));
        }
    }
    if (!inet_aton(buf, &o->net)) {
        error_setg(errp, "net=%s: not an IPv4 network", str);
        return false;
    }
    if (o->net.s_addr & ~o->mask.s_addr) {
        error_setg(errp, "net=%s: host bits set in the network address",
                   str);
        return false;
    }
    return true;
}

/* An address of the guest network, neither its network nor broadcast. */
static bool addr_in_net(const SlirpOpts *o, struct in_addr a)
{
    uint32_t host = ntohl(a.s_addr) & ~ntohl(o->mask.s_addr);

    return (a.s_addr & o->mask.s_addr) == o->net.s_addr && host &&
           host != (~ntohl(o->mask.s_addr));
}

static struct in_addr net_plus(const SlirpOpts *o, uint32_t n)
{
    return (struct in_addr){ .s_addr = htonl(ntohl(o->net.s_addr) + n) };
}

static bool parse_onoff(const char *key, const char *str, bool *out,
                        Error **errp)
{
    Error *err = NULL;

    if (!parse_bool(str, out, &err)) {
        error_setg(errp, "%s=%s: %s", key, str, error_get_pretty(err));
        error_free(err);
        return false;
    }
    return true;
}

static bool parse_one(const KeyValPair *p, SlirpOpts *o, bool *have,
                      Error **errp)
{
    const char *k = p->key, *v = p->value;
    bool b;

    if (!strcmp(k, "net")) {
        return parse_net(v, o, errp);
    } else if (!strcmp(k, "host")) {
        have[0] = true;
        return parse_addr(k, v, &o->host, errp);
    } else if (!strcmp(k, "dns")) {
        have[1] = true;
        return parse_addr(k, v, &o->dns, errp);
    } else if (!strcmp(k, "dhcpstart")) {
        have[2] = true;
        return parse_addr(k, v, &o->dhcp, errp);
    } else if (!strcmp(k, "restrict")) {
        return parse_onoff(k, v, &o->restricted, errp);
    } else if (!strcmp(k, "ipv6")) {
        return parse_onoff(k, v, &o->ipv6, errp);
    } else if (!strcmp(k, "ipv4")) {
        if (!parse_onoff(k, v, &b, errp)) {
            return false;
        }
        if (!b) {
            error_setg(errp, "ipv4=off is not supported");
            return false;
        }
    } else if (!strcmp(k, "hostname")) {
        o->hostname = v;
    } else if (!strcmp(k, "hostfwd")) {
        if (o->nr_hostfwd == SLIRP_MAX_HOSTFWD) {
            error_setg(errp, "too many hostfwd rules (at most %d)",
                       SLIRP_MAX_HOSTFWD);
            return false;
        }
        o->hostfwd[o->nr_hostfwd++] = v;
    }
    return true;
}

static bool parse_opts(const KeyVal *kv, SlirpOpts *o, Error **errp)
{
    static const char *const known[] = {
        "net", "host", "dns", "dhcpstart", "restrict", "ipv4", "ipv6",
        "hostname", "hostfwd", NULL
    };
    const char *names[] = { "host", "dns", "dhcpstart" };
    struct in_addr *addrs[] = { &o->host, &o->dns, &o->dhcp };
    bool have[3] = { false };
    static const uint32_t defaults[] = { 2, 3, 15 };

    *o = (SlirpOpts){ .ipv6 = true };
    o->net.s_addr = htonl(0x0a000200);          /* 10.0.2.0/24 */
    o->mask.s_addr = htonl(0xffffff00);
    if (!net_check_keys(kv, known, errp)) {
        return false;
    }
    for (size_t i = 0; i < kv->count; i++) {
        if (!parse_one(&kv->pairs[i], o, have, errp)) {
            return false;
        }
    }
    for (int i = 0; i < 3; i++) {
        if (!have[i]) {
            *addrs[i] = net_plus(o, defaults[i]);
        }
        if (!addr_in_net(o, *addrs[i])) {
            error_setg(errp, "%s address %s is not a host address of the "
                       "guest network", names[i], inet_ntoa(*addrs[i]));
            return false;
        }
    }
    return true;
}

/* [tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT */
static bool parse_port(const char *s, size_t len, bool zero_ok, int *port)
{
    char buf[8];
    char *end;
    long v;

    if (!len || len >= sizeof(buf)) {
        return false;
    }
    memcpy(buf, s, len);
    buf[len] = 0;
    v = strtol(buf, &end, 10);
    if (*end || buf[0] == '-' || buf[0] == '+' || v > 65535 ||
        (!zero_ok && !v)) {
        return false;
    }
    *port = (int)v;
    return true;
}

static bool parse_addr_n(const char *s, size_t len, struct in_addr *a)
{
    char buf[32];

    if (!len) {
        a->s_addr = INADDR_ANY;
        return true;
    }
    if (len >= sizeof(buf)) {
        return false;
    }
    memcpy(buf, s, len);
    buf[len] = 0;
    return inet_aton(buf, a);
}

static bool add_hostfwd(NetSlirp *s, const char *rule, Error **errp)
{
    const char *p = rule, *c1, *c2, *dash, *c3;
    struct in_addr haddr, gaddr;
    int hport, gport, udp = 0, saved;

    c1 = strchr(p, ':');
    if (!c1) {
        goto bad;
    }
    if (c1 - p == 3 && !strncmp(p, "udp", 3)) {
        udp = 1;
    } else if (c1 != p && !(c1 - p == 3 && !strncmp(p, "tcp", 3))) {
        goto bad;
    }
    c2 = strchr(c1 + 1, ':');
    dash = c2 ? strchr(c2 + 1, '-') : NULL;
    c3 = dash ? strchr(dash + 1, ':') : NULL;
    if (!c3 || strchr(c3 + 1, ':') ||
        !parse_addr_n(c1 + 1, c2 - c1 - 1, &haddr) ||
        !parse_port(c2 + 1, dash - c2 - 1, true, &hport) ||
        !parse_addr_n(dash + 1, c3 - dash - 1, &gaddr) ||
        !parse_port(c3 + 1, strlen(c3 + 1), false, &gport)) {
        goto bad;
    }
    errno = 0;
    if (slirp_add_hostfwd(s->slirp, udp, haddr, hport, gaddr, gport) < 0) {
        saved = errno;
        if (saved) {
            error_setg_errno(errp, saved, "could not set up host forwarding "
                             "rule '%s'", rule);
        } else {
            error_setg(errp, "could not set up host forwarding rule '%s'",
                       rule);
        }
        return false;
    }
    return true;
bad:
    error_setg(errp, "invalid host forwarding rule '%s' (want [tcp|udp]:"
               "[hostaddr]:hostport-[guestaddr]:guestport)", rule);
    return false;
}

static void slirp_config(const SlirpOpts *o, SlirpConfig *cfg)
{
    *cfg = (SlirpConfig){
        .version = 4,
        .restricted = o->restricted,
        .in_enabled = true,
        .vnetwork = o->net,
        .vnetmask = o->mask,
        .vhost = o->host,
        .vhostname = o->hostname,
        .vdhcp_start = o->dhcp,
        .vnameserver = o->dns,
        .in6_enabled = o->ipv6,
    };
    if (o->ipv6) {
        /* QEMU's defaults: fec0::/64, host fec0::2, DNS fec0::3. */
        inet_pton(AF_INET6, "fec0::", &cfg->vprefix_addr6);
        cfg->vprefix_len = 64;
        inet_pton(AF_INET6, "fec0::2", &cfg->vhost6);
        inet_pton(AF_INET6, "fec0::3", &cfg->vnameserver6);
    }
}

bool net_slirp_create(const KeyVal *kv, const char *id, Error **errp)
{
    SlirpOpts o;
    SlirpConfig cfg;
    NetSlirp *s;

    if (!parse_opts(kv, &o, errp)) {
        return false;
    }
    s = xzalloc(sizeof(*s));
    LIST_INIT(&s->timers);
    if (o.hostname) {
        s->hostname = strdup(o.hostname);
        if (!s->hostname) {
            abort();
        }
        o.hostname = s->hostname;
    }
    slirp_config(&o, &cfg);
    s->slirp = slirp_new(&cfg, &slirp_callbacks, s);
    if (!s->slirp) {
        error_setg(errp, "libslirp could not create the network stack");
        goto fail;
    }
    for (unsigned i = 0; i < o.nr_hostfwd; i++) {
        if (!add_hostfwd(s, o.hostfwd[i], errp)) {
            slirp_cleanup(s->slirp);
            goto fail;
        }
    }
    net_backend_register(&s->nb, &slirp_ops, id);
    return true;
fail:
    free(s->hostname);
    free(s);
    return false;
}

#else /* !CONFIG_SLIRP */

bool net_slirp_create(const KeyVal *kv, const char *id, Error **errp)
{
    error_setg(errp, "netdev type 'user' is not available: weft was built "
               "without libslirp (install libslirp-dev and rebuild)");
    return false;
}

#endif
