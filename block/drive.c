/* The drive registry: -drive and -blockdev parsed into named, opened
 * block backends that devices claim with drive=ID.  See block/drive.h
 * and docs/virtio-blk.md. */
#include <assert.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "block/drive.h"
#include "hw/core/device.h"
#include "system/bql.h"
#include "util/keyval.h"

/* virtio-blk's GET_ID returns at most this many bytes of serial. */
#define DRIVE_SERIAL_MAX 20

/* References to a Drive (all taken and dropped under the BQL):
 *  - the registry (the node table), while the drive is named: from
 *    drive_add()/blockdev_add() until blockdev_del(), or for a -drive
 *    until its user releases it (the auto-delete of -drive backends);
 *  - its user, from drive_claim() to drive_release(): a device between
 *    realize and unrealize, or a raw node on its file node for the raw
 *    node's whole life;
 *  - drive_exit(), around its drain without the BQL.
 * The last one closes the BlockBackend (a raw node releases its file
 * node instead) and frees the Drive. */
struct Drive {
    unsigned refcnt;
    bool named;                 /* in the registry: drive_find() sees it */
    bool auto_del;              /* -drive: unnamed when released */
    char *id;                   /* -drive id= or -blockdev node-name= */
    char *opts;                 /* the option string, for messages */
    BlockBackend *blk;          /* owned, unless file is set */
    Drive *file;                /* raw node: the file node below it */
    bool read_only;             /* read-only=on here or below */
    bool discard_ignore;
    bool if_virtio;             /* -drive if=virtio: gets a device */
    bool file_node;             /* -blockdev driver=file */
    char *serial;               /* -drive serial=, or NULL */
    char *iothread;             /* -drive iothread=, or NULL */
    char *user;                 /* who claimed it; NULL while free */
    DriveExitHook *exit_hook;
    void *exit_opaque;
    TAILQ_ENTRY(Drive) link;
};

/* The BQL protects the list and every Drive's fields.  The list holds
 * the named drives, each with a reference. */
static TAILQ_HEAD(, Drive) drives = TAILQ_HEAD_INITIALIZER(drives);

static void drive_ref(Drive *d);
static void drive_unref(Drive *d);

static char *xstrdup_or_null(const char *s)
{
    char *copy;

    if (!s) {
        return NULL;
    }
    copy = strdup(s);
    if (!copy) {
        abort();
    }
    return copy;
}

/* ------------------------------------------------------------------ */
/* Parsing helpers */

/* Refuses keys not in `known` and keys given twice. */
static bool check_keys(const KeyVal *kv, const char *const *known,
                       Error **errp)
{
    for (size_t i = 0; i < kv->count; i++) {
        const char *key = kv->pairs[i].key;
        size_t k;

        for (k = 0; known[k] && strcmp(known[k], key); k++) {
        }
        if (!known[k]) {
            error_setg(errp, "unknown parameter '%s'", key);
            return false;
        }
        if (keyval_count(kv, key) > 1) {
            error_setg(errp, "parameter '%s' given more than once", key);
            return false;
        }
    }
    return true;
}

/* Device-style ids: a letter, then letters, digits, '-', '.', '_'. */
static bool check_id(const char *what, const char *id, Error **errp)
{
    bool ok = isalpha((unsigned char)id[0]);

    for (const char *p = id; ok && *p; p++) {
        ok = isalnum((unsigned char)*p) || strchr("-._", *p);
    }
    if (!ok) {
        error_setg(errp, "invalid %s '%s' (a letter, then letters, "
                   "digits, '-', '.', '_')", what, id);
        return false;
    }
    if (drive_find(id)) {
        error_setg(errp, "duplicate %s '%s' (drive ids and node names "
                   "must be unique)", what, id);
        return false;
    }
    return true;
}

/* An on/off parameter; absent leaves *out alone. */
static bool get_bool(const KeyVal *kv, const char *key, bool *out,
                     Error **errp)
{
    const char *v = keyval_get(kv, key);
    Error *err = NULL;

    if (v && !parse_bool(v, out, &err)) {
        error_setg(errp, "%s=%s: expected on or off", key, v);
        error_free(err);
        return false;
    }
    return true;
}

/* aio=, discard=, cache.direct= and read-only, shared by both options. */
typedef struct BackendOpts {
    int flags;                  /* BLK_* for blk_open */
    bool read_only;
    bool discard_ignore;
} BackendOpts;

static bool parse_aio(const KeyVal *kv, BackendOpts *b, Error **errp)
{
    const char *v = keyval_get(kv, "aio");

    if (!v || !strcmp(v, "io_uring")) {
        return true;            /* io_uring when available: block.h */
    }
    if (!strcmp(v, "threads")) {
        b->flags |= BLK_ENGINE_THREADS;
        return true;
    }
    error_setg(errp, "aio=%s is not supported (threads, io_uring)", v);
    return false;
}

static bool parse_discard(const KeyVal *kv, BackendOpts *b, Error **errp)
{
    const char *v = keyval_get(kv, "discard");

    if (!v || !strcmp(v, "unmap") || !strcmp(v, "on")) {
        return true;
    }
    if (!strcmp(v, "ignore") || !strcmp(v, "off")) {
        b->discard_ignore = true;
        return true;
    }
    error_setg(errp, "discard=%s: expected unmap or ignore", v);
    return false;
}

static bool parse_cache_direct(const KeyVal *kv, BackendOpts *b,
                               Error **errp)
{
    bool direct = b->flags & BLK_CACHE_NONE;

    if (!get_bool(kv, "cache.direct", &direct, errp)) {
        return false;
    }
    b->flags = direct ? b->flags | BLK_CACHE_NONE
                      : b->flags & ~BLK_CACHE_NONE;
    return true;
}

static bool parse_backend(const KeyVal *kv, const char *ro_key,
                          BackendOpts *b, Error **errp)
{
    if (!get_bool(kv, ro_key, &b->read_only, errp) ||
        !parse_aio(kv, b, errp) || !parse_discard(kv, b, errp) ||
        !parse_cache_direct(kv, b, errp)) {
        return false;
    }
    if (b->read_only) {
        b->flags |= BLK_RDONLY;
    }
    return true;
}

static Drive *drive_new(const char *id, const char *opts)
{
    Drive *d = calloc(1, sizeof(*d));

    if (!d) {
        abort();
    }
    d->refcnt = 1;              /* the caller's, given to the registry */
    d->id = xstrdup_or_null(id);
    d->opts = xstrdup_or_null(opts);
    return d;
}

/* The registry takes over the creator's reference. */
static void drive_name(Drive *d)
{
    assert(!d->named && d->refcnt == 1);
    d->named = true;
    TAILQ_INSERT_TAIL(&drives, d, link);
}

/* Drops the registry's reference: the id is free again at once. */
static void drive_unname(Drive *d)
{
    assert(d->named);
    TAILQ_REMOVE(&drives, d, link);
    d->named = false;
    drive_unref(d);
}

static void drive_free(Drive *d)
{
    free(d->id);
    free(d->opts);
    free(d->serial);
    free(d->iothread);
    free(d);
}

/* ------------------------------------------------------------------ */
/* -drive */

static const char *const drive_keys[] = {
    "file", "format", "if", "id", "readonly", "read-only", "cache",
    "cache.direct", "aio", "discard", "serial", "iothread", NULL
};

/* if=: virtio (the default on weft's boards, as on QEMU's virt) or
 * none. */
static bool parse_if(const KeyVal *kv, bool *if_virtio, Error **errp)
{
    const char *v = keyval_get(kv, "if");

    *if_virtio = !v || !strcmp(v, "virtio");
    if (*if_virtio || !strcmp(v, "none")) {
        return true;
    }
    error_setg(errp, "if=%s is not supported (virtio, none)", v);
    return false;
}

static bool parse_cache(const KeyVal *kv, BackendOpts *b, Error **errp)
{
    const char *v = keyval_get(kv, "cache");

    if (!v || !strcmp(v, "writeback")) {
        return true;
    }
    if (!strcmp(v, "none")) {
        b->flags |= BLK_CACHE_NONE;
        return true;
    }
    error_setg(errp, "cache=%s is not supported (none, writeback)", v);
    return false;
}

static bool parse_format(const KeyVal *kv, Error **errp)
{
    const char *v = keyval_get(kv, "format");

    if (v && strcmp(v, "raw")) {
        error_setg(errp, "format=%s is not supported (only raw images)", v);
        return false;
    }
    return true;
}

/* "virtio0", "virtio1", ...: the first name nobody uses. */
static char *drive_auto_id(void)
{
    char *id = NULL;

    for (unsigned n = 0;; n++) {
        free(id);
        if (asprintf(&id, "virtio%u", n) < 0) {
            abort();
        }
        if (!drive_find(id)) {
            return id;
        }
    }
}

static bool drive_check_ids(const KeyVal *kv, bool if_virtio, Error **errp)
{
    const char *id = keyval_get(kv, "id");
    const char *serial = keyval_get(kv, "serial");

    if (id && !check_id("drive id", id, errp)) {
        return false;
    }
    if (!id && !if_virtio) {
        error_setg(errp, "if=none needs an id= for -device ...,drive=ID");
        return false;
    }
    if (keyval_get(kv, "iothread") && !if_virtio) {
        error_setg(errp, "iothread= needs if=virtio (with if=none, set it "
                   "on the -device)");
        return false;
    }
    if (serial && strlen(serial) > DRIVE_SERIAL_MAX) {
        error_setg(errp, "serial '%s' is longer than %d characters",
                   serial, DRIVE_SERIAL_MAX);
        return false;
    }
    if (!keyval_get(kv, "file") || !*keyval_get(kv, "file")) {
        error_setg(errp, "file= is missing");
        return false;
    }
    return true;
}

static Drive *drive_parse(const KeyVal *kv, const char *opts, Error **errp)
{
    BackendOpts b = { 0 };
    bool if_virtio;
    bool ro_legacy = false;
    Drive *d;
    char *id;

    if (!check_keys(kv, drive_keys, errp) || !parse_format(kv, errp) ||
        !parse_if(kv, &if_virtio, errp) || !parse_cache(kv, &b, errp) ||
        !get_bool(kv, "readonly", &ro_legacy, errp) ||
        !parse_backend(kv, "read-only", &b, errp) ||
        !drive_check_ids(kv, if_virtio, errp)) {
        return NULL;
    }
    if (ro_legacy) {
        b.read_only = true;
        b.flags |= BLK_RDONLY;
    }
    id = keyval_get(kv, "id") ? xstrdup_or_null(keyval_get(kv, "id"))
                              : drive_auto_id();
    d = drive_new(id, opts);
    free(id);
    d->blk = blk_open(keyval_get(kv, "file"), b.flags, errp);
    if (!d->blk) {
        drive_free(d);
        return NULL;
    }
    d->read_only = b.read_only;
    d->discard_ignore = b.discard_ignore;
    d->if_virtio = if_virtio;
    d->auto_del = true;
    d->serial = xstrdup_or_null(keyval_get(kv, "serial"));
    d->iothread = xstrdup_or_null(keyval_get(kv, "iothread"));
    return d;
}

Drive *drive_add(const char *opts, Error **errp)
{
    KeyVal *kv;
    Drive *d = NULL;

    assert(bql_locked());
    kv = keyval_parse(opts, NULL, errp);
    if (kv) {
        d = drive_parse(kv, opts, errp);
        keyval_free(kv);
    }
    if (d) {
        drive_name(d);
    }
    return d;
}

/* ------------------------------------------------------------------ */
/* -blockdev */

static const char *const file_node_keys[] = {
    "driver", "node-name", "filename", "read-only", "cache.direct", "aio",
    "discard", NULL
};
static const char *const raw_node_keys[] = {
    "driver", "node-name", "file", "read-only", "discard", NULL
};

static Drive *file_node_parse(const KeyVal *kv, const char *opts,
                              Error **errp)
{
    const char *filename = keyval_get(kv, "filename");
    BackendOpts b = { 0 };
    Drive *d;

    if (!check_keys(kv, file_node_keys, errp) ||
        !parse_backend(kv, "read-only", &b, errp)) {
        return NULL;
    }
    if (!filename || !*filename) {
        error_setg(errp, "filename= is missing");
        return NULL;
    }
    d = drive_new(keyval_get(kv, "node-name"), opts);
    d->blk = blk_open(filename, b.flags, errp);
    if (!d->blk) {
        drive_free(d);
        return NULL;
    }
    d->read_only = b.read_only;
    d->discard_ignore = b.discard_ignore;
    d->file_node = true;
    return d;
}

/* A raw node passes requests straight to its file node, which it claims
 * for good. */
static Drive *raw_node_parse(const KeyVal *kv, const char *opts,
                             Error **errp)
{
    const char *file = keyval_get(kv, "file");
    BackendOpts b = { 0 };
    Drive *below, *d;
    char *user;
    bool claimed;

    if (!check_keys(kv, raw_node_keys, errp) ||
        !parse_backend(kv, "read-only", &b, errp)) {
        return NULL;
    }
    if (!file) {
        error_setg(errp, "file= (the node name of a driver=file node) is "
                   "missing");
        return NULL;
    }
    below = drive_find(file);
    if (!below || !below->file_node) {
        error_setg(errp, "file=%s: no -blockdev driver=file node of that "
                   "name", file);
        return NULL;
    }
    d = drive_new(keyval_get(kv, "node-name"), opts);
    if (asprintf(&user, "raw node '%s'", d->id) < 0) {
        abort();
    }
    claimed = drive_claim(below, user, NULL, NULL, errp);
    free(user);
    if (!claimed) {
        drive_free(d);
        return NULL;
    }
    d->file = below;
    d->blk = below->blk;
    d->read_only = b.read_only || below->read_only;
    d->discard_ignore = b.discard_ignore || below->discard_ignore;
    return d;
}

static Drive *blockdev_parse(const KeyVal *kv, const char *opts,
                             Error **errp)
{
    const char *driver = keyval_get(kv, "driver");
    const char *node = keyval_get(kv, "node-name");

    if (!driver) {
        error_setg(errp, "driver= is missing (file, raw)");
        return NULL;
    }
    if (!node) {
        error_setg(errp, "node-name= is missing");
        return NULL;
    }
    if (!check_id("node name", node, errp)) {
        return NULL;
    }
    if (!strcmp(driver, "file")) {
        return file_node_parse(kv, opts, errp);
    }
    if (!strcmp(driver, "raw")) {
        return raw_node_parse(kv, opts, errp);
    }
    error_setg(errp, "driver=%s is not supported (file, raw)", driver);
    return NULL;
}

Drive *blockdev_add(const char *opts, Error **errp)
{
    KeyVal *kv;
    Drive *d = NULL;

    assert(bql_locked());
    kv = keyval_parse(opts, NULL, errp);
    if (kv) {
        d = blockdev_parse(kv, opts, errp);
        keyval_free(kv);
    }
    if (d) {
        drive_name(d);
    }
    return d;
}

bool blockdev_del(const char *node_name, Error **errp)
{
    Drive *d = drive_find(node_name);

    if (!d) {
        error_setg(errp, "Failed to find node with node-name='%s'",
                   node_name);
        return false;
    }
    if (d->auto_del) {
        error_setg(errp, "Node '%s' is not owned by the monitor (it is a "
                   "-drive, deleted with the device that uses it)",
                   node_name);
        return false;
    }
    if (d->user) {
        error_setg(errp, "Node '%s' is in use by %s", node_name, d->user);
        return false;
    }
    /* Nobody else holds a reference outside drive_exit(), which runs
     * when no command does: this closes the file. */
    assert(d->refcnt == 1);
    drive_unname(d);
    return true;
}

/* ------------------------------------------------------------------ */
/* if=virtio devices */

/* Appends ",key=value" with ',' doubled (keyval's escape). */
static void append_opt(char **opts, const char *key, const char *value)
{
    size_t len = strlen(*opts), extra = strlen(key) + 2;
    char *p;

    for (const char *s = value; *s; s++) {
        extra += *s == ',' ? 2 : 1;
    }
    *opts = realloc(*opts, len + extra + 1);
    if (!*opts) {
        abort();
    }
    p = *opts + len;
    p += sprintf(p, ",%s=", key);
    for (const char *s = value; *s; s++) {
        *p++ = *s;
        if (*s == ',') {
            *p++ = ',';
        }
    }
    *p = '\0';
}

bool drive_create_devices(Error **errp)
{
    Drive *d;

    assert(bql_locked());
    TAILQ_FOREACH(d, &drives, link) {
        char *opts;
        Error *err = NULL;

        if (!d->if_virtio) {
            continue;
        }
        opts = xstrdup_or_null("virtio-blk-device");
        append_opt(&opts, "drive", d->id);
        if (d->serial) {
            append_opt(&opts, "serial", d->serial);
        }
        if (d->iothread) {
            append_opt(&opts, "iothread", d->iothread);
        }
        if (!device_add(opts, &err)) {
            error_setg(errp, "-drive %s: %s", d->opts,
                       error_get_pretty(err));
            error_free(err);
            free(opts);
            return false;
        }
        free(opts);
    }
    return true;
}

/* ------------------------------------------------------------------ */
/* Lookup and claims */

Drive *drive_find(const char *id)
{
    Drive *d;

    assert(bql_locked());
    TAILQ_FOREACH(d, &drives, link) {
        if (!strcmp(d->id, id)) {
            return d;
        }
    }
    return NULL;
}

const char *drive_get_id(const Drive *d)
{
    return d->id;
}

bool drive_claim(Drive *d, const char *user, DriveExitHook *exit_hook,
                 void *opaque, Error **errp)
{
    assert(bql_locked());
    if (d->user) {
        error_setg(errp, "drive '%s' is already in use by %s", d->id,
                   d->user);
        return false;
    }
    d->user = xstrdup_or_null(user);
    d->exit_hook = exit_hook;
    d->exit_opaque = opaque;
    drive_ref(d);               /* the user's */
    return true;
}

void drive_release(Drive *d)
{
    assert(bql_locked() && d->user);
    free(d->user);
    d->user = NULL;
    d->exit_hook = NULL;
    d->exit_opaque = NULL;
    /* A -drive goes with its device, as QEMU's do. */
    if (d->auto_del && d->named) {
        drive_unname(d);
    }
    drive_unref(d);             /* the user's */
}

static void drive_ref(Drive *d)
{
    assert(bql_locked() && d->refcnt);
    d->refcnt++;
}

/* The last reference: its user has released it, so no request is in
 * flight on its behalf; blk_close() drains anyway and closes the file
 * before it returns. */
static void drive_unref(Drive *d)
{
    assert(bql_locked() && d->refcnt);
    if (--d->refcnt) {
        return;
    }
    assert(!d->named && !d->user);
    if (d->file) {
        drive_release(d->file);     /* a raw node's claim */
    } else {
        blk_close(d->blk);
    }
    drive_free(d);
}

BlockBackend *drive_get_blk(const Drive *d)
{
    return d->blk;
}

bool drive_is_read_only(const Drive *d)
{
    return d->read_only || blk_is_read_only(d->blk);
}

const char *drive_get_serial(const Drive *d)
{
    return d->serial;
}

bool drive_discard_ignored(const Drive *d)
{
    return d->discard_ignore;
}

void drive_exit(void)
{
    Drive **held = NULL;
    size_t n = 0;
    Drive *d;

    bql_lock();
    TAILQ_FOREACH(d, &drives, link) {
        if (d->user && d->exit_hook) {
            d->exit_hook(d->exit_opaque);
        }
        if (!d->file) {
            held = realloc(held, (n + 1) * sizeof(*held));
            if (!held) {
                abort();
            }
            drive_ref(d);       /* held's, across the drain */
            held[n++] = d;
        }
    }
    bql_unlock();
    /* Without the BQL: draining a backend of the main loop polls that
     * loop, whose handlers may take it (an unplug finishing there may
     * even release a drive: our references keep them all alive). */
    for (size_t i = 0; i < n; i++) {
        blk_drain(held[i]->blk);
    }
    bql_lock();
    for (size_t i = 0; i < n; i++) {
        drive_unref(held[i]);
    }
    bql_unlock();
    free(held);
}
