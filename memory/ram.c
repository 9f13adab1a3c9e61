/* RAM blocks: host memory behind RAM and ROM regions, and their dirty
 * bitmaps (one bit per target page and client, updated atomically). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "memory/memory-internal.h"

static uint64_t host_page_align(uint64_t size)
{
    uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);

    return (size + page - 1) & ~(page - 1);
}

static void ram_block_free_struct(RAMBlock *rb);

/* The block and its dirty bitmaps; NULL with errp set if the host cannot
 * provide them (a huge -m fails here or at the mmap, never aborts). */
static RAMBlock *ram_block_alloc(MemoryRegion *mr, uint64_t size,
                                 Error **errp)
{
    RAMBlock *rb = calloc(1, sizeof(*rb));
    uint64_t words;

    if (!rb) {
        error_setg(errp, "RAM '%s': out of memory", mr->name);
        return NULL;
    }
    rb->mr = mr;
    rb->size = size;
    rb->fd = -1;
    rb->pages = (size + TARGET_PAGE_SIZE - 1) >> TARGET_PAGE_BITS;
    words = (rb->pages + DIRTY_BITS_PER_WORD - 1) / DIRTY_BITS_PER_WORD;
    for (unsigned c = 0; c < DIRTY_CLIENT_NUM; c++) {
        rb->dirty[c] = calloc(words ? words : 1, sizeof(unsigned long));
        if (!rb->dirty[c]) {
            error_setg(errp, "RAM '%s': cannot allocate the dirty bitmaps "
                       "for %" PRIu64 " bytes", mr->name, size);
            ram_block_free_struct(rb);
            return NULL;
        }
    }
    return rb;
}

static void ram_block_free_struct(RAMBlock *rb)
{
    for (unsigned c = 0; c < DIRTY_CLIENT_NUM; c++) {
        free(rb->dirty[c]);
    }
    free(rb);
}

RAMBlock *ram_block_new_anon(MemoryRegion *mr, uint64_t size, Error **errp)
{
    uint64_t mapped_size;
    RAMBlock *rb;
    void *host;

    if (size == 0 || size > (UINT64_MAX >> 1)) {
        error_setg(errp, "RAM '%s': invalid size %" PRIu64, mr->name, size);
        return NULL;
    }
    /* Map first: a size the host cannot map fails here, before the dirty
     * bitmaps (sized by the RAM) are allocated. */
    mapped_size = host_page_align(size);
    host = mmap(NULL, mapped_size, PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (host == MAP_FAILED) {
        error_setg_errno(errp, errno, "RAM '%s': cannot map %" PRIu64
                         " bytes", mr->name, size);
        return NULL;
    }
    rb = ram_block_alloc(mr, size, errp);
    if (!rb) {
        munmap(host, mapped_size);
        return NULL;
    }
    rb->mapped_size = mapped_size;
    rb->host = host;
    return rb;
}

RAMBlock *ram_block_new_file(MemoryRegion *mr, uint64_t size,
                             const char *path, bool shared, Error **errp)
{
    RAMBlock *rb;
    struct stat st;
    void *host;
    int fd;

    if (size == 0 || size > (UINT64_MAX >> 1)) {
        error_setg(errp, "RAM '%s': invalid size %" PRIu64, mr->name, size);
        return NULL;
    }
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        error_setg_errno(errp, errno, "RAM '%s': cannot open '%s'",
                         mr->name, path);
        return NULL;
    }
    rb = ram_block_alloc(mr, size, errp);
    if (!rb) {
        close(fd);
        return NULL;
    }
    rb->mapped_size = host_page_align(size);
    if (fstat(fd, &st) < 0 ||
        (S_ISREG(st.st_mode) && (uint64_t)st.st_size < rb->mapped_size &&
         ftruncate(fd, (off_t)rb->mapped_size) < 0)) {
        error_setg_errno(errp, errno, "RAM '%s': cannot size '%s'",
                         mr->name, path);
        goto fail;
    }
    host = mmap(NULL, rb->mapped_size, PROT_READ | PROT_WRITE,
                shared ? MAP_SHARED : MAP_PRIVATE, fd, 0);
    if (host == MAP_FAILED) {
        error_setg_errno(errp, errno, "RAM '%s': cannot map '%s'",
                         mr->name, path);
        goto fail;
    }
    rb->host = host;
    rb->fd = fd;            /* kept open: vhost-user may pass it on */
    rb->shared = shared;
    return rb;

fail:
    close(fd);
    ram_block_free_struct(rb);
    return NULL;
}

RAMBlock *ram_block_new_ptr(MemoryRegion *mr, uint64_t size, void *host)
{
    /* The caller already holds memory of this size: bitmaps for it fit. */
    RAMBlock *rb = ram_block_alloc(mr, size, NULL);

    assert(host && rb);
    rb->host = host;
    rb->mapped_size = size;
    rb->caller_memory = true;
    return rb;
}

void ram_block_free(RAMBlock *rb)
{
    if (!rb->caller_memory) {
        munmap(rb->host, rb->mapped_size);
    }
    if (rb->fd >= 0) {
        close(rb->fd);
    }
    ram_block_free_struct(rb);
}

/* ---- dirty bitmaps */

static RAMBlock *dirty_block(MemoryRegion *mr)
{
    memory_region_check(mr);
    assert(mr->kind == MR_KIND_RAM);
    return mr->ram_block;
}

/* Clips [offset, offset + size) to rb; false if nothing is left. */
static bool dirty_pages(const RAMBlock *rb, hwaddr offset, uint64_t size,
                        uint64_t *first, uint64_t *last)
{
    if (!size || offset >= rb->size) {
        return false;
    }
    if (size > rb->size - offset) {
        size = rb->size - offset;
    }
    *first = offset >> TARGET_PAGE_BITS;
    *last = (offset + size - 1) >> TARGET_PAGE_BITS;
    return true;
}

/* Bits of the word holding `page` that lie in [page, last]. */
static unsigned long word_mask(uint64_t page, uint64_t last)
{
    unsigned lo = page % DIRTY_BITS_PER_WORD;
    uint64_t word_last = page - lo + DIRTY_BITS_PER_WORD - 1;
    unsigned hi = (last < word_last ? last : word_last) % DIRTY_BITS_PER_WORD;
    unsigned long upto = hi == DIRTY_BITS_PER_WORD - 1 ? ~0ul
                         : (1ul << (hi + 1)) - 1;

    return upto & ~((1ul << lo) - 1);
}

/* Visits the words covering [first, last]: returns whether any bit in
 * range was set, clearing them if clear. */
static bool dirty_scan(unsigned long *map, uint64_t first, uint64_t last,
                       bool clear)
{
    bool dirty = false;
    uint64_t page = first;

    while (page <= last) {
        unsigned long mask = word_mask(page, last);
        unsigned long *word = &map[page / DIRTY_BITS_PER_WORD];

        if (atomic_read(word) & mask) {
            dirty = true;
            if (clear) {
                atomic_fetch_and(word, ~mask);
            } else {
                return true;
            }
        }
        page = (page | (DIRTY_BITS_PER_WORD - 1)) + 1;
    }
    return dirty;
}

void memory_region_set_dirty(MemoryRegion *mr, hwaddr offset, uint64_t size)
{
    RAMBlock *rb = dirty_block(mr);

    ram_block_set_dirty(rb, offset, size, memory_region_get_dirty_log_mask(mr));
}

bool memory_region_get_dirty(MemoryRegion *mr, hwaddr offset, uint64_t size,
                             DirtyClient client)
{
    RAMBlock *rb = dirty_block(mr);
    uint64_t first, last;

    assert(client < DIRTY_CLIENT_NUM);
    if (!dirty_pages(rb, offset, size, &first, &last)) {
        return false;
    }
    return dirty_scan(rb->dirty[client], first, last, false);
}

bool memory_region_test_and_clear_dirty(MemoryRegion *mr, hwaddr offset,
                                        uint64_t size, DirtyClient client)
{
    RAMBlock *rb = dirty_block(mr);
    uint64_t first, last;

    assert(client < DIRTY_CLIENT_NUM);
    if (!dirty_pages(rb, offset, size, &first, &last)) {
        return false;
    }
    return dirty_scan(rb->dirty[client], first, last, true);
}

void memory_region_reset_dirty(MemoryRegion *mr, hwaddr offset, uint64_t size,
                               DirtyClient client)
{
    memory_region_test_and_clear_dirty(mr, offset, size, client);
}
