/* Dispatch: RAM and ROM, access splitting and widening, alignment rules,
 * byte order, unassigned addresses, the BQL around handlers, bad sizes,
 * file-backed RAM and dirty bitmaps. */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "memtest.h"

#define A MEMTXATTRS_UNSPECIFIED

static MemoryRegion sysmem;
static AddressSpace as;

/* The main thread is an RCU reader that accesses memory without the BQL,
 * like a vCPU; the map is changed under the BQL. */
static void map(MemoryRegion *mr, hwaddr addr)
{
    bql_lock();
    memory_region_add_subregion(&sysmem, addr, mr);
    bql_unlock();
}

static void unmap(MemoryRegion *mr)
{
    bql_lock();
    memory_region_del_subregion(&sysmem, mr);
    bql_unlock();
}

/* Unmaps d and waits until it is finalized (the view's reference and
 * the creator's are gone). */
static void regdev_destroy(RegDev *d)
{
    unmap(&d->mr);
    object_unref(&d->obj);
    weft_rcu_quiescent_state();
    memtest_drain();
    CHECK(d->finalized);
    free(d);
}

static void test_ram(void)
{
    MemoryRegion ram;
    uint8_t buf[32], *host;
    MemTxResult r;

    CHECK(memory_region_init_ram(&ram, NULL, "ram", 0x2000, NULL));
    map(&ram, 0x10000);
    host = memory_region_get_ram_ptr(&ram);
    CHECK(host);
    for (unsigned i = 0; i < sizeof(buf); i++) {
        buf[i] = (uint8_t)i;
    }
    CHECK_EQ(address_space_write(&as, 0x10ff0, A, buf, 32), MEMTX_OK);
    CHECK(!memcmp(host + 0xff0, buf, 32));
    memset(buf, 0, sizeof(buf));
    CHECK_EQ(address_space_read(&as, 0x10ff0, A, buf, 32), MEMTX_OK);
    CHECK(!memcmp(host + 0xff0, buf, 32));

    address_space_stl_le(&as, 0x10100, 0x11223344, A, &r);
    CHECK_EQ(r, MEMTX_OK);
    CHECK_EQ(host[0x100], 0x44);
    CHECK_EQ(address_space_ldl_be(&as, 0x10100, A, &r), 0x44332211);
    address_space_stq_be(&as, 0x10108, 0x0102030405060708ull, A, NULL);
    CHECK_EQ(host[0x108], 0x01);
    CHECK_EQ(address_space_ldq_le(&as, 0x10108, A, NULL),
             0x0807060504030201ull);
    CHECK_EQ(address_space_lduw(&as, 0x10108, A, NULL), 0x0201);
    CHECK_EQ(address_space_ldub(&as, 0x10109, A, NULL), 0x02);
    /* unaligned RAM access is fine */
    CHECK_EQ(address_space_ldl_le(&as, 0x10101, A, &r), 0x00112233);
    CHECK_EQ(r, MEMTX_OK);
    unmap(&ram);
    weft_rcu_quiescent_state();
    memtest_drain();
    memory_region_finalize(&ram);
}

/* 8-byte accesses to a device implementing 4: two calls, bytes in order. */
static void test_split_wide(void)
{
    static const MemoryRegionOps ops = {
        .endianness = DEVICE_LITTLE_ENDIAN,
        .valid = { .min_access_size = 1, .max_access_size = 8 },
        .impl = { .min_access_size = 1, .max_access_size = 4 },
    };
    RegDev *d = regdev_new("split", 0x40, &ops);
    MemTxResult r;
    uint64_t v;

    map(&d->mr, 0x20000);
    v = address_space_ldq_le(&as, 0x20008, A, &r);
    CHECK_EQ(r, MEMTX_OK);
    CHECK_EQ(v, 0x8f8e8d8c8b8a8988ull);
    CHECK_EQ(d->nlog, 2);
    CHECK(!d->log[0].is_write && d->log[0].offset == 8 && d->log[0].size == 4);
    CHECK(d->log[1].offset == 12 && d->log[1].size == 4);
    CHECK_EQ(d->log[0].value, 0x8b8a8988);

    regdev_clear_log(d);
    address_space_stq_le(&as, 0x20010, 0x1122334455667788ull, A, &r);
    CHECK_EQ(r, MEMTX_OK);
    CHECK_EQ(d->nlog, 2);
    CHECK(d->log[0].is_write && d->log[0].offset == 0x10 &&
          d->log[0].value == 0x55667788);
    CHECK(d->log[1].offset == 0x14 && d->log[1].value == 0x11223344);

    /* Big-endian access of a little-endian device: bytes still in order. */
    CHECK_EQ(address_space_ldq_be(&as, 0x20010, A, NULL),
             0x8877665544332211ull);
    regdev_destroy(d);
}

/* Accesses narrower than impl.min are widened to an aligned word; a
 * widened write carries zeros in the other bytes. */
static void test_widen_narrow(void)
{
    static const MemoryRegionOps ops = {
        .endianness = DEVICE_LITTLE_ENDIAN,
        .impl = { .min_access_size = 4, .max_access_size = 4 },
    };
    RegDev *d = regdev_new("widen", 0x40, &ops);
    MemTxResult r;

    map(&d->mr, 0x20000);
    CHECK_EQ(address_space_ldub(&as, 0x20005, A, &r), 0x85);
    CHECK_EQ(r, MEMTX_OK);
    CHECK_EQ(d->nlog, 1);
    CHECK(d->log[0].offset == 4 && d->log[0].size == 4);

    regdev_clear_log(d);
    address_space_stb(&as, 0x20006, 0xab, A, &r);
    CHECK_EQ(r, MEMTX_OK);
    CHECK_EQ(d->nlog, 1);
    CHECK(d->log[0].is_write && d->log[0].offset == 4 &&
          d->log[0].size == 4 && d->log[0].value == 0x00ab0000);

    regdev_clear_log(d);
    CHECK_EQ(address_space_lduw_le(&as, 0x2000a, A, NULL), 0x8b8a);
    CHECK(d->nlog == 1 && d->log[0].offset == 8);
    regdev_destroy(d);
}

static void test_unaligned(void)
{
    static const MemoryRegionOps strict = {
        .endianness = DEVICE_LITTLE_ENDIAN,
    };
    static const MemoryRegionOps lax_bus = {
        .endianness = DEVICE_LITTLE_ENDIAN,
        .valid = { .unaligned = true },
    };
    static const MemoryRegionOps lax_dev = {
        .endianness = DEVICE_LITTLE_ENDIAN,
        .valid = { .unaligned = true },
        .impl = { .unaligned = true },
    };
    RegDev *d = regdev_new("strict", 0x40, &strict);
    MemTxResult r;
    uint64_t v;

    /* The bus refuses: no handler call. */
    map(&d->mr, 0x20000);
    v = address_space_ldl_le(&as, 0x20002, A, &r);
    CHECK_EQ(r, MEMTX_ACCESS_ERROR);
    CHECK_EQ(v, 0);
    address_space_stl_le(&as, 0x20002, 1, A, &r);
    CHECK_EQ(r, MEMTX_ACCESS_ERROR);
    CHECK_EQ(d->nlog, 0);
    regdev_destroy(d);

    /* The bus accepts, the device only takes aligned pieces. */
    d = regdev_new("lax-bus", 0x40, &lax_bus);
    map(&d->mr, 0x20000);
    CHECK_EQ(address_space_ldl_le(&as, 0x20002, A, &r), 0x85848382);
    CHECK_EQ(r, MEMTX_OK);
    CHECK_EQ(d->nlog, 2);
    CHECK(d->log[0].offset == 2 && d->log[0].size == 2);
    CHECK(d->log[1].offset == 4 && d->log[1].size == 2);
    regdev_clear_log(d);
    CHECK_EQ(address_space_ldl_le(&as, 0x20003, A, &r), 0x86858483);
    CHECK_EQ(d->nlog, 3);   /* 1 + 2 + 1 */
    CHECK(d->log[0].size == 1 && d->log[1].size == 2 && d->log[2].size == 1);
    regdev_destroy(d);

    /* Both accept: one call at the odd offset. */
    d = regdev_new("lax-dev", 0x40, &lax_dev);
    map(&d->mr, 0x20000);
    CHECK_EQ(address_space_ldl_le(&as, 0x20003, A, &r), 0x86858483);
    CHECK(d->nlog == 1 && d->log[0].offset == 3 && d->log[0].size == 4);
    regdev_destroy(d);
}

static bool reject_offset_8(void *opaque, hwaddr offset, unsigned size,
                            bool is_write, MemTxAttrs attrs)
{
    return offset != 8;
}

static void test_valid_sizes(void)
{
    static const MemoryRegionOps ops = {
        .endianness = DEVICE_LITTLE_ENDIAN,
        .valid = { .min_access_size = 2, .max_access_size = 4,
                   .accepts = reject_offset_8 },
    };
    RegDev *d = regdev_new("sizes", 0x40, &ops);
    MemTxResult r;
    uint64_t v;

    map(&d->mr, 0x20000);
    address_space_ldub(&as, 0x20000, A, &r);
    CHECK_EQ(r, MEMTX_ACCESS_ERROR);
    address_space_ldq(&as, 0x20000, A, &r);
    CHECK_EQ(r, MEMTX_ACCESS_ERROR);
    address_space_ldl(&as, 0x20008, A, &r);
    CHECK_EQ(r, MEMTX_ACCESS_ERROR);
    CHECK_EQ(d->nlog, 0);
    CHECK_EQ(address_space_ldl(&as, 0x20004, A, &r), 0x87868584);
    CHECK_EQ(r, MEMTX_OK);

    /* Bad sizes from guests or buggy callers fail cleanly. */
    CHECK_EQ(address_space_load(&as, 0x20000, 3, DEVICE_LITTLE_ENDIAN, A, &v),
             MEMTX_ACCESS_ERROR);
    CHECK_EQ(address_space_load(&as, 0x20000, 16, DEVICE_LITTLE_ENDIAN, A,
                                &v), MEMTX_ACCESS_ERROR);
    CHECK_EQ(address_space_store(&as, 0x20000, 0, DEVICE_LITTLE_ENDIAN, A, 1),
             MEMTX_ACCESS_ERROR);
    CHECK_EQ(memory_region_dispatch_read(&d->mr, 0x3e, &v, 4,
                                         DEVICE_LITTLE_ENDIAN, A),
             MEMTX_ACCESS_ERROR);      /* runs past the region */
    CHECK_EQ(memory_region_dispatch_read(&d->mr, 0x1000, &v, 4,
                                         DEVICE_LITTLE_ENDIAN, A),
             MEMTX_ACCESS_ERROR);
    regdev_destroy(d);
}

static void test_endianness(void)
{
    static const MemoryRegionOps be_ops = {
        .endianness = DEVICE_BIG_ENDIAN,
        .valid = { .max_access_size = 8 },
        .impl = { .max_access_size = 4 },
    };
    static const MemoryRegionOps le_ops = {
        .endianness = DEVICE_LITTLE_ENDIAN,
    };
    RegDev *be = regdev_new("be", 0x40, &be_ops);
    RegDev *le = regdev_new("le", 0x40, &le_ops);
    uint8_t buf[8];

    map(&be->mr, 0x20000);
    map(&le->mr, 0x30000);

    /* Same order on both sides: the handler sees the value unchanged. */
    address_space_stl_be(&as, 0x20000, 0x11223344, A, NULL);
    CHECK_EQ(be->log[0].value, 0x11223344);
    address_space_stl_le(&as, 0x30000, 0x11223344, A, NULL);
    CHECK_EQ(le->log[0].value, 0x11223344);
    /* On the bus: big-endian puts the high byte first. */
    CHECK_EQ(address_space_read(&as, 0x20000, A, buf, 4), MEMTX_OK);
    CHECK(buf[0] == 0x11 && buf[3] == 0x44);
    CHECK_EQ(address_space_read(&as, 0x30000, A, buf, 4), MEMTX_OK);
    CHECK(buf[0] == 0x44 && buf[3] == 0x11);
    /* Crossed orders swap. */
    regdev_clear_log(le);
    address_space_stl_be(&as, 0x30004, 0x11223344, A, NULL);
    CHECK_EQ(le->log[0].value, 0x44332211);
    CHECK_EQ(address_space_ldl_le(&as, 0x20000, A, NULL), 0x44332211);
    /* A split big-endian access: the first word holds the high half. */
    regdev_clear_log(be);
    address_space_stq_be(&as, 0x20008, 0x0102030405060708ull, A, NULL);
    CHECK_EQ(be->nlog, 2);
    CHECK(be->log[0].offset == 8 && be->log[0].value == 0x01020304);
    CHECK(be->log[1].offset == 12 && be->log[1].value == 0x05060708);
    CHECK_EQ(address_space_ldq_be(&as, 0x20008, A, NULL),
             0x0102030405060708ull);
    /* NATIVE is little-endian on every weft target. */
    CHECK_EQ(address_space_ldl(&as, 0x30000, A, NULL), 0x11223344);
    regdev_destroy(be);
    regdev_destroy(le);
}

static void test_unassigned(void)
{
    MemoryRegion ram;
    uint8_t buf[16];
    MemTxResult r;

    CHECK(memory_region_init_ram(&ram, NULL, "ram", 0x1000, NULL));
    map(&ram, 0x40000);
    memset(memory_region_get_ram_ptr(&ram), 0x5a, 0x1000);

    CHECK_EQ(address_space_ldl(&as, 0x50000, A, &r), 0);
    CHECK_EQ(r, MEMTX_DECODE_ERROR);
    address_space_stl(&as, 0x50000, 1, A, &r);
    CHECK_EQ(r, MEMTX_DECODE_ERROR);
    /* Half RAM, half hole: the RAM half is there, the rest reads 0. */
    memset(buf, 0xff, sizeof(buf));
    CHECK_EQ(address_space_read(&as, 0x40ff8, A, buf, 16), MEMTX_DECODE_ERROR);
    CHECK(buf[0] == 0x5a && buf[7] == 0x5a && buf[8] == 0 && buf[15] == 0);
    CHECK_EQ(address_space_ldq_le(&as, 0x40ffc, A, &r), 0x5a5a5a5a);
    CHECK_EQ(r, MEMTX_DECODE_ERROR);
    /* The top of the address space, and past it. */
    CHECK_EQ(address_space_ldq(&as, UINT64_MAX - 3, A, &r), 0);
    CHECK_EQ(r, MEMTX_DECODE_ERROR);
    CHECK_EQ(address_space_read(&as, UINT64_MAX - 7, A, buf, 16),
             MEMTX_DECODE_ERROR);
    CHECK_EQ(address_space_write(&as, UINT64_MAX, A, buf, 16),
             MEMTX_DECODE_ERROR);
    CHECK_EQ(address_space_read(&as, 0, A, buf, 0), MEMTX_OK);
    unmap(&ram);
    weft_rcu_quiescent_state();
    memtest_drain();
    memory_region_finalize(&ram);
}

static void test_rom_and_readonly(void)
{
    MemoryRegion rom, ram, box;
    RegDev *d = regdev_new("ro-io", 0x40, NULL);
    uint8_t *host;
    MemTxResult r;

    CHECK(memory_region_init_rom(&rom, NULL, "rom", 0x1000, NULL));
    CHECK(memory_region_is_rom(&rom));
    host = memory_region_get_ram_ptr(&rom);
    memset(host, 0xc3, 0x1000);
    map(&rom, 0x60000);
    CHECK_EQ(address_space_ldl(&as, 0x60010, A, &r), 0xc3c3c3c3);
    CHECK_EQ(r, MEMTX_OK);
    address_space_stl(&as, 0x60010, 0, A, &r);
    CHECK_EQ(r, MEMTX_ACCESS_ERROR);
    CHECK_EQ(address_space_write(&as, 0x60000, A, "xx", 2),
             MEMTX_ACCESS_ERROR);
    CHECK_EQ(host[0x10], 0xc3);
    CHECK_EQ(host[0], 0xc3);

    /* Read-only is inherited from a container. */
    memory_region_init(&box, NULL, "ro-box", 0x2000);
    CHECK(memory_region_init_ram(&ram, NULL, "ram-in-box", 0x1000, NULL));
    bql_lock();
    memory_region_add_subregion(&box, 0, &ram);
    memory_region_add_subregion(&box, 0x1000, &d->mr);
    memory_region_set_readonly(&box, true);
    memory_region_add_subregion(&sysmem, 0x70000, &box);
    bql_unlock();
    address_space_stl(&as, 0x70000, 0x1234, A, &r);
    CHECK_EQ(r, MEMTX_ACCESS_ERROR);
    CHECK_EQ(address_space_ldl(&as, 0x70000, A, NULL), 0);
    address_space_stl(&as, 0x71000, 0x1234, A, &r);
    CHECK_EQ(r, MEMTX_ACCESS_ERROR);
    CHECK_EQ(d->nlog, 0);
    bql_lock();
    memory_region_set_readonly(&box, false);
    bql_unlock();
    address_space_stl(&as, 0x70000, 0x1234, A, &r);
    CHECK_EQ(r, MEMTX_OK);
    address_space_stl(&as, 0x71000, 0x1234, A, &r);
    CHECK_EQ(r, MEMTX_OK);
    CHECK_EQ(d->nlog, 1);

    bql_lock();
    memory_region_del_subregion(&sysmem, &box);
    memory_region_del_subregion(&box, &ram);
    memory_region_del_subregion(&box, &d->mr);
    memory_region_del_subregion(&sysmem, &rom);
    bql_unlock();
    object_unref(&d->obj);
    weft_rcu_quiescent_state();
    memtest_drain();
    CHECK(d->finalized);
    free(d);
    memory_region_finalize(&rom);
    memory_region_finalize(&ram);
    memory_region_finalize(&box);
}

/* Byte buffers on I/O: the largest accesses the bus accepts, per range. */
static void test_buffer_split(void)
{
    static const MemoryRegionOps ops = {
        .endianness = DEVICE_LITTLE_ENDIAN,
        .impl = { .max_access_size = 8 },
    };
    RegDev *d = regdev_new("buf", 0x40, &ops);
    MemoryRegion ram;
    uint8_t buf[16];

    CHECK(memory_region_init_ram(&ram, NULL, "ram", 0x1000, NULL));
    map(&ram, 0x1f000);
    map(&d->mr, 0x20000);
    for (unsigned i = 0; i < 7; i++) {
        buf[i] = (uint8_t)(0x10 + i);
    }
    CHECK_EQ(address_space_write(&as, 0x20000, A, buf, 7), MEMTX_OK);
    CHECK_EQ(d->nlog, 3);
    CHECK(d->log[0].size == 4 && d->log[1].size == 2 && d->log[2].size == 1);
    CHECK(d->log[2].offset == 6 && d->log[2].value == 0x16);
    CHECK(!memcmp(d->regs, buf, 7));
    /* From RAM into the device: split at the boundary, then by alignment. */
    regdev_clear_log(d);
    CHECK_EQ(address_space_read(&as, 0x1fffc, A, buf, 16), MEMTX_OK);
    CHECK_EQ(d->nlog, 2);
    CHECK(d->log[0].offset == 0 && d->log[0].size == 8);
    CHECK(d->log[1].offset == 8 && d->log[1].size == 4);
    CHECK(buf[4] == 0x10 && buf[10] == 0x16 && buf[11] == 0x87);
    unmap(&ram);
    regdev_destroy(d);
    memory_region_finalize(&ram);
}

static uint64_t lock_probe_read(void *opaque, hwaddr offset, unsigned size)
{
    return bql_locked() ? 1 : 2;
}

static void test_handler_locking(void)
{
    static const MemoryRegionOps ops = {
        .read = lock_probe_read,
        .endianness = DEVICE_LITTLE_ENDIAN,
    };
    MemoryRegion mr;
    MemoryRegionSection s;
    unsigned long before;
    uint64_t v;

    memory_region_init_io(&mr, NULL, &ops, NULL, "probe", 0x10);
    map(&mr, 0x80000);
    before = bql_acquisitions();
    CHECK_EQ(address_space_ldl(&as, 0x80000, A, NULL), 1);
    CHECK(bql_acquisitions() == before + 1);
    /* The caller's BQL is used as is. */
    bql_lock();
    CHECK_EQ(address_space_ldl(&as, 0x80000, A, NULL), 1);
    bql_unlock();
    memory_region_set_lockless(&mr, true);
    before = bql_acquisitions();
    CHECK_EQ(address_space_ldl(&as, 0x80000, A, NULL), 2);
    CHECK(bql_acquisitions() == before);

    /* The slow-path API: lookup in a read section, then dispatch. */
    weft_rcu_read_lock();
    CHECK_EQ(address_space_translate(&as, 0x80004, false, A, &s), MEMTX_OK);
    CHECK(s.mr == &mr && s.offset_within_region == 4 && s.size == 0xc);
    CHECK_EQ(memory_region_dispatch_read(s.mr, s.offset_within_region, &v, 4,
                                         DEVICE_LITTLE_ENDIAN, A), MEMTX_OK);
    CHECK_EQ(v, 2);
    CHECK_EQ(address_space_translate(&as, 0x80010, false, A, &s),
             MEMTX_DECODE_ERROR);
    CHECK(s.mr == NULL && s.size == UINT64_MAX - 0x80010 + 1);
    weft_rcu_read_unlock();
    memory_region_set_lockless(&mr, false);
    memory_region_ref(&mr);
    CHECK_EQ(memory_region_dispatch_read(&mr, 0, &v, 4, DEVICE_LITTLE_ENDIAN,
                                         A), MEMTX_OK);
    CHECK_EQ(v, 1);
    memory_region_unref(&mr);
    unmap(&mr);
    weft_rcu_quiescent_state();
    memtest_drain();
    memory_region_finalize(&mr);
}

static void test_aliases(void)
{
    MemoryRegion ram, alias;
    MemoryRegionSection s;
    uint8_t *host;

    CHECK(memory_region_init_ram(&ram, NULL, "ram", 0x4000, NULL));
    host = memory_region_get_ram_ptr(&ram);
    memory_region_init_alias(&alias, NULL, "hi", &ram, 0x3000, 0x1000);
    CHECK(memory_region_get_ram_ptr(&alias) == host + 0x3000);
    CHECK(memory_region_get_ram_block(&alias) == ram.ram_block);
    map(&alias, 0x100000);
    address_space_stl_le(&as, 0x100010, 0xcafef00d, A, NULL);
    CHECK_EQ(host[0x3010], 0x0d);
    weft_rcu_read_lock();
    CHECK_EQ(address_space_translate(&as, 0x100800, true, A, &s), MEMTX_OK);
    CHECK(s.mr == &ram && s.offset_within_region == 0x3800 &&
          s.size == 0x800);
    weft_rcu_read_unlock();
    unmap(&alias);
    weft_rcu_quiescent_state();
    memtest_drain();
    memory_region_finalize(&alias);
    memory_region_finalize(&ram);
}

static void test_file_ram(void)
{
    char path[] = "/tmp/weft-memtest-XXXXXX";
    int fd = mkstemp(path);
    MemoryRegion shared, priv, bad;
    Error *err = NULL;
    uint8_t byte = 0;

    CHECK(fd >= 0);
    CHECK(memory_region_init_ram_from_file(&shared, NULL, "file-shared",
                                           0x3000, path, true, &err));
    CHECK(memory_region_init_ram_from_file(&priv, NULL, "file-private",
                                           0x3000, path, false, &err));
    map(&shared, 0x200000);
    map(&priv, 0x300000);
    address_space_stb(&as, 0x200123, 0x77, A, NULL);
    CHECK_EQ(pread(fd, &byte, 1, 0x123), 1);
    CHECK_EQ(byte, 0x77);
    address_space_stb(&as, 0x300456, 0x66, A, NULL);
    CHECK_EQ(pread(fd, &byte, 1, 0x456), 1);
    CHECK_EQ(byte, 0);          /* private: the file does not see it */
    CHECK_EQ(address_space_ldub(&as, 0x300456, A, NULL), 0x66);

    CHECK(!memory_region_init_ram_from_file(&bad, NULL, "bad", 0x1000,
                                            "/nonexistent/dir/file", true,
                                            &err));
    CHECK(err && strstr(error_get_pretty(err), "/nonexistent"));
    error_free(err);
    unmap(&shared);
    unmap(&priv);
    weft_rcu_quiescent_state();
    memtest_drain();
    memory_region_finalize(&shared);
    memory_region_finalize(&priv);
    close(fd);
    unlink(path);
}

static void test_dirty(void)
{
    MemoryRegion ram;
    RAMBlock *rb;
    uint8_t buf[8] = { 1 };

    CHECK(memory_region_init_ram(&ram, NULL, "vram", 0x10000, NULL));
    rb = memory_region_get_ram_block(&ram);
    CHECK(rb && rb->pages == 16);
    map(&ram, 0x400000);
    /* Not logging: writes mark nothing. */
    address_space_stl(&as, 0x400000, 1, A, NULL);
    CHECK(!memory_region_get_dirty(&ram, 0, 0x10000, DIRTY_CLIENT_DISPLAY));

    bql_lock();
    memory_region_set_log(&ram, true, DIRTY_CLIENT_DISPLAY);
    bql_unlock();
    CHECK_EQ(memory_region_get_dirty_log_mask(&ram), 1u << DIRTY_CLIENT_DISPLAY);
    address_space_stb(&as, 0x403fff, 1, A, NULL);
    CHECK(memory_region_get_dirty(&ram, 0x3000, 0x1000, DIRTY_CLIENT_DISPLAY));
    CHECK(!memory_region_get_dirty(&ram, 0x2000, 0x1000,
                                   DIRTY_CLIENT_DISPLAY));
    CHECK(!memory_region_get_dirty(&ram, 0x4000, 0x1000,
                                   DIRTY_CLIENT_DISPLAY));
    CHECK(!memory_region_get_dirty(&ram, 0, 0x10000, DIRTY_CLIENT_MIGRATION));
    /* A DMA write across a page boundary marks both pages. */
    CHECK_EQ(address_space_write(&as, 0x406ffc, A, buf, 8), MEMTX_OK);
    CHECK(memory_region_get_dirty(&ram, 0x6000, 1, DIRTY_CLIENT_DISPLAY));
    CHECK(memory_region_get_dirty(&ram, 0x7000, 1, DIRTY_CLIENT_DISPLAY));
    CHECK(memory_region_test_and_clear_dirty(&ram, 0, 0x10000,
                                             DIRTY_CLIENT_DISPLAY));
    CHECK(!memory_region_test_and_clear_dirty(&ram, 0, 0x10000,
                                              DIRTY_CLIENT_DISPLAY));
    /* The inline CPU-path helper and memory_region_set_dirty. */
    ram_block_set_dirty(rb, 0xf000, 1, 1u << DIRTY_CLIENT_MIGRATION);
    CHECK(memory_region_get_dirty(&ram, 0xf000, 0x1000,
                                  DIRTY_CLIENT_MIGRATION));
    CHECK(!memory_region_get_dirty(&ram, 0xf000, 0x1000,
                                   DIRTY_CLIENT_DISPLAY));
    memory_region_set_dirty(&ram, 0x8000, 0x2001);
    CHECK(memory_region_get_dirty(&ram, 0xa000, 1, DIRTY_CLIENT_DISPLAY));
    CHECK(!memory_region_get_dirty(&ram, 0xb000, 1, DIRTY_CLIENT_DISPLAY));
    /* Clearing part of a range leaves the rest. */
    memory_region_reset_dirty(&ram, 0x8000, 0x1000, DIRTY_CLIENT_DISPLAY);
    CHECK(!memory_region_get_dirty(&ram, 0x8000, 1, DIRTY_CLIENT_DISPLAY));
    CHECK(memory_region_get_dirty(&ram, 0x9000, 1, DIRTY_CLIENT_DISPLAY));
    /* Out-of-range queries are empty, not crashes. */
    CHECK(!memory_region_get_dirty(&ram, 0x10000, 0x1000,
                                   DIRTY_CLIENT_DISPLAY));
    ram_block_set_dirty(rb, 0x20000, 0x1000, DIRTY_CLIENTS_ALL);

    bql_lock();
    memory_region_set_log(&ram, false, DIRTY_CLIENT_DISPLAY);
    bql_unlock();
    memory_region_reset_dirty(&ram, 0, 0x10000, DIRTY_CLIENT_DISPLAY);
    address_space_stb(&as, 0x400000, 1, A, NULL);
    CHECK(!memory_region_get_dirty(&ram, 0, 0x10000, DIRTY_CLIENT_DISPLAY));
    unmap(&ram);
    weft_rcu_quiescent_state();
    memtest_drain();
    memory_region_finalize(&ram);
}

/* A bitmap word boundary (64 pages) inside a range. */
static void test_dirty_large(void)
{
    MemoryRegion ram;

    CHECK(memory_region_init_ram(&ram, NULL, "big", 300 * TARGET_PAGE_SIZE,
                                 NULL));
    bql_lock();
    memory_region_set_log(&ram, true, DIRTY_CLIENT_MIGRATION);
    bql_unlock();
    memory_region_set_dirty(&ram, 63 * TARGET_PAGE_SIZE,
                            2 * TARGET_PAGE_SIZE);
    memory_region_set_dirty(&ram, 299 * TARGET_PAGE_SIZE, 1);
    CHECK(memory_region_get_dirty(&ram, 64 * TARGET_PAGE_SIZE, 1,
                                  DIRTY_CLIENT_MIGRATION));
    CHECK(!memory_region_get_dirty(&ram, 65 * TARGET_PAGE_SIZE,
                                   234 * TARGET_PAGE_SIZE,
                                   DIRTY_CLIENT_MIGRATION));
    CHECK(memory_region_test_and_clear_dirty(&ram, 0, 300 * TARGET_PAGE_SIZE,
                                             DIRTY_CLIENT_MIGRATION));
    CHECK(!memory_region_get_dirty(&ram, 0, 300 * TARGET_PAGE_SIZE,
                                   DIRTY_CLIENT_MIGRATION));
    bql_lock();
    memory_region_set_log(&ram, false, DIRTY_CLIENT_MIGRATION);
    bql_unlock();
    memory_region_finalize(&ram);
}

int main(void)
{
    weft_rcu_register_thread();
    memory_region_init(&sysmem, NULL, "system", UINT64_MAX);
    bql_lock();
    address_space_init(&as, &sysmem, "memory");
    bql_unlock();

    RUN(test_ram);
    RUN(test_split_wide);
    RUN(test_widen_narrow);
    RUN(test_unaligned);
    RUN(test_valid_sizes);
    RUN(test_endianness);
    RUN(test_unassigned);
    RUN(test_rom_and_readonly);
    RUN(test_buffer_split);
    RUN(test_handler_locking);
    RUN(test_aliases);
    RUN(test_file_ram);
    RUN(test_dirty);
    RUN(test_dirty_large);

    bql_lock();
    address_space_destroy(&as);
    bql_unlock();
    weft_rcu_unregister_thread();
    memtest_drain();
    memory_region_finalize(&sysmem);
    return 0;
}
