/* Dispatch: guest and DMA accesses through an address space.
 *
 * Order for one piece of an access (DESIGN §3):
 *   1. in an RCU read section, look the address up in the current view
 *      (through IOMMUs);
 *   2. RAM: copy directly, still inside the read section, no lock;
 *   3. I/O: a write matching an ioeventfd signals it and is done;
 *      otherwise take a reference on the region's owner, leave the read
 *      section, call the handler (under the BQL unless the region is
 *      lockless or the caller holds it), drop the reference.
 * Values travel in "le" form (byte i of the access in bits 8i..8i+7) until
 * they reach a handler or the caller, which convert to their byte order.
 */
#include <endian.h>
#include <inttypes.h>
#include <string.h>

#include "memory/memory-internal.h"
#include "system/bql.h"
#include "util/host-mem.h"
#include "util/log.h"

/* The view may change under a thread that neither holds the BQL nor is an
 * online RCU reader: such a thread must not access memory. */
static void access_check_thread(void)
{
    assert(bql_locked() ||
           (weft_rcu_thread_registered() && weft_rcu_thread_online()));
}

static const char *access_name(bool is_write)
{
    return is_write ? "write" : "read";
}

/* ---- RAM */

static void ram_mark_written(MemoryRegion *mr, hwaddr offset, uint64_t len)
{
    ram_block_set_dirty(mr->ram_block, offset, len,
                        memory_region_get_dirty_log_mask(mr));
}

/* Inside the read section that found s. */
static MemTxResult ram_access(const MemoryRegionSection *s, uint8_t *buf,
                              bool is_write)
{
    uint8_t *host = s->mr->ram_block->host + s->offset_within_region;

    if (!is_write) {
        memcpy(buf, host, s->size);
        return MEMTX_OK;
    }
    if (s->readonly) {
        log_mask_printf(LOG_GUEST_ERROR, "memory: write to read-only '%s' "
                        "at offset 0x%" PRIx64 " dropped\n", s->mr->name,
                        s->offset_within_region);
        return MEMTX_ACCESS_ERROR;
    }
    memcpy(host, buf, s->size);
    ram_mark_written(s->mr, s->offset_within_region, s->size);
    return MEMTX_OK;
}

/* ---- I/O handlers */

/* The BQL around handlers, taken at most once per access. */
typedef struct IoLock {
    bool taken;
} IoLock;

static void io_lock(MemoryRegion *mr, IoLock *lk)
{
    if (lk->taken || memory_region_is_lockless(mr) || bql_locked()) {
        return;
    }
    /* Sleeping on the BQL inside a read section would hold up grace
     * periods: callers leave it first, holding a reference instead. */
    assert(!weft_rcu_in_read_section());
    bql_lock();
    lk->taken = true;
}

static void io_unlock(IoLock *lk)
{
    if (lk->taken) {
        bql_unlock();
        lk->taken = false;
    }
}

/* Whether the bus accepts the access (the ops' "valid" rules). */
static bool io_access_valid(MemoryRegion *mr, hwaddr offset, unsigned size,
                            bool is_write, MemTxAttrs attrs)
{
    const MemoryRegionOps *ops = mr->ops;
    unsigned min = ops->valid.min_access_size ? ops->valid.min_access_size : 1;
    unsigned max = ops->valid.max_access_size ? ops->valid.max_access_size : 8;
    uint64_t region_size = atomic_read(&mr->size);

    if (!access_size_ok(size) || size < min || size > max ||
        (!ops->valid.unaligned && (offset & (size - 1))) ||
        offset >= region_size || size > region_size - offset) {
        return false;
    }
    return !ops->valid.accepts ||
           ops->valid.accepts(mr->opaque, offset, size, is_write, attrs);
}

static MemTxResult io_call_read(MemoryRegion *mr, hwaddr offset,
                                unsigned size, uint64_t *value,
                                MemTxAttrs attrs)
{
    const MemoryRegionOps *ops = mr->ops;

    *value = 0;
    if (ops->read_with_attrs) {
        return ops->read_with_attrs(mr->opaque, offset, value, size, attrs);
    }
    if (ops->read) {
        *value = ops->read(mr->opaque, offset, size);
        return MEMTX_OK;
    }
    return MEMTX_ACCESS_ERROR;
}

static MemTxResult io_call_write(MemoryRegion *mr, hwaddr offset,
                                 unsigned size, uint64_t value,
                                 MemTxAttrs attrs)
{
    const MemoryRegionOps *ops = mr->ops;

    if (ops->write_with_attrs) {
        return ops->write_with_attrs(mr->opaque, offset, value, size, attrs);
    }
    if (ops->write) {
        ops->write(mr->opaque, offset, value, size);
        return MEMTX_OK;
    }
    return MEMTX_ACCESS_ERROR;
}

static unsigned pow2_floor8(uint64_t n)
{
    unsigned p = 8;

    while (p > n) {
        p >>= 1;
    }
    return p;
}

/* The handler access that covers byte pos of an access ending at end:
 * the largest the callbacks implement, aligned unless they take
 * unaligned offsets, widened to impl.min (then it starts before pos or
 * ends after end). */
static void io_chunk(const MemoryRegionOps *ops, hwaddr pos, hwaddr end,
                     hwaddr *start, unsigned *size)
{
    unsigned imin = ops->impl.min_access_size ? ops->impl.min_access_size : 1;
    unsigned imax = ops->impl.max_access_size ? ops->impl.max_access_size : 4;
    unsigned c = pow2_floor8(MIN(end - pos, (uint64_t)imax));

    if (!ops->impl.unaligned) {
        while (pos & (c - 1)) {
            c >>= 1;
        }
    }
    *start = pos;
    if (c < imin) {
        c = imin;
        if (!ops->impl.unaligned) {
            *start = pos & ~(hwaddr)(c - 1);
        }
    }
    *size = c;
}

/* Calls the handlers for the access [offset, offset + size): splits it
 * into impl-sized pieces, widens narrow ones, converts byte order.  *le is
 * the value written, or receives the value read. */
static MemTxResult io_impl_access(MemoryRegion *mr, hwaddr offset,
                                  unsigned size, uint64_t *le, bool is_write,
                                  MemTxAttrs attrs)
{
    const MemoryRegionOps *ops = mr->ops;
    hwaddr pos = offset, end = offset + size;
    uint64_t out = 0;
    MemTxResult r = MEMTX_OK;

    while (pos < end) {
        hwaddr start;
        unsigned c;

        io_chunk(ops, pos, end, &start, &c);
        /* Bytes [pos, pos + n) of the access are bytes [skip, skip + n)
         * of the handler access. */
        unsigned skip = pos - start;
        unsigned n = MIN(start + c, end) - pos;
        unsigned at = (pos - offset) * 8;
        uint64_t bytes = size_mask(n);

        if (is_write) {
            uint64_t chunk = ((*le >> at) & bytes) << (skip * 8);

            r |= io_call_write(mr, start, c,
                               value_from_le(chunk, c, ops->endianness),
                               attrs);
        } else {
            uint64_t dev, chunk;

            r |= io_call_read(mr, start, c, &dev, attrs);
            chunk = value_to_le(dev, c, ops->endianness);
            out |= ((chunk >> (skip * 8)) & bytes) << at;
        }
        pos = start + c;
    }
    if (!is_write) {
        *le = out;
    }
    return r;
}

/* Signals the eventfd matching a write, if any.  Any thread: the set is
 * read in a (possibly nested) read section, or is stable under the BQL. */
static bool ioeventfd_signal(MemoryRegion *mr, hwaddr offset, unsigned size,
                             uint64_t le)
{
    MemoryRegionIoeventfds *set;
    bool hit = false;

    if (!atomic_read(&mr->ioeventfds)) {
        return false;
    }
    weft_rcu_read_lock();
    set = weft_rcu_dereference(mr->ioeventfds);
    for (unsigned i = 0; set && i < set->nr; i++) {
        const MemoryRegionIoeventfd *fd = &set->fds[i];

        if (fd->offset == offset && (!fd->size || fd->size == size) &&
            (!fd->match_data || fd->data == (le & size_mask(size)))) {
            event_notifier_set(fd->notifier);
            hit = true;
            break;
        }
    }
    weft_rcu_read_unlock();
    return hit;
}

static MemTxResult io_read(MemoryRegion *mr, hwaddr offset, unsigned size,
                           uint64_t *le, MemTxAttrs attrs, IoLock *lk)
{
    *le = 0;
    if (!io_access_valid(mr, offset, size, false, attrs)) {
        log_mask_printf(LOG_GUEST_ERROR, "memory: invalid %u-byte read of "
                        "'%s' at offset 0x%" PRIx64 "\n", size, mr->name,
                        offset);
        return MEMTX_ACCESS_ERROR;
    }
    io_lock(mr, lk);
    return io_impl_access(mr, offset, size, le, false, attrs);
}

static MemTxResult io_write(MemoryRegion *mr, hwaddr offset, unsigned size,
                            uint64_t le, MemTxAttrs attrs, IoLock *lk)
{
    if (!io_access_valid(mr, offset, size, true, attrs)) {
        log_mask_printf(LOG_GUEST_ERROR, "memory: invalid %u-byte write of "
                        "'%s' at offset 0x%" PRIx64 "\n", size, mr->name,
                        offset);
        return MEMTX_ACCESS_ERROR;
    }
    if (ioeventfd_signal(mr, offset, size, le)) {
        return MEMTX_OK;
    }
    io_lock(mr, lk);
    return io_impl_access(mr, offset, size, &le, true, attrs);
}

/* The largest access the bus accepts at offset, for byte-buffer accesses. */
static unsigned io_piece_size(const MemoryRegion *mr, hwaddr offset,
                              uint64_t len)
{
    const MemoryRegionOps *ops = mr->ops;
    unsigned max = ops->valid.max_access_size ? ops->valid.max_access_size : 8;
    unsigned size = pow2_floor8(MIN(len, (uint64_t)max));

    if (!ops->valid.unaligned) {
        while (offset & (size - 1)) {
            size >>= 1;
        }
    }
    return size;
}

/* The caller holds a reference on mr's owner and no read section. */
static MemTxResult io_access_buffer(MemoryRegion *mr, hwaddr offset,
                                    uint8_t *buf, uint64_t len, bool is_write,
                                    MemTxAttrs attrs)
{
    IoLock lk = { false };
    MemTxResult r = MEMTX_OK;

    while (len) {
        unsigned size = io_piece_size(mr, offset, len);
        uint64_t le;

        if (is_write) {
            r |= io_write(mr, offset, size, load_le_bytes(buf, size), attrs,
                          &lk);
        } else {
            r |= io_read(mr, offset, size, &le, attrs, &lk);
            store_le_bytes(buf, size, le);
        }
        offset += size;
        buf += size;
        len -= size;
    }
    io_unlock(&lk);
    return r;
}

/* ---- lookup */

/* In a read section (or under the BQL): where [addr, addr + len) starts,
 * and how many bytes of it stay there (s->size, at least 1). */
static MemTxResult translate_in_rcu(AddressSpace *as, hwaddr addr,
                                    uint64_t len, bool is_write,
                                    MemTxAttrs attrs, MemoryRegionSection *s)
{
    IOMMUAccessFlags want = is_write ? IOMMU_WO : IOMMU_RO;

    for (unsigned depth = 0;; depth++) {
        FlatView *fv = weft_rcu_dereference(as->current_view);
        const FlatRange *fr = NULL;
        uint64_t hole = len, in_range, page_left;
        MemoryRegion *mr;
        IOMMUTLBEntry e;
        hwaddr xlat;

        *s = (MemoryRegionSection) {
            .as = as,
            .offset_within_address_space = addr,
        };
        if (fv) {
            fr = flatview_find(fv, addr, &hole);
        }
        if (!fr) {
            s->size = MIN(len, hole);
            return MEMTX_DECODE_ERROR;
        }
        mr = fr->mr;
        in_range = addr - fr->start;
        xlat = fr->offset_in_region + in_range;
        len = MIN(len, fr->size - in_range);
        if (mr->kind != MR_KIND_IOMMU) {
            s->mr = mr;
            s->offset_within_region = xlat;
            s->size = len;
            s->readonly = fr->readonly;
            return MEMTX_OK;
        }

        e = mr->iommu_ops->translate(mr, mr->opaque, xlat, want);
        page_left = e.addr_mask - (xlat & e.addr_mask);   /* bytes - 1 */
        if (page_left < len - 1) {
            len = page_left + 1;
        }
        if (!(e.perm & want)) {
            s->size = len;
            log_mask_printf(LOG_GUEST_ERROR, "memory: IOMMU '%s' denies %s "
                            "at 0x%" PRIx64 "\n", mr->name,
                            access_name(is_write), xlat);
            return MEMTX_ACCESS_ERROR;
        }
        if (!e.target_as || depth + 1 >= IOMMU_MAX_DEPTH) {
            s->size = len;
            return MEMTX_DECODE_ERROR;
        }
        addr = (e.translated_addr & ~e.addr_mask) | (xlat & e.addr_mask);
        as = e.target_as;
    }
}

MemTxResult address_space_translate(AddressSpace *as, hwaddr addr,
                                    bool is_write, MemTxAttrs attrs,
                                    MemoryRegionSection *section)
{
    assert(weft_rcu_in_read_section() || bql_locked());
    return translate_in_rcu(as, addr, UINT64_MAX, is_write, attrs, section);
}

/* ---- byte-buffer accesses */

/* The part of the access that lands in one range; *done is its length. */
static MemTxResult access_piece(AddressSpace *as, hwaddr addr,
                                MemTxAttrs attrs, uint8_t *buf, uint64_t len,
                                bool is_write, uint64_t *done)
{
    MemoryRegionSection s;
    MemTxResult r;

    weft_rcu_read_lock();
    r = translate_in_rcu(as, addr, len, is_write, attrs, &s);
    *done = s.size;
    if (r != MEMTX_OK) {
        weft_rcu_read_unlock();
        if (!is_write) {
            memset(buf, 0, s.size);     /* unassigned reads as 0 */
        }
        log_mask_printf(LOG_GUEST_ERROR, "memory: %s of %" PRIu64 " bytes "
                        "at 0x%" PRIx64 " failed (%d)\n",
                        access_name(is_write), s.size, addr, (int)r);
        return r;
    }
    if (s.mr->kind == MR_KIND_RAM) {
        r = ram_access(&s, buf, is_write);
        weft_rcu_read_unlock();
        return r;
    }
    if (is_write && s.readonly) {
        weft_rcu_read_unlock();
        return MEMTX_ACCESS_ERROR;
    }
    /* Our reference for the handler calls, taken while the view still
     * holds one; dropped below. */
    memory_region_ref(s.mr);
    weft_rcu_read_unlock();
    r = io_access_buffer(s.mr, s.offset_within_region, buf, s.size, is_write,
                         attrs);
    memory_region_unref(s.mr);
    return r;
}

MemTxResult address_space_rw(AddressSpace *as, hwaddr addr, MemTxAttrs attrs,
                             void *buf, uint64_t len, bool is_write)
{
    uint8_t *p = buf;
    MemTxResult r = MEMTX_OK;

    access_check_thread();
    if (len && len - 1 > UINT64_MAX - addr) {
        /* Bytes past the top of the address space do not exist. */
        uint64_t beyond = len - (UINT64_MAX - addr) - 1;

        len -= beyond;
        if (!is_write) {
            memset(p + len, 0, beyond);
        }
        r |= MEMTX_DECODE_ERROR;
    }
    while (len) {
        uint64_t done;

        r |= access_piece(as, addr, attrs, p, len, is_write, &done);
        p += done;
        addr += done;
        len -= done;
    }
    return r;
}

MemTxResult address_space_read(AddressSpace *as, hwaddr addr,
                               MemTxAttrs attrs, void *buf, uint64_t len)
{
    return address_space_rw(as, addr, attrs, buf, len, false);
}

MemTxResult address_space_write(AddressSpace *as, hwaddr addr,
                                MemTxAttrs attrs, const void *buf,
                                uint64_t len)
{
    /* Not written through: is_write. */
    return address_space_rw(as, addr, attrs, (void *)buf, len, true);
}

/* ---- single accesses */

/* Called in the read section that found mr, and leaves it: our reference
 * keeps the owner alive across the handler call and a possible sleep on
 * the BQL. */
static MemTxResult io_single_access(MemoryRegion *mr, hwaddr offset,
                                    unsigned size, uint64_t *le,
                                    bool is_write, MemTxAttrs attrs)
{
    IoLock lk = { false };
    MemTxResult r;

    memory_region_ref(mr);      /* ours, dropped below */
    weft_rcu_read_unlock();
    if (is_write) {
        r = io_write(mr, offset, size, *le, attrs, &lk);
    } else {
        r = io_read(mr, offset, size, le, attrs, &lk);
    }
    io_unlock(&lk);
    memory_region_unref(mr);
    return r;
}

MemTxResult address_space_load(AddressSpace *as, hwaddr addr,
                               unsigned size, DeviceEndian endian,
                               MemTxAttrs attrs, uint64_t *value)
{
    MemoryRegionSection s;
    MemTxResult r;
    uint64_t le = 0;

    *value = 0;
    if (!access_size_ok(size)) {
        return MEMTX_ACCESS_ERROR;
    }
    access_check_thread();
    weft_rcu_read_lock();
    r = translate_in_rcu(as, addr, size, false, attrs, &s);
    if (r == MEMTX_OK && s.size == size && s.mr->kind == MR_KIND_RAM) {
        le = ldn_le_p(s.mr->ram_block->host + s.offset_within_region, size);
        weft_rcu_read_unlock();
    } else if (r == MEMTX_OK && s.size == size) {
        r = io_single_access(s.mr, s.offset_within_region, size, &le, false,
                             attrs);
    } else {
        /* Straddles ranges or fails: the byte path splits and reports. */
        uint8_t buf[8];

        weft_rcu_read_unlock();
        r = address_space_rw(as, addr, attrs, buf, size, false);
        le = load_le_bytes(buf, size);
    }
    *value = value_from_le(le, size, endian);
    return r;
}

/* In the read section that found s, a write to an I/O range that matches
 * an eventfd needs neither a reference nor a lock. */
static bool store_hits_eventfd(const MemoryRegionSection *s, unsigned size,
                               uint64_t le, MemTxAttrs attrs)
{
    return atomic_read(&s->mr->ioeventfds) &&
           io_access_valid(s->mr, s->offset_within_region, size, true,
                           attrs) &&
           ioeventfd_signal(s->mr, s->offset_within_region, size, le);
}

MemTxResult address_space_store(AddressSpace *as, hwaddr addr,
                                unsigned size, DeviceEndian endian,
                                MemTxAttrs attrs, uint64_t value)
{
    MemoryRegionSection s;
    MemTxResult r;
    uint64_t le;

    if (!access_size_ok(size)) {
        return MEMTX_ACCESS_ERROR;
    }
    le = value_to_le(value, size, endian);
    access_check_thread();
    weft_rcu_read_lock();
    r = translate_in_rcu(as, addr, size, true, attrs, &s);
    if (r != MEMTX_OK || s.size != size) {
        uint8_t buf[8];

        weft_rcu_read_unlock();
        store_le_bytes(buf, size, le);
        return address_space_rw(as, addr, attrs, buf, size, true);
    }
    if (s.mr->kind == MR_KIND_RAM) {
        if (s.readonly) {
            r = MEMTX_ACCESS_ERROR;
        } else {
            stn_le_p(s.mr->ram_block->host + s.offset_within_region, size,
                      le);
            ram_mark_written(s.mr, s.offset_within_region, size);
        }
        weft_rcu_read_unlock();
        return r;
    }
    if (s.readonly) {
        weft_rcu_read_unlock();
        return MEMTX_ACCESS_ERROR;
    }
    if (store_hits_eventfd(&s, size, le, attrs)) {
        weft_rcu_read_unlock();
        return MEMTX_OK;
    }
    return io_single_access(s.mr, s.offset_within_region, size, &le, true,
                            attrs);
}

/* ---- one access to a known region (the CPU slow path) */

static bool ram_bounds_ok(const MemoryRegion *mr, hwaddr offset,
                          unsigned size)
{
    /* A RAM region's size never changes. */
    return offset < mr->size && size <= mr->size - offset;
}

MemTxResult memory_region_dispatch_read(MemoryRegion *mr, hwaddr offset,
                                        uint64_t *value, unsigned size,
                                        DeviceEndian endian,
                                        MemTxAttrs attrs)
{
    MemTxResult r = MEMTX_OK;
    uint64_t le = 0;

    *value = 0;
    if (!access_size_ok(size)) {
        return MEMTX_ACCESS_ERROR;
    }
    switch (mr->kind) {
    case MR_KIND_RAM:
        if (!ram_bounds_ok(mr, offset, size)) {
            return MEMTX_ACCESS_ERROR;
        }
        le = ldn_le_p(mr->ram_block->host + offset, size);
        break;
    case MR_KIND_IO: {
        IoLock lk = { false };

        r = io_read(mr, offset, size, &le, attrs, &lk);
        io_unlock(&lk);
        break;
    }
    default:
        return MEMTX_DECODE_ERROR;
    }
    *value = value_from_le(le, size, endian);
    return r;
}

MemTxResult memory_region_dispatch_write(MemoryRegion *mr, hwaddr offset,
                                         uint64_t value, unsigned size,
                                         DeviceEndian endian,
                                         MemTxAttrs attrs)
{
    uint64_t le;

    if (!access_size_ok(size)) {
        return MEMTX_ACCESS_ERROR;
    }
    le = value_to_le(value, size, endian);
    switch (mr->kind) {
    case MR_KIND_RAM:
        if (!ram_bounds_ok(mr, offset, size) || atomic_read(&mr->readonly)) {
            return MEMTX_ACCESS_ERROR;
        }
        stn_le_p(mr->ram_block->host + offset, size, le);
        ram_mark_written(mr, offset, size);
        return MEMTX_OK;
    case MR_KIND_IO: {
        IoLock lk = { false };
        MemTxResult r = io_write(mr, offset, size, le, attrs, &lk);

        io_unlock(&lk);
        return r;
    }
    default:
        return MEMTX_DECODE_ERROR;
    }
}
