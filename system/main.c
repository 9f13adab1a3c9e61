/* weft's entry point: QEMU-style command line, machine set-up, main loop. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config-host.h"
#include "block/drive.h"
#include "hw/core/device.h"
#include "memory/memory.h"
#include "net/net.h"
#include "system/bql.h"
#include "system/chardev.h"
#include "system/event-loop.h"
#include "system/machine.h"
#include "system/monitor/qmp.h"
#include "system/runstate.h"
#include "cpu/cpu.h"
#include "util/keyval.h"
#include "util/log.h"
#include "util/rcu.h"

#define MAX_REPEATED_OPTS 64

typedef struct Options {
    const char *machine;
    const char *mem;
    const char *smp;
    const char *accel;
    const char *log_items;
    const char *log_file;
    bool nographic;
    const char *kernel;
    const char *bios;
    const char *initrd;
    const char *append;
    const char *serial;
    bool no_reboot;
    const char *objects[MAX_REPEATED_OPTS];
    unsigned nr_objects;
    const char *chardevs[MAX_REPEATED_OPTS];
    unsigned nr_chardevs;
    const char *devices[MAX_REPEATED_OPTS];
    unsigned nr_devices;
    const char *drives[MAX_REPEATED_OPTS];
    unsigned nr_drives;
    const char *blockdevs[MAX_REPEATED_OPTS];
    unsigned nr_blockdevs;
    const char *qmp[MAX_REPEATED_OPTS];
    unsigned nr_qmp;
    const char *netdevs[MAX_REPEATED_OPTS];
    unsigned nr_netdevs;
} Options;

static void WEFT_NORETURN die(const char *fmt, ...) WEFT_PRINTF(1, 2);

static void die(const char *fmt, ...)
{
    va_list ap;

    fputs("weft: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

static void WEFT_NORETURN die_err(Error *err)
{
    error_report_err(err);
    exit(1);
}

static void print_help(void)
{
    printf("usage: weft [options]\n\n"
           "-M, -machine NAME[,dumpdtb=FILE]\n"
           "                    board to emulate (-M help lists them);\n"
           "                    dumpdtb writes the device tree and exits\n"
           "-m SIZE             guest RAM, e.g. 512M or 1G (plain number: MiB)\n"
           "-smp N              number of vCPUs (also cpus=N)\n"
           "-accel tcg|kvm      accelerator (-enable-kvm = -accel kvm)\n"
           "-object iothread,id=NAME\n"
           "                    start an iothread running its own event loop\n"
           "-device DRIVER[,prop=value...]\n"
           "                    add a device (-device help lists them)\n"
           "-drive file=FILE[,if=virtio|none][,id=ID][,readonly=on]\n"
           "       [,cache=none|writeback][,serial=S][,iothread=NAME]\n"
           "                    a raw disk image (docs/virtio-blk.md)\n"
           "-blockdev driver=file,node-name=N,filename=FILE[,read-only=on]\n"
           "       [,cache.direct=on]\n"
           "                    a block node for -device ...,drive=N\n"
           "-netdev user|tap,id=ID[,...]\n"
           "                    a network backend for -device "
           "virtio-net-device,netdev=ID\n"
           "                    (-netdev help; docs/virtio-net.md)\n"
           "-kernel FILE        guest kernel or bare-metal program (ELF)\n"
           "-bios FILE|none     firmware (spike: only 'none')\n"
           "-initrd FILE        initial RAM disk\n"
           "-append STRING      kernel command line\n"
           "-serial stdio|file:PATH|null|pty|chardev:ID\n"
           "                    where the first serial port goes\n"
           "-chardev BACKEND,id=ID[,...]\n"
           "                    a character device for chardev=ID or\n"
           "                    -serial chardev:ID (-chardev help: backends)\n"
           "-no-reboot          exit instead of resetting on a guest reboot\n"
           "-qmp unix:PATH|tcp:HOST:PORT,server=on[,wait=on|off]\n"
           "                    QMP monitor socket (docs/qmp.md)\n"
           "-nographic          no graphical console\n"
           "-d ITEM[,...]       debug log items (-d help lists them)\n"
           "-D FILE             write the debug log to FILE\n"
           "-h, -help           this text\n"
           "-version            version\n");
}

typedef enum { ARG_NONE, ARG_ONE } ArgKind;

typedef struct OptionDef {
    const char *name;
    ArgKind arg;
    void (*handle)(Options *o, const char *arg);
} OptionDef;

static void opt_machine(Options *o, const char *a) { o->machine = a; }
static void opt_mem(Options *o, const char *a) { o->mem = a; }
static void opt_smp(Options *o, const char *a) { o->smp = a; }
static void opt_accel(Options *o, const char *a) { o->accel = a; }
static void opt_enable_kvm(Options *o, const char *a) { o->accel = "kvm"; }
static void opt_log(Options *o, const char *a) { o->log_items = a; }
static void opt_log_file(Options *o, const char *a) { o->log_file = a; }
static void opt_nographic(Options *o, const char *a) { o->nographic = true; }
static void opt_kernel(Options *o, const char *a) { o->kernel = a; }
static void opt_bios(Options *o, const char *a) { o->bios = a; }
static void opt_initrd(Options *o, const char *a) { o->initrd = a; }
static void opt_append(Options *o, const char *a) { o->append = a; }
static void opt_no_reboot(Options *o, const char *a) { o->no_reboot = true; }

static void opt_serial(Options *o, const char *a)
{
    if (o->serial) {
        die("-serial %s: only one serial port is supported", a);
    }
    o->serial = a;
}

static void opt_chardev(Options *o, const char *a)
{
    if (!strcmp(a, "help")) {
        chardev_print_help(stdout);
        exit(0);
    }
    if (o->nr_chardevs == MAX_REPEATED_OPTS) {
        die("-chardev: too many character devices (at most %d)",
            MAX_REPEATED_OPTS);
    }
    o->chardevs[o->nr_chardevs++] = a;
}

static void opt_object(Options *o, const char *a)
{
    if (o->nr_objects == MAX_REPEATED_OPTS) {
        die("-object: too many objects (at most %d)", MAX_REPEATED_OPTS);
    }
    o->objects[o->nr_objects++] = a;
}

static void opt_device(Options *o, const char *a)
{
    if (o->nr_devices == MAX_REPEATED_OPTS) {
        die("-device: too many devices (at most %d)", MAX_REPEATED_OPTS);
    }
    o->devices[o->nr_devices++] = a;
}

static void opt_drive(Options *o, const char *a)
{
    if (o->nr_drives == MAX_REPEATED_OPTS) {
        die("-drive: too many drives (at most %d)", MAX_REPEATED_OPTS);
    }
    o->drives[o->nr_drives++] = a;
}

static void opt_blockdev(Options *o, const char *a)
{
    if (o->nr_blockdevs == MAX_REPEATED_OPTS) {
        die("-blockdev: too many nodes (at most %d)", MAX_REPEATED_OPTS);
    }
    o->blockdevs[o->nr_blockdevs++] = a;
}

static void opt_netdev(Options *o, const char *a)
{
    if (net_netdev_opts_help(a, stdout)) {
        exit(0);
    }
    if (o->nr_netdevs == MAX_REPEATED_OPTS) {
        die("-netdev: too many netdevs (at most %d)", MAX_REPEATED_OPTS);
    }
    o->netdevs[o->nr_netdevs++] = a;
}

static void opt_qmp(Options *o, const char *a)
{
    if (o->nr_qmp == MAX_REPEATED_OPTS) {
        die("-qmp: too many monitors (at most %d)", MAX_REPEATED_OPTS);
    }
    o->qmp[o->nr_qmp++] = a;
}

static void opt_help(Options *o, const char *a)
{
    print_help();
    exit(0);
}

static void opt_version(Options *o, const char *a)
{
    printf("weft version %s\n", WEFT_VERSION);
    exit(0);
}

static const OptionDef option_defs[] = {
    { "M", ARG_ONE, opt_machine },
    { "machine", ARG_ONE, opt_machine },
    { "m", ARG_ONE, opt_mem },
    { "smp", ARG_ONE, opt_smp },
    { "accel", ARG_ONE, opt_accel },
    { "enable-kvm", ARG_NONE, opt_enable_kvm },
    { "object", ARG_ONE, opt_object },
    { "device", ARG_ONE, opt_device },
    { "drive", ARG_ONE, opt_drive },
    { "blockdev", ARG_ONE, opt_blockdev },
    { "netdev", ARG_ONE, opt_netdev },
    { "nographic", ARG_NONE, opt_nographic },
    { "kernel", ARG_ONE, opt_kernel },
    { "bios", ARG_ONE, opt_bios },
    { "initrd", ARG_ONE, opt_initrd },
    { "append", ARG_ONE, opt_append },
    { "serial", ARG_ONE, opt_serial },
    { "chardev", ARG_ONE, opt_chardev },
    { "no-reboot", ARG_NONE, opt_no_reboot },
    { "qmp", ARG_ONE, opt_qmp },
    { "d", ARG_ONE, opt_log },
    { "D", ARG_ONE, opt_log_file },
    { "h", ARG_NONE, opt_help },
    { "help", ARG_NONE, opt_help },
    { "version", ARG_NONE, opt_version },
};

static void parse_command_line(Options *o, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *name = argv[i];
        const OptionDef *def = NULL;

        if (name[0] != '-') {
            die("%s: unexpected argument (options start with '-')", name);
        }
        name += name[1] == '-' ? 2 : 1;   /* --opt works like -opt */
        for (size_t j = 0; j < ARRAY_SIZE(option_defs); j++) {
            if (!strcmp(option_defs[j].name, name)) {
                def = &option_defs[j];
                break;
            }
        }
        if (!def) {
            die("%s: invalid option (try -help)", argv[i]);
        }
        if (def->arg == ARG_ONE && i + 1 >= argc) {
            die("%s: requires an argument", argv[i]);
        }
        def->handle(o, def->arg == ARG_ONE ? argv[++i] : NULL);
    }
}

/* -M NAME[,dumpdtb=FILE]: the board and its machine properties. */
static const MachineClass *parse_machine(const char *arg, MachineState *ms)
{
    const MachineClass *mc;
    const char *name;
    Error *err = NULL;
    KeyVal *kv;

    if (!arg) {
        return machine_find("none");
    }
    kv = keyval_parse(arg, "type", &err);
    if (!kv) {
        die("-M %s: %s", arg, error_get_pretty(err));
    }
    name = keyval_get(kv, "type");
    if (!name) {
        die("-M %s: the machine name is missing", arg);
    }
    mc = machine_find(name);
    if (!mc) {
        die("-M %s: unknown machine '%s' (try -M help)", arg, name);
    }
    for (size_t i = 0; i < kv->count; i++) {
        const char *key = kv->pairs[i].key;

        if (!strcmp(key, "dumpdtb")) {
            /* Strings of the command line live as long as the process;
             * the copy does too, held by a static so that exit() from
             * anywhere does not leave it unreachable. */
            static char *dumpdtb_path;

            free(dumpdtb_path);
            dumpdtb_path = strdup(kv->pairs[i].value);
            if (!dumpdtb_path) {
                die("-M %s: out of memory", arg);
            }
            ms->dumpdtb = dumpdtb_path;
        } else if (strcmp(key, "type")) {
            die("-M %s: unknown machine property '%s'", arg, key);
        }
    }
    keyval_free(kv);
    return mc;
}

/* -m SIZE or -m size=SIZE; a bare number means MiB, as in QEMU. */
static uint64_t parse_ram_size(const char *arg, uint64_t def)
{
    KeyVal *kv;
    const char *s;
    char *with_unit = NULL;
    uint64_t size;
    Error *err = NULL;

    if (!arg) {
        return def;
    }
    kv = keyval_parse(arg, "size", &err);
    if (!kv) {
        die("-m %s: %s", arg, error_get_pretty(err));
    }
    s = keyval_get(kv, "size");
    if (!s || kv->count != keyval_count(kv, "size")) {
        die("-m %s: only 'size' is supported", arg);
    }
    if (*s && strspn(s, "0123456789") == strlen(s)) {
        if (asprintf(&with_unit, "%sM", s) < 0) {
            abort();
        }
        s = with_unit;
    }
    if (!parse_size(s, &size, &err)) {
        die("-m %s: %s", arg, error_get_pretty(err));
    }
    if (size == 0) {
        die("-m %s: RAM size must be larger than zero", arg);
    }
    free(with_unit);
    keyval_free(kv);
    return size;
}

/* -smp N or -smp cpus=N */
static unsigned parse_smp(const char *arg, unsigned max_cpus)
{
    KeyVal *kv;
    const char *s;
    uint64_t n;
    Error *err = NULL;

    if (!arg) {
        return 1;
    }
    kv = keyval_parse(arg, "cpus", &err);
    if (!kv) {
        die("-smp %s: %s", arg, error_get_pretty(err));
    }
    for (size_t i = 0; i < kv->count; i++) {
        if (strcmp(kv->pairs[i].key, "cpus")) {
            die("-smp %s: unsupported parameter '%s'", arg, kv->pairs[i].key);
        }
    }
    s = keyval_get(kv, "cpus");
    if (!parse_uint64(s, &n, &err)) {
        die("-smp %s: %s", arg, error_get_pretty(err));
    }
    if (n == 0) {
        die("-smp %s: the CPU count must be at least 1", arg);
    }
    if (n > max_cpus) {
        die("-smp %s: this machine supports at most %u CPUs", arg, max_cpus);
    }
    keyval_free(kv);
    return n;
}

static void create_object(const char *arg)
{
    Error *err = NULL;
    KeyVal *kv = keyval_parse(arg, "qom-type", &err);
    const char *type, *id;

    if (!kv) {
        die("-object %s: %s", arg, error_get_pretty(err));
    }
    type = keyval_get(kv, "qom-type");
    id = keyval_get(kv, "id");
    if (!type || strcmp(type, "iothread")) {
        die("-object %s: unknown object type '%s' (supported: iothread)",
            arg, type ? type : "");
    }
    for (size_t i = 0; i < kv->count; i++) {
        const char *k = kv->pairs[i].key;

        if (strcmp(k, "qom-type") && strcmp(k, "id")) {
            die("-object %s: iothread has no parameter '%s'", arg, k);
        }
    }
    if (!id) {
        die("-object %s: parameter 'id' is missing", arg);
    }
    if (!iothread_create(id, &err)) {
        die("-object %s: %s", arg, error_get_pretty(err));
    }
    keyval_free(kv);
}

/* -accel: each board runs on one accelerator (MachineClass.accel); the
 * option may only confirm it.  Returns the one to use. */
static const char *check_accel(const char *accel, const MachineClass *mc)
{
    const char *board_accel = mc->accel ? mc->accel : "tcg";

    if (!accel) {
        return board_accel;
    }
    if (strcmp(accel, "tcg") && strcmp(accel, "kvm")) {
        die("-accel %s: unknown accelerator (supported: tcg, kvm)", accel);
    }
    if (!strcmp(accel, "kvm") && !CONFIG_KVM) {
        die("-accel kvm: KVM mode needs an x86-64 Linux host; this weft "
            "was built without it");
    }
    if (strcmp(accel, board_accel)) {
        die("-accel %s: machine '%s' runs only with -accel %s%s", accel,
            mc->name, board_accel,
            strcmp(board_accel, "tcg") ? "" : " (KVM mode: -M microvm)");
    }
    return accel;
}

static bool machine_has_cpus(void)
{
    CPUState *cpu;

    CPU_FOREACH(cpu) {
        return true;
    }
    return false;
}

/* BQL held on entry and on return.  Runs the vCPUs and the main loop
 * until a shutdown request; returns the exit status it carries.  A reset
 * request (guest reboot) pauses every vCPU, resets the machine and lets
 * it run again. */
static int run_machine(bool no_reboot)
{
    runstate_set_no_reboot(no_reboot);
    /* Power-on reset: boards place images and build their device tree
     * here, after every -device was added.  It may end the run at once
     * (-M virt,dumpdtb=FILE). */
    qemu_system_reset();
    if (!shutdown_requested()) {
        vm_start();
    }
    /* At least once: a request made before the loop (a signal during
     * set-up) is reported there too. */
    for (;;) {
        bql_unlock();
        main_loop_run_until_shutdown();
        bql_lock();
        if (shutdown_requested() || !reset_request_consume()) {
            break;
        }
        pause_all_vcpus();
        qemu_system_reset();
        if (runstate_get() == RUN_STATE_RUNNING) {
            resume_all_vcpus();   /* QMP stop: stay paused across a reset */
        }
    }
    cpus_stop_and_join_all();
    fflush(stdout);
    return shutdown_status();
}

int main(int argc, char **argv)
{
    Options o = { 0 };
    MachineState ms = { 0 };
    const MachineClass *mc;
    Error *err = NULL;
    int status;

    parse_command_line(&o, argc, argv);

    if (o.log_items) {
        if (!strcmp(o.log_items, "help")) {
            log_print_help();
            return 0;
        }
        if (!log_parse_items(o.log_items, &log_mask, &err)) {
            die_err(err);
        }
    }
    if (o.log_file && !log_set_file(o.log_file, &err)) {
        die_err(err);
    }
    if (o.machine && !strcmp(o.machine, "help")) {
        machine_print_list();
        return 0;
    }
    for (unsigned i = 0; i < o.nr_devices; i++) {
        bool help_printed = device_opts_help(o.devices[i], stdout, &err);

        if (err) {
            die("-device %s: %s", o.devices[i], error_get_pretty(err));
        }
        if (help_printed) {
            return 0;
        }
    }
    mc = parse_machine(o.machine, &ms);
    ms.accel = check_accel(o.accel, mc);
    ms.mc = mc;
    ms.ram_size = parse_ram_size(o.mem, mc->default_ram_size);
    ms.smp_cpus = parse_smp(o.smp, mc->max_cpus);
    ms.nographic = o.nographic;
    ms.kernel_filename = o.kernel;
    ms.bios_name = o.bios;
    ms.initrd_filename = o.initrd;
    ms.kernel_cmdline = o.append;
    ms.serial = o.serial;
    ms.no_reboot = o.no_reboot;

    /* Before anything a clean exit must undo (QMP socket files). */
    runstate_init_signals();
    weft_rcu_register_thread();
    if (!main_loop_init(&err)) {
        die_err(err);
    }
    bql_lock();
    /* Before the machine: -serial chardev:ID and -device chardev=ID. */
    for (unsigned i = 0; i < o.nr_chardevs; i++) {
        if (!chardev_new_from_opts(o.chardevs[i], &err)) {
            die("-chardev %s: %s", o.chardevs[i], error_get_pretty(err));
        }
    }
    for (unsigned i = 0; i < o.nr_objects; i++) {
        create_object(o.objects[i]);
    }
    /* Before the devices that name them with drive=. */
    for (unsigned i = 0; i < o.nr_blockdevs; i++) {
        if (!blockdev_add(o.blockdevs[i], &err)) {
            die("-blockdev %s: %s", o.blockdevs[i], error_get_pretty(err));
        }
    }
    for (unsigned i = 0; i < o.nr_drives; i++) {
        if (!drive_add(o.drives[i], &err)) {
            die("-drive %s: %s", o.drives[i], error_get_pretty(err));
        }
    }
    /* Before the devices that name them with netdev=. */
    for (unsigned i = 0; i < o.nr_netdevs; i++) {
        if (!net_netdev_add(o.netdevs[i], &err)) {
            die("-netdev %s: %s", o.netdevs[i], error_get_pretty(err));
        }
    }
    if (!machine_create(&ms, &err)) {
        die_err(err);
    }
    for (unsigned i = 0; i < o.nr_devices; i++) {
        if (!device_add(o.devices[i], &err)) {
            die("-device %s: %s", o.devices[i], error_get_pretty(err));
        }
    }
    /* -drive if=virtio after -device, as in QEMU. */
    if (!drive_create_devices(&err)) {
        die_err(err);
    }
    if (mc->devices_done && !mc->devices_done(&ms, &err)) {
        die_err(err);
    }
    machine_done(&ms);
    net_check_peers();
    for (unsigned i = 0; i < o.nr_qmp; i++) {
        if (!qmp_server_add(o.qmp[i], &err)) {
            die("-qmp %s: %s", o.qmp[i], error_get_pretty(err));
        }
    }
    if (log_enabled(LOG_MTREE)) {
        mtree_info(stdout, true);
    }
    /* A board without CPUs: set-up was the whole job. */
    status = machine_has_cpus() ? run_machine(ms.no_reboot) : 0;
    qmp_cleanup();
    bql_unlock();
    drive_exit();
    net_exit();
    iothread_destroy_all();
    log_close();
    return status;
}
