/* Guest side of tests/pci/linux-hotplug.py, cross-compiled there (static)
 * for the RISC-V Linux guest.  One program with four jobs, so that the
 * guest script forks little while the host hot-plugs (on an emulated,
 * loaded machine every fork costs):
 *
 *   hotplug-tool io DEV COUNT_FILE
 *       Continuous O_DIRECT I/O on DEV: writes 64 KiB at rotating
 *       offsets, reads each back and compares; COUNT_FILE holds the
 *       number of rounds done (rewritten in place).  Runs until killed;
 *       exits 1 on any I/O error or mismatch.
 *   hotplug-tool pattern DEV ROUND
 *       Writes 64 KiB of "weft-hotplug-round-ROUND\n" lines at offset 0
 *       with O_DIRECT, fsyncs, reads it back and compares.
 *   hotplug-tool bar RESOURCE_FILE OFFSET UP_FILE
 *       Maps a PCI BAR through its sysfs resource file and reads the
 *       16-bit register at OFFSET in a tight loop (for virtio-pci:
 *       num_queues, side-effect free); creates UP_FILE after 1000 reads.
 *       Reads on until the BAR stops answering (the host took it away:
 *       an access fault) or SIGTERM, then prints
 *       "reads=N good=G ones=O end=SIGNAL", good counting reads equal to
 *       the first one and ones the all-ones ones.
 *   hotplug-tool kmsg TEXT READY_FILE
 *       Creates READY_FILE once it reads /dev/kmsg from its end, then
 *       waits (60 s at most) for a kernel message containing TEXT.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define CHUNK (64 << 10)

static void touch(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

    if (fd < 0) {
        perror(path);
        exit(2);
    }
    close(fd);
}

static void *chunk(void)
{
    void *p;

    if (posix_memalign(&p, 4096, CHUNK)) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    return p;
}

static void fill(char *buf, const char *fmt, unsigned long n)
{
    char line[64];
    int len = snprintf(line, sizeof(line), fmt, n);

    for (int i = 0; i < CHUNK; i++) {
        buf[i] = line[i % len];
    }
}

/* One write and read-back at off; false (with a message) on failure. */
static bool write_check(int fd, char *out, char *in, off_t off,
                        const char *what)
{
    if (pwrite(fd, out, CHUNK, off) != CHUNK || fdatasync(fd) ||
        pread(fd, in, CHUNK, off) != CHUNK) {
        fprintf(stderr, "%s: I/O error at %lld: %s\n", what,
                (long long)off, strerror(errno));
        return false;
    }
    if (memcmp(out, in, CHUNK)) {
        fprintf(stderr, "%s: read back differs at %lld\n", what,
                (long long)off);
        return false;
    }
    return true;
}

static int do_io(const char *dev, const char *count_file)
{
    int fd = open(dev, O_RDWR | O_DIRECT);
    int cfd = open(count_file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    char *out = chunk(), *in = chunk();
    off_t slots;

    if (fd < 0 || cfd < 0) {
        perror("io: open");
        return 1;
    }
    slots = lseek(fd, 0, SEEK_END) / (2 * CHUNK);
    if (slots <= 0) {
        fprintf(stderr, "io: %s is too small\n", dev);
        return 1;
    }
    for (unsigned long n = 1;; n++) {
        char text[24];
        int len;

        fill(out, "weft-io-%lu\n", n);
        if (!write_check(fd, out, in, (off_t)(n % slots) * 2 * CHUNK,
                         "io")) {
            return 1;
        }
        /* Fixed width, so a reader of the file always sees one number. */
        len = snprintf(text, sizeof(text), "%020lu\n", n);
        if (pwrite(cfd, text, len, 0) != len) {
            perror("io: count");
            return 1;
        }
    }
}

static int do_pattern(const char *dev, unsigned long round)
{
    int fd = open(dev, O_RDWR | O_DIRECT);
    char *out = chunk(), *in = chunk();

    if (fd < 0) {
        perror(dev);
        return 1;
    }
    fill(out, "weft-hotplug-round-%lu\n", round);
    return write_check(fd, out, in, 0, "pattern") && !close(fd) ? 0 : 1;
}

static volatile uint64_t reads, good, ones;

static void bar_report(int sig)
{
    char line[128];
    int n = snprintf(line, sizeof(line), "reads=%llu good=%llu ones=%llu "
                     "end=%s\n", (unsigned long long)reads,
                     (unsigned long long)good, (unsigned long long)ones,
                     sig == SIGBUS ? "SIGBUS" : sig == SIGSEGV ? "SIGSEGV"
                                                               : "SIGTERM");

    /* write(): async-signal-safe, unlike stdio. */
    _exit(write(1, line, n) == n ? 0 : 3);
}

static int do_bar(const char *res, unsigned long off, const char *up)
{
    int fd = open(res, O_RDONLY | O_SYNC);
    struct sigaction sa = { .sa_handler = bar_report };
    volatile uint16_t *reg;
    uint8_t *bar;
    uint16_t first;

    if (fd < 0) {
        perror(res);
        return 1;
    }
    bar = mmap(NULL, off + 4096, PROT_READ, MAP_SHARED, fd, 0);
    if (bar == MAP_FAILED) {
        perror("bar: mmap");
        return 1;
    }
    sigaction(SIGBUS, &sa, NULL);
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    reg = (volatile uint16_t *)(bar + off);
    first = *reg;
    for (;;) {
        uint16_t v = *reg;

        reads++;
        good += v == first;
        ones += v == 0xffff;
        if (reads == 1000) {
            touch(up);
        }
    }
}

static int do_kmsg(const char *text, const char *ready)
{
    int fd = open("/dev/kmsg", O_RDONLY);
    char rec[8192];

    if (fd < 0 || lseek(fd, 0, SEEK_END) < 0) {
        perror("/dev/kmsg");
        return 1;
    }
    touch(ready);
    alarm(60);
    for (;;) {
        ssize_t n = read(fd, rec, sizeof(rec) - 1);

        if (n < 0 && errno == EPIPE) {
            continue;           /* records lost to overwriting */
        }
        if (n <= 0) {
            perror("kmsg: read");
            return 1;
        }
        rec[n] = '\0';
        if (strstr(rec, text)) {
            return 0;
        }
    }
}

int main(int argc, char **argv)
{
    if (argc == 4 && !strcmp(argv[1], "io")) {
        return do_io(argv[2], argv[3]);
    }
    if (argc == 4 && !strcmp(argv[1], "pattern")) {
        return do_pattern(argv[2], strtoul(argv[3], NULL, 0));
    }
    if (argc == 5 && !strcmp(argv[1], "bar")) {
        return do_bar(argv[2], strtoul(argv[3], NULL, 0), argv[4]);
    }
    if (argc == 4 && !strcmp(argv[1], "kmsg")) {
        return do_kmsg(argv[2], argv[3]);
    }
    fprintf(stderr, "usage: hotplug-tool io DEV COUNT | pattern DEV ROUND |"
            " bar RESOURCE OFFSET UP | kmsg TEXT READY\n");
    return 2;
}
