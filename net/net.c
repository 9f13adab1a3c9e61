/* The backend list, -netdev parsing, the frame queue toward a frontend
 * that has no room, and the MAC address property.  Thread rules are in
 * net/net.h. */
#include <assert.h>
#include <pthread.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/net-backends.h"
#include "net/net.h"
#include "system/bql.h"
#include "util/atomic.h"
#include "util/log.h"
#include "util/rcu.h"

/* Every backend, in creation order; BQL. */
static TAILQ_HEAD(, NetBackend) backends = TAILQ_HEAD_INITIALIZER(backends);

typedef struct NetdevType {
    const char *name;
    bool (*create)(const KeyVal *kv, const char *id, Error **errp);
    const char *help;
} NetdevType;

static const NetdevType netdev_types[] = {
    { "user", net_slirp_create,
      "user mode network stack (libslirp): NAT, DHCP, DNS, hostfwd" },
    { "tap", net_tap_create, "a host tap interface (/dev/net/tun)" },
};

/* ------------------------------------------------------------------ */
/* Command line */

/* QEMU's id rule, as for devices and iothreads. */
static bool id_wellformed(const char *id)
{
    if (!isalpha((unsigned char)id[0])) {
        return false;
    }
    for (const char *p = id + 1; *p; p++) {
        if (!isalnum((unsigned char)*p) && !strchr("-._", *p)) {
            return false;
        }
    }
    return strlen(id) < 64;
}

bool net_check_keys(const KeyVal *kv, const char *const *known,
                    Error **errp)
{
    for (size_t i = 0; i < kv->count; i++) {
        const char *key = kv->pairs[i].key;
        bool ok = !strcmp(key, "type") || !strcmp(key, "id");

        for (const char *const *k = known; !ok && *k; k++) {
            ok = !strcmp(key, *k);
        }
        if (!ok) {
            error_setg(errp, "invalid parameter '%s' for netdev type '%s'",
                       key, keyval_get(kv, "type"));
            return false;
        }
    }
    return true;
}

bool net_netdev_opts_help(const char *opts, FILE *f)
{
    if (strcmp(opts, "help") && strcmp(opts, "?")) {
        return false;
    }
    fprintf(f, "Available netdev backend types:\n");
    for (size_t i = 0; i < ARRAY_SIZE(netdev_types); i++) {
        fprintf(f, "%-6s %s\n", netdev_types[i].name, netdev_types[i].help);
    }
    return true;
}

static const NetdevType *find_type(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(netdev_types); i++) {
        if (!strcmp(netdev_types[i].name, name)) {
            return &netdev_types[i];
        }
    }
    return NULL;
}

static bool netdev_add_kv(const KeyVal *kv, Error **errp)
{
    const char *type = keyval_get(kv, "type");
    const char *id = keyval_get(kv, "id");
    const NetdevType *t;

    if (!type) {
        error_setg(errp, "parameter 'type' is missing");
        return false;
    }
    t = find_type(type);
    if (!t) {
        error_setg(errp, "unknown netdev type '%s' (supported: user, tap)",
                   type);
        return false;
    }
    if (keyval_count(kv, "type") > 1 || keyval_count(kv, "id") > 1) {
        error_setg(errp, "'type' and 'id' may be given only once");
        return false;
    }
    if (!id) {
        error_setg(errp, "parameter 'id' is missing");
        return false;
    }
    if (!id_wellformed(id)) {
        error_setg(errp, "invalid id '%s' (a letter, then letters, digits, "
                   "'-', '.' or '_')", id);
        return false;
    }
    if (net_backend_find(id)) {
        error_setg(errp, "duplicate netdev id '%s'", id);
        return false;
    }
    return t->create(kv, id, errp);
}

bool net_netdev_add(const char *opts, Error **errp)
{
    KeyVal *kv;
    bool ok;

    assert(bql_locked());
    kv = keyval_parse(opts, "type", errp);
    if (!kv) {
        return false;
    }
    ok = netdev_add_kv(kv, errp);
    keyval_free(kv);
    return ok;
}

void net_check_peers(void)
{
    NetBackend *nb;

    assert(bql_locked());
    TAILQ_FOREACH(nb, &backends, link) {
        if (!atomic_load_acquire(&nb->in_use)) {
            warn_report("netdev %s is not used by any device", nb->id);
        }
    }
}

/* ------------------------------------------------------------------ */
/* Backends */

void net_backend_register(NetBackend *nb, const NetBackendOps *ops,
                          const char *id)
{
    assert(bql_locked());
    nb->ops = ops;
    nb->id = strdup(id);
    if (!nb->id) {
        abort();
    }
    STAILQ_INIT(&nb->queue);
    TAILQ_INSERT_TAIL(&backends, nb, link);
}

NetBackend *net_backend_find(const char *id)
{
    NetBackend *nb;

    assert(bql_locked());
    TAILQ_FOREACH(nb, &backends, link) {
        if (!strcmp(nb->id, id)) {
            return nb;
        }
    }
    return NULL;
}

static void backend_start_in_loop(void *opaque)
{
    NetBackend *nb = opaque;

    nb->started = true;
    nb->ops->start(nb);
}

bool net_backend_attach(NetBackend *nb, const NetFrontendOps *fe,
                        void *opaque, EventLoop *loop, Error **errp)
{
    assert(bql_locked());
    if (atomic_load_acquire(&nb->in_use)) {
        error_setg(errp, "netdev '%s' is already used by another device",
                   nb->id);
        return false;
    }
    atomic_set(&nb->in_use, true);
    nb->loop = loop;
    nb->fe = fe;
    nb->fe_opaque = opaque;
    /* From here the backend belongs to the loop: start it there. */
    event_loop_run_later(loop, backend_start_in_loop, nb);
    return true;
}

static void queue_flush_all(NetBackend *nb)
{
    NetPacket *p;

    while ((p = STAILQ_FIRST(&nb->queue))) {
        STAILQ_REMOVE_HEAD(&nb->queue, next);
        free(p);
    }
    nb->queued = 0;
}

void net_backend_detach(NetBackend *nb)
{
    if (nb->started) {
        nb->ops->stop(nb);
        nb->started = false;
    }
    queue_flush_all(nb);
    nb->rx_paused = false;
    nb->fe = NULL;
    nb->fe_opaque = NULL;
    /* Read under the BQL by the next attach; the store is the last
     * thing this thread does with nb. */
    atomic_store_release(&nb->in_use, false);
}

/* Exit: one detach in the backend's loop, waited for by the main
 * thread.  ExitWait lives on the waiter's stack; its lock protects done. */
typedef struct ExitWait {
    NetBackend *nb;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool done;
} ExitWait;

static void exit_one(NetBackend *nb)
{
    if (nb->fe && nb->fe->exit) {
        nb->fe->exit(nb->fe_opaque);
    }
    net_backend_detach(nb);
}

static void exit_in_loop(void *opaque)
{
    ExitWait *w = opaque;

    exit_one(w->nb);
    pthread_mutex_lock(&w->lock);
    w->done = true;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

static void exit_wait(NetBackend *nb)
{
    ExitWait w = { .nb = nb };
    bool offline = weft_rcu_thread_registered() && weft_rcu_thread_online();

    pthread_mutex_init(&w.lock, NULL);
    pthread_cond_init(&w.cond, NULL);
    event_loop_run_later(nb->loop, exit_in_loop, &w);
    if (offline) {
        weft_rcu_go_offline();  /* a grace period must not wait for us */
    }
    pthread_mutex_lock(&w.lock);
    while (!w.done) {
        pthread_cond_wait(&w.cond, &w.lock);
    }
    pthread_mutex_unlock(&w.lock);
    if (offline) {
        weft_rcu_go_online();
    }
    pthread_cond_destroy(&w.cond);
    pthread_mutex_destroy(&w.lock);
}

void net_exit(void)
{
    NetBackend *nb;

    /* Set-up is over: the list no longer changes. */
    TAILQ_FOREACH(nb, &backends, link) {
        if (!atomic_load_acquire(&nb->in_use)) {
            continue;
        }
        if (event_loop_in_own_thread(nb->loop)) {
            exit_one(nb);       /* the main loop, not running now */
        } else {
            exit_wait(nb);
        }
    }
}

/* ------------------------------------------------------------------ */
/* The packet path (loop thread) */

static bool queue_frame(NetBackend *nb, const uint8_t *frame, size_t len)
{
    NetPacket *p;

    if (nb->queued >= NET_QUEUE_MAX) {
        nb->rx_dropped++;
        return false;
    }
    p = malloc(sizeof(*p) + len);
    if (!p) {
        abort();
    }
    p->len = len;
    memcpy(p->data, frame, len);
    STAILQ_INSERT_TAIL(&nb->queue, p, next);
    nb->queued++;
    return true;
}

bool net_backend_deliver(NetBackend *nb, const uint8_t *frame, size_t len)
{
    if (!nb->fe || !len || len > NET_MAX_FRAME) {
        nb->rx_dropped++;
        return true;
    }
    /* Frames stay in order: once one waits, the next ones wait too. */
    if (STAILQ_EMPTY(&nb->queue) &&
        nb->fe->receive(nb->fe_opaque, frame, len)) {
        nb->rx_frames++;
        return true;
    }
    queue_frame(nb, frame, len);
    nb->rx_paused = true;
    return false;
}

void net_rx_ready(NetBackend *nb)
{
    NetPacket *p;

    if (!nb || !nb->fe) {
        return;
    }
    while ((p = STAILQ_FIRST(&nb->queue))) {
        if (!nb->fe->receive(nb->fe_opaque, p->data, p->len)) {
            return;
        }
        STAILQ_REMOVE_HEAD(&nb->queue, next);
        nb->queued--;
        nb->rx_frames++;
        free(p);
    }
    if (nb->rx_paused) {
        nb->rx_paused = false;
        if (nb->ops->rx_resume) {
            nb->ops->rx_resume(nb);
        }
    }
}

bool net_send(NetBackend *nb, const uint8_t *frame, size_t len)
{
    if (!nb || !nb->started) {
        return true;            /* no backend: the frame goes nowhere */
    }
    nb->tx_frames++;
    return nb->ops->send(nb, frame, len);
}

void net_backend_tx_ready(NetBackend *nb)
{
    if (nb->fe && nb->fe->tx_ready) {
        nb->fe->tx_ready(nb->fe_opaque);
    }
}

/* ------------------------------------------------------------------ */
/* MAC addresses */

static bool parse_mac(Device *dev, const Property *prop, void *field,
                      const char *str, Error **errp)
{
    MACAddr mac;
    size_t pos = 0;

    for (int i = 0; i < 6; i++) {
        unsigned v = 0;

        for (int d = 0; d < 2; d++, pos++) {
            char c = str[pos];

            if (!isxdigit((unsigned char)c)) {
                goto bad;
            }
            v = v * 16 + (isdigit((unsigned char)c) ? c - '0'
                                                    : (tolower(c) - 'a' + 10));
        }
        mac.a[i] = v;
        if (i < 5 && str[pos] != ':' && str[pos] != '-') {
            goto bad;
        }
        pos += i < 5;
    }
    if (str[pos]) {
        goto bad;
    }
    if (mac.a[0] & 1) {
        error_setg(errp, "Property '%s.%s' doesn't take value '%s': a "
                   "multicast address", device_type_name(dev), prop->name,
                   str);
        return false;
    }
    *(MACAddr *)field = mac;
    return true;
bad:
    error_setg(errp, "Property '%s.%s' doesn't take value '%s' (want "
               "xx:xx:xx:xx:xx:xx)", device_type_name(dev), prop->name, str);
    return false;
}

static char *print_mac(Device *dev, const Property *prop, const void *field)
{
    const MACAddr *mac = field;
    char *s;

    if (asprintf(&s, "%02x:%02x:%02x:%02x:%02x:%02x", mac->a[0], mac->a[1],
                 mac->a[2], mac->a[3], mac->a[4], mac->a[5]) < 0) {
        abort();
    }
    return s;
}

static void default_mac(Device *dev, const Property *prop, void *field)
{
    memset(field, 0, sizeof(MACAddr));
}

const PropertyInfo net_prop_info_macaddr = {
    .type_name = "macaddr",
    .parse = parse_mac,
    .print = print_mac,
    .set_default = default_mac,
};

void net_macaddr_default(MACAddr *mac)
{
    static unsigned index;      /* BQL */
    static const MACAddr zero;

    assert(bql_locked());
    if (memcmp(mac, &zero, sizeof(zero))) {
        return;
    }
    *mac = (MACAddr){ { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 } };
    mac->a[5] += index % 256;
    mac->a[4] += index / 256;
    index++;
}
