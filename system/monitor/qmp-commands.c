/* The QMP commands and the events they and the machine send.
 *
 * Each command gets its checked "arguments" object and returns the
 * "return" value; the table says which ones run under the BQL (those that
 * touch the machine).  Request-style commands (system_reset, quit) only
 * post a request to the main loop and return: their effect and its event
 * come after the reply, as in QEMU.
 */
#include <assert.h>
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "block/drive.h"
#include "config-host.h"
#include "cpu/cpu.h"
#include "hw/core/device.h"
#include "memory/memory.h"
#include "system/bql.h"
#include "system/monitor/qmp-internal.h"
#include "system/monitor/qmp.h"
#include "system/runstate.h"
#include "util/compiler.h"

#define MAX_PCI_WALKERS 8

/* BQL: the registered PCI host bridges. */
static QmpPciWalkFn *pci_walkers[MAX_PCI_WALKERS];
static unsigned nr_pci_walkers;

static json_t *empty_return(void)
{
    return json_object();
}

json_t *qmp_version_info(void)
{
    unsigned major = 0, minor = 0, micro = 0;
    char package[64];

    sscanf(WEFT_VERSION, "%u.%u.%u", &major, &minor, &micro);
    snprintf(package, sizeof(package), "weft-%s", WEFT_VERSION);
    return json_pack("{s:{s:i,s:i,s:i},s:s}", "qemu", "micro", (int)micro,
                     "minor", (int)minor, "major", (int)major,
                     "package", package);
}

/* ------------------------------------------------------------------ */
/* Run state */

static json_t *cmd_query_status(json_t *args, QmpErrorClass *cls,
                                Error **errp)
{
    RunState st = runstate_get();

    return json_pack("{s:b,s:s}", "running", st == RUN_STATE_RUNNING,
                     "status", runstate_name(st));
}

static json_t *cmd_query_version(json_t *args, QmpErrorClass *cls,
                                 Error **errp)
{
    return qmp_version_info();
}

static json_t *cmd_stop(json_t *args, QmpErrorClass *cls, Error **errp)
{
    vm_stop();
    return empty_return();
}

static json_t *cmd_cont(json_t *args, QmpErrorClass *cls, Error **errp)
{
    if (runstate_get() == RUN_STATE_SHUTDOWN) {
        error_setg(errp, "The machine is shutting down");
        return NULL;
    }
    vm_start();
    return empty_return();
}

static json_t *cmd_system_reset(json_t *args, QmpErrorClass *cls,
                                Error **errp)
{
    qemu_system_reset_request_cause(SHUTDOWN_CAUSE_HOST_QMP_SYSTEM_RESET);
    return empty_return();
}

/* Without a power button on the board (the RISC-V virt board has no ACPI
 * and no GPIO key) nothing could reach the guest: say so instead of
 * pretending, and send no POWERDOWN event. */
static json_t *cmd_system_powerdown(json_t *args, QmpErrorClass *cls,
                                    Error **errp)
{
    if (!qemu_system_powerdown_request()) {
        error_setg(errp, "This machine has no power button; "
                   "system_powerdown cannot reach the guest");
        return NULL;
    }
    return empty_return();
}

static json_t *cmd_quit(json_t *args, QmpErrorClass *cls, Error **errp)
{
    qemu_system_shutdown_request_cause(0, SHUTDOWN_CAUSE_HOST_QMP_QUIT);
    return empty_return();
}

/* ------------------------------------------------------------------ */
/* CPUs */

static void get_thread_id(CPUState *cpu, void *data)
{
    *(int *)data = gettid();
}

static json_t *cmd_query_cpus_fast(json_t *args, QmpErrorClass *cls,
                                   Error **errp)
{
    json_t *list = json_array();
    CPUState *cpu;

    CPU_FOREACH(cpu) {
        char path[64];
        int tid = -1;

        /* Work items run in the vCPU's thread even while it is paused
         * or halted; the BQL is released while we wait. */
        run_on_cpu(cpu, get_thread_id, &tid);
        snprintf(path, sizeof(path), "/machine/soc0/harts[%d]", cpu->index);
        /* Only RISC-V guests exist so far; the KVM x86-64 mode will
         * need the target from the machine. */
        json_array_append_new(list, json_pack(
            "{s:i,s:s,s:i,s:{s:i,s:i},s:s}", "cpu-index", cpu->index,
            "qom-path", path, "thread-id", tid, "props", "core-id",
            cpu->index, "socket-id", 0, "target", "riscv64"));
    }
    return list;
}

/* ------------------------------------------------------------------ */
/* Devices */

static bool valid_prop_name(const char *s)
{
    if (!*s) {
        return false;
    }
    for (; *s; s++) {
        if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-' &&
            *s != '.') {
            return false;
        }
    }
    return true;
}

/* Writes value doubling its commas (the -device string syntax), so that
 * no value can inject another key. */
static void opts_put_value(FILE *f, const char *value)
{
    for (; *value; value++) {
        fputc(*value, f);
        if (*value == ',') {
            fputc(',', f);
        }
    }
}

/* A property value as the -device syntax spells it. */
static bool prop_value(const char *key, json_t *v, char *tmp, size_t size,
                       const char **out, Error **errp)
{
    if (json_is_string(v)) {
        *out = json_string_value(v);
    } else if (json_is_integer(v)) {
        snprintf(tmp, size, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        *out = tmp;
    } else if (json_is_boolean(v)) {
        *out = json_is_true(v) ? "on" : "off";
    } else {
        error_setg(errp, "Invalid parameter type for '%s', expected: "
                   "string, integer or boolean", key);
        return false;
    }
    return true;
}

/* device_add's arguments as a -device option string (malloc'd). */
static char *device_add_opts(json_t *args, Error **errp)
{
    char *buf = NULL, tmp[32];
    size_t len = 0;
    const char *key, *value;
    json_t *v;
    FILE *f = open_memstream(&buf, &len);
    bool ok = true;

    if (!f) {
        abort();
    }
    fputs("driver=", f);
    opts_put_value(f, json_string_value(json_object_get(args, "driver")));
    json_object_foreach(args, key, v) {
        if (!strcmp(key, "driver")) {
            continue;
        }
        if (!valid_prop_name(key) || !strcmp(key, "help")) {
            error_setg(errp, "Invalid parameter name '%s'", key);
            ok = false;
            break;
        }
        if (!prop_value(key, v, tmp, sizeof(tmp), &value, errp)) {
            ok = false;
            break;
        }
        fprintf(f, ",%s=", key);
        opts_put_value(f, value);
    }
    fclose(f);
    if (!ok) {
        free(buf);
        return NULL;
    }
    return buf;
}

static json_t *cmd_device_add(json_t *args, QmpErrorClass *cls,
                              Error **errp)
{
    char *opts = device_add_opts(args, errp);
    Device *dev;

    if (!opts) {
        return NULL;
    }
    dev = device_add(opts, errp);
    free(opts);
    return dev ? empty_return() : NULL;
}

static json_t *cmd_device_del(json_t *args, QmpErrorClass *cls,
                              Error **errp)
{
    const char *id = json_string_value(json_object_get(args, "id"));
    Device *dev = device_find_by_id(id);

    if (!dev) {
        *cls = QMP_ERROR_DEVICE_NOT_FOUND;
        error_setg(errp, "Device '%s' not found", id);
        return NULL;
    }
    /* Starts the lifecycle; DEVICE_DELETED follows once the device is
     * finalized, which may be much later (or never, if the guest does
     * not answer a bus's unplug request). */
    if (!device_unplug_request(dev, errp)) {
        return NULL;
    }
    return empty_return();
}

/* ------------------------------------------------------------------ */
/* query-pci */

void qmp_register_pci_walker(QmpPciWalkFn *walk)
{
    assert(bql_locked() && nr_pci_walkers < MAX_PCI_WALKERS);
    pci_walkers[nr_pci_walkers++] = walk;
}

static json_t *pci_regions(const QmpPciDevice *d)
{
    json_t *list = json_array();

    for (unsigned i = 0; i < d->nr_regions; i++) {
        const QmpPciRegion *r = &d->regions[i];
        json_t *o = json_pack("{s:i,s:s,s:I,s:I}", "bar", r->bar,
                              "type", r->io ? "io" : "memory",
                              "address", (json_int_t)r->address,
                              "size", (json_int_t)r->size);

        if (!r->io) {
            json_object_set_new(o, "prefetch", json_boolean(r->prefetch));
            json_object_set_new(o, "mem_type_64", json_boolean(r->mem64));
        }
        json_array_append_new(list, o);
    }
    return list;
}

/* Adds one function to the entry of its bus in the result. */
static void pci_visit(const QmpPciDevice *d, void *ctx)
{
    json_t *buses = ctx, *bus = NULL, *dev, *class_info;
    size_t i;

    json_array_foreach(buses, i, bus) {
        if (json_integer_value(json_object_get(bus, "bus")) == d->bus) {
            break;
        }
    }
    if (i == json_array_size(buses)) {
        bus = json_pack("{s:i,s:[]}", "bus", (int)d->bus, "devices");
        json_array_append_new(buses, bus);
    }
    class_info = json_pack("{s:i}", "class", d->class_code);
    if (d->class_desc) {
        json_object_set_new(class_info, "desc", qmp_string(d->class_desc));
    }
    dev = json_pack("{s:i,s:i,s:i,s:o,s:{s:i,s:i,s:i,s:i},s:i,s:o,s:o}",
                    "bus", (int)d->bus, "slot", (int)d->slot,
                    "function", (int)d->function, "class_info", class_info,
                    "id", "device", d->device_id, "vendor", d->vendor_id,
                    "subsystem", d->subsystem_id, "subsystem-vendor",
                    d->subsystem_vendor_id, "irq_pin", (int)d->irq_pin,
                    "qdev_id", qmp_string(d->qdev_id ? d->qdev_id : ""),
                    "regions", pci_regions(d));
    if (d->irq >= 0) {
        json_object_set_new(dev, "irq", json_integer(d->irq));
    }
    json_array_append_new(json_object_get(bus, "devices"), dev);
}

/* Empty until a PCI host bridge registers its walker. */
static json_t *cmd_query_pci(json_t *args, QmpErrorClass *cls, Error **errp)
{
    json_t *buses = json_array();

    for (unsigned i = 0; i < nr_pci_walkers; i++) {
        pci_walkers[i](pci_visit, buses);
    }
    return buses;
}

/* ------------------------------------------------------------------ */
/* blockdev-add / blockdev-del */

/* blockdev-add takes QEMU's nested arguments ("cache": {"direct": true})
 * and hands them to the -blockdev parser as dotted keys
 * (cache.direct=on), so both spellings accept exactly the same things. */
#define BLOCKDEV_MAX_DEPTH 4

static bool blockdev_flatten(FILE *f, json_t *obj, const char *prefix,
                             int depth, bool *first, Error **errp)
{
    const char *key, *value;
    char name[256], tmp[32];
    json_t *v;

    json_object_foreach(obj, key, v) {
        int n = snprintf(name, sizeof(name), "%s%s", prefix, key);

        if (!valid_prop_name(key) || n >= (int)sizeof(name)) {
            error_setg(errp, "Invalid parameter name '%s'", key);
            return false;
        }
        if (json_is_object(v)) {
            size_t len = strlen(name);

            if (depth == BLOCKDEV_MAX_DEPTH || len + 2 > sizeof(name)) {
                error_setg(errp, "Parameter '%s' is nested too deeply",
                           name);
                return false;
            }
            name[len] = '.';
            name[len + 1] = '\0';
            if (!blockdev_flatten(f, v, name, depth + 1, first, errp)) {
                return false;
            }
            continue;
        }
        if (!prop_value(name, v, tmp, sizeof(tmp), &value, errp)) {
            return false;
        }
        fprintf(f, "%s%s=", *first ? "" : ",", name);
        opts_put_value(f, value);
        *first = false;
    }
    return true;
}

static json_t *cmd_blockdev_add(json_t *args, QmpErrorClass *cls,
                                Error **errp)
{
    char *opts = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&opts, &len);
    bool first = true, ok;

    if (!f) {
        abort();
    }
    ok = blockdev_flatten(f, args, "", 0, &first, errp);
    fclose(f);
    ok = ok && blockdev_add(opts, errp);
    free(opts);
    return ok ? empty_return() : NULL;
}

/* Removes a node nobody uses; its file is closed before the reply
 * (block/drive.h has the rules and the errors). */
static json_t *cmd_blockdev_del(json_t *args, QmpErrorClass *cls,
                                Error **errp)
{
    const char *node = json_string_value(json_object_get(args,
                                                         "node-name"));

    return blockdev_del(node, errp) ? empty_return() : NULL;
}

/* ------------------------------------------------------------------ */
/* human-monitor-command: the few HMP commands management tools use */

typedef struct HmpCommand {
    const char *name;
    const char *help;
    void (*fn)(FILE *f, char **argv, int argc);
} HmpCommand;

static void hmp_info_mtree(FILE *f, char **argv, int argc)
{
    mtree_info(f, argc > 2 && !strcmp(argv[2], "-f"));
}

static void hmp_info_qtree(FILE *f, char **argv, int argc)
{
    qtree_info(f);
}

static void hmp_info_status(FILE *f, char **argv, int argc)
{
    fprintf(f, "VM status: %s\n", runstate_name(runstate_get()));
}

static void hmp_info_version(FILE *f, char **argv, int argc)
{
    fprintf(f, "%s (weft-%s)\n", WEFT_VERSION, WEFT_VERSION);
}

static const HmpCommand hmp_info_cmds[] = {
    { "mtree", "[-f] -- the memory tree (-f: the flat views)",
      hmp_info_mtree },
    { "qtree", "-- the device tree", hmp_info_qtree },
    { "status", "-- the run state", hmp_info_status },
    { "version", "-- the version", hmp_info_version },
};

static void hmp_info(FILE *f, char **argv, int argc)
{
    for (size_t i = 0; argc > 1 && i < ARRAY_SIZE(hmp_info_cmds); i++) {
        if (!strcmp(argv[1], hmp_info_cmds[i].name)) {
            hmp_info_cmds[i].fn(f, argv, argc);
            return;
        }
    }
    for (size_t i = 0; i < ARRAY_SIZE(hmp_info_cmds); i++) {
        fprintf(f, "info %s %s\n", hmp_info_cmds[i].name,
                hmp_info_cmds[i].help);
    }
}

/* Splits at blanks into at most max words (no quoting: the supported
 * commands take none).  line is modified. */
static int hmp_split(char *line, char **argv, int max)
{
    char *save = NULL;
    int argc = 0;

    for (char *tok = strtok_r(line, " \t\r\n", &save); tok && argc < max;
         tok = strtok_r(NULL, " \t\r\n", &save)) {
        argv[argc++] = tok;
    }
    return argc;
}

/* HMP output uses CR LF line ends, as QEMU's does. */
static json_t *hmp_output(const char *text)
{
    size_t n = strlen(text), lf = 0;
    char *crlf, *p;
    json_t *ret;

    for (size_t i = 0; i < n; i++) {
        lf += text[i] == '\n';
    }
    crlf = p = malloc(n + lf + 1);
    if (!crlf) {
        abort();
    }
    for (size_t i = 0; i < n; i++) {
        if (text[i] == '\n') {
            *p++ = '\r';
        }
        *p++ = text[i];
    }
    *p = '\0';
    ret = qmp_string(crlf);
    free(crlf);
    return ret;
}

static json_t *cmd_human_monitor_command(json_t *args, QmpErrorClass *cls,
                                         Error **errp)
{
    const char *cmdline = json_string_value(json_object_get(args,
                                                            "command-line"));
    char *line = strdup(cmdline), *out = NULL, *argv[8];
    size_t out_len = 0;
    FILE *f = open_memstream(&out, &out_len);
    json_t *ret;
    int argc;

    if (!line || !f) {
        abort();
    }
    argc = hmp_split(line, argv, ARRAY_SIZE(argv));
    if (argc == 0) {
        /* nothing to do, no output */
    } else if (!strcmp(argv[0], "info")) {
        hmp_info(f, argv, argc);
    } else if (!strcmp(argv[0], "help")) {
        fputs("info [subcommand] -- show machine information\n", f);
    } else {
        fprintf(f, "unknown command: '%s'\n", argv[0]);
    }
    fclose(f);
    ret = hmp_output(out);
    free(out);
    free(line);
    return ret;
}

/* ------------------------------------------------------------------ */
/* The table */

static json_t *cmd_query_commands(json_t *args, QmpErrorClass *cls,
                                  Error **errp);

static const QmpArgSpec args_id[] = {
    { "id", QMP_ARG_STR },
    { NULL },
};
static const QmpArgSpec args_device_add[] = {
    { "driver", QMP_ARG_STR },
    { "id", QMP_ARG_STR, .optional = true },
    { "bus", QMP_ARG_STR, .optional = true },
    { NULL },
};
static const QmpArgSpec args_blockdev_add[] = {
    { "driver", QMP_ARG_STR },
    { "node-name", QMP_ARG_STR },
    { NULL },
};
static const QmpArgSpec args_blockdev_del[] = {
    { "node-name", QMP_ARG_STR },
    { NULL },
};
static const QmpArgSpec args_hmp[] = {
    { "command-line", QMP_ARG_STR },
    { "cpu-index", QMP_ARG_INT, .optional = true },
    { NULL },
};

static const QmpCommand commands[] = {
    { "query-status", cmd_query_status },
    { "query-version", cmd_query_version },
    { "query-commands", cmd_query_commands },
    { "query-cpus-fast", cmd_query_cpus_fast, .needs_bql = true },
    { "stop", cmd_stop, .needs_bql = true },
    { "cont", cmd_cont, .needs_bql = true },
    { "system_reset", cmd_system_reset },
    { "system_powerdown", cmd_system_powerdown, .needs_bql = true },
    { "quit", cmd_quit },
    { "device_add", cmd_device_add, args_device_add, .extra_args = true,
      .needs_bql = true },
    { "device_del", cmd_device_del, args_id, .needs_bql = true },
    { "query-pci", cmd_query_pci, .needs_bql = true },
    { "blockdev-add", cmd_blockdev_add, args_blockdev_add,
      .extra_args = true, .needs_bql = true },
    { "blockdev-del", cmd_blockdev_del, args_blockdev_del,
      .needs_bql = true },
    { "human-monitor-command", cmd_human_monitor_command, args_hmp,
      .needs_bql = true },
};

static json_t *cmd_query_commands(json_t *args, QmpErrorClass *cls,
                                  Error **errp)
{
    json_t *list = json_array();

    json_array_append_new(list, json_pack("{s:s}", "name",
                                          "qmp_capabilities"));
    for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
        json_array_append_new(list, json_pack("{s:s}", "name",
                                              commands[i].name));
    }
    return list;
}

const QmpCommand *qmp_find_command(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
        if (!strcmp(commands[i].name, name)) {
            return &commands[i];
        }
    }
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Events */

static void runstate_event(RunstateEvent event, ShutdownCause cause)
{
    static const char *const names[] = {
        [RUNSTATE_EVENT_STOP] = "STOP",
        [RUNSTATE_EVENT_RESUME] = "RESUME",
        [RUNSTATE_EVENT_RESET] = "RESET",
        [RUNSTATE_EVENT_SHUTDOWN] = "SHUTDOWN",
        [RUNSTATE_EVENT_POWERDOWN] = "POWERDOWN",
    };
    json_t *data = NULL;

    if (event == RUNSTATE_EVENT_RESET || event == RUNSTATE_EVENT_SHUTDOWN) {
        data = json_pack("{s:b,s:s}", "guest",
                         shutdown_cause_is_guest(cause), "reason",
                         shutdown_cause_name(cause));
    }
    qmp_event_emit(names[event], data);
}

/* Finalize context, BQL held. */
static void device_deleted(DeviceNotifier *n, const DeviceDeletedEvent *ev)
{
    json_t *data = json_object();

    if (ev->id) {
        json_object_set_new(data, "device", qmp_string(ev->id));
    }
    json_object_set_new(data, "path", qmp_string(ev->path));
    qmp_event_emit("DEVICE_DELETED", data);
}

/* Registered for the life of the process. */
static DeviceNotifier deleted_notifier = { .notify = device_deleted };

void qmp_commands_init(void)
{
    runstate_set_event_hook(runstate_event);
    device_add_deleted_notifier(&deleted_notifier);
}
