/* Lifetimes (docs/memory.md): which links hold references on owners, and
 * the assertions that catch a region destroyed or changed wrongly.  The
 * misuse cases run in a forked child that must die on an assertion. */
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "memtest.h"

static MemoryRegion sysmem;
static AddressSpace as;

/* Runs fn in a child; the child must abort on an assertion. */
static void expect_abort(const char *what, void (*fn)(void))
{
    int status;
    pid_t pid;

    fflush(stdout);
    fflush(stderr);
    pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);

        dup2(null, 2);          /* the assertion message is expected */
        fn();
        _exit(0);
    }
    CHECK(waitpid(pid, &status, 0) == pid);
    if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGABRT) {
        fprintf(stderr, "%s: not caught (status 0x%x)\n", what, status);
        exit(1);
    }
}

/* A device with a container holding an I/O region: a link inside one
 * owner.  Its finalize cuts that link without the BQL, as allowed. */
typedef struct BoxDev {
    Object obj;
    MemoryRegion box, io;
    bool finalized;
} BoxDev;

static const MemoryRegionOps plain_ops = {
    .endianness = DEVICE_LITTLE_ENDIAN,
};

static void boxdev_finalize(Object *obj)
{
    BoxDev *b = container_of(obj, BoxDev, obj);

    CHECK(!bql_locked());
    memory_region_del_subregion(&b->box, &b->io);
    memory_region_finalize(&b->io);
    memory_region_finalize(&b->box);
    atomic_store_release(&b->finalized, true);
}

static BoxDev *boxdev_new(void)
{
    BoxDev *b = calloc(1, sizeof(*b));

    CHECK(b);
    object_init(&b->obj, "boxdev", boxdev_finalize);
    memory_region_init(&b->box, &b->obj, "box", 0x1000);
    memory_region_init_io(&b->io, &b->obj, &plain_ops, b, "box-io", 0x100);
    return b;
}

static void test_view_and_link_references(void)
{
    RegDev *d = regdev_new("dev", 0x100, NULL);
    MemoryRegion hole;

    memory_region_init_io(&hole, NULL, &plain_ops, NULL, "hole", 0x10);
    CHECK_EQ(object_refcount(&d->obj), 1);
    bql_lock();
    memory_region_add_subregion(&sysmem, 0x1000, &d->mr);
    /* The creator's, the container link's (other owner), the view's. */
    CHECK_EQ(object_refcount(&d->obj), 3);
    /* Split in two ranges: the new view holds two references. */
    memory_region_add_subregion_overlap(&sysmem, 0x1080, &hole, 1);
    bql_unlock();
    memtest_drain();            /* the old view let its reference go */
    CHECK_EQ(object_refcount(&d->obj), 4);

    bql_lock();
    memory_region_del_subregion(&sysmem, &d->mr);
    CHECK_EQ(object_refcount(&d->obj), 3);  /* link gone, old view holds */
    memory_region_del_subregion(&sysmem, &hole);
    bql_unlock();
    memtest_drain();
    CHECK_EQ(object_refcount(&d->obj), 1);
    object_unref(&d->obj);
    memtest_drain();
    CHECK(d->finalized);
    free(d);
    memory_region_finalize(&hole);
}

static void test_same_owner_links_and_finalize(void)
{
    BoxDev *b = boxdev_new();

    bql_lock();
    memory_region_add_subregion(&b->box, 0x10, &b->io);
    CHECK_EQ(object_refcount(&b->obj), 1);  /* inside one owner: none */
    memory_region_add_subregion(&sysmem, 0x2000, &b->box);
    CHECK_EQ(object_refcount(&b->obj), 3);  /* link + view range */
    CHECK_EQ(address_space_ldl(&as, 0x2010, MEMTXATTRS_UNSPECIFIED, NULL), 0);
    memory_region_del_subregion(&sysmem, &b->box);
    bql_unlock();
    object_unref(&b->obj);
    memtest_drain();
    /* The finalize unlinked io from box without the BQL. */
    CHECK(atomic_load_acquire(&b->finalized));
    free(b);
}

static void test_alias_and_root_references(void)
{
    RegDev *d = regdev_new("target", 0x100, NULL);
    BoxDev *b = boxdev_new();
    MemoryRegion alias;
    AddressSpace dev_as;

    /* An alias from another owner keeps the target's owner. */
    memory_region_init_alias(&alias, NULL, "alias", &d->mr, 0, 0x100);
    CHECK_EQ(object_refcount(&d->obj), 2);
    memory_region_finalize(&alias);
    CHECK_EQ(object_refcount(&d->obj), 1);

    /* An address space keeps its root's owner. */
    bql_lock();
    memory_region_add_subregion(&b->box, 0, &b->io);
    address_space_init(&dev_as, &b->box, "dev-as");
    CHECK_EQ(object_refcount(&b->obj), 3);  /* creator, AS, view range */
    address_space_destroy(&dev_as);
    bql_unlock();
    memtest_drain();
    CHECK_EQ(object_refcount(&b->obj), 1);

    object_unref(&b->obj);
    object_unref(&d->obj);
    memtest_drain();
    CHECK(b->finalized && d->finalized);
    free(b);
    free(d);
}

/* ---- misuse, each in a child */

static void die_finalize_mapped(void)
{
    static MemoryRegion mr;

    memory_region_init_io(&mr, NULL, &plain_ops, NULL, "mapped", 0x10);
    bql_lock();
    memory_region_add_subregion(&sysmem, 0x9000, &mr);
    bql_unlock();
    memory_region_finalize(&mr);
}

static void die_finalize_with_subregions(void)
{
    static MemoryRegion box, io;

    memory_region_init(&box, NULL, "box", 0x100);
    memory_region_init_io(&io, NULL, &plain_ops, NULL, "io", 0x10);
    bql_lock();
    memory_region_add_subregion(&box, 0, &io);
    bql_unlock();
    memory_region_finalize(&box);
}

static void die_finalize_with_eventfd(void)
{
    static MemoryRegion io;
    static EventNotifier e;

    memory_region_init_io(&io, NULL, &plain_ops, NULL, "io", 0x10);
    CHECK(event_notifier_init(&e, false, NULL));
    bql_lock();
    memory_region_add_eventfd(&io, 0, 4, false, 0, &e);
    bql_unlock();
    memory_region_finalize(&io);
}

static void die_finalize_live_owner(void)
{
    RegDev *d = regdev_new("alive", 0x10, NULL);

    memory_region_finalize(&d->mr);     /* owner still referenced */
}

static void die_finalize_as_root(void)
{
    static MemoryRegion root;
    static AddressSpace a;

    memory_region_init(&root, NULL, "root", 0x1000);
    bql_lock();
    address_space_init(&a, &root, "a");
    bql_unlock();
    memory_region_finalize(&root);
}

static void die_mutate_without_bql(void)
{
    static MemoryRegion io;

    memory_region_init_io(&io, NULL, &plain_ops, NULL, "io", 0x10);
    memory_region_add_subregion(&sysmem, 0xa000, &io);
}

static void die_unlink_live_owner_without_bql(void)
{
    BoxDev *b = boxdev_new();

    bql_lock();
    memory_region_add_subregion(&b->box, 0, &b->io);
    bql_unlock();
    memory_region_del_subregion(&b->box, &b->io);   /* owner alive */
}

static void die_destroy_as_with_listener(void)
{
    static MemoryListener l = { .name = "left-behind" };

    bql_lock();
    memory_listener_register(&l, &as);
    address_space_destroy(&as);
}

static void die_add_twice(void)
{
    static MemoryRegion box, io;

    memory_region_init(&box, NULL, "box", 0x100);
    memory_region_init_io(&io, NULL, &plain_ops, NULL, "io", 0x10);
    bql_lock();
    memory_region_add_subregion(&box, 0, &io);
    memory_region_add_subregion(&sysmem, 0xb000, &io);
}

static void die_cycle(void)
{
    static MemoryRegion outer, inner;

    memory_region_init(&outer, NULL, "outer", 0x100);
    memory_region_init(&inner, NULL, "inner", 0x100);
    bql_lock();
    memory_region_add_subregion(&outer, 0, &inner);
    memory_region_add_subregion(&inner, 0, &outer);
}

static void die_del_unknown_eventfd(void)
{
    static MemoryRegion io;
    static EventNotifier e;

    memory_region_init_io(&io, NULL, &plain_ops, NULL, "io", 0x10);
    bql_lock();
    memory_region_del_eventfd(&io, 0, 4, false, 0, &e);
}

static IOMMUTLBEntry no_translate(MemoryRegion *iommu, void *opaque,
                                  hwaddr addr, IOMMUAccessFlags access)
{
    return (IOMMUTLBEntry) { 0 };
}

static void ignore_event(IOMMUNotifier *n, const IOMMUTLBEvent *ev)
{
}

static void die_finalize_iommu_with_notifier(void)
{
    static const IOMMUMemoryRegionOps ops = { .translate = no_translate };
    static MemoryRegion iommu;
    static IOMMUNotifier n;

    memory_region_init_iommu(&iommu, NULL, &ops, NULL, "iommu", 0x1000);
    iommu_notifier_init(&n, ignore_event, IOMMU_NOTIFIER_ALL, 0, 0xfff);
    memory_region_register_iommu_notifier(&iommu, &n);
    memory_region_finalize(&iommu);
}

static void die_access_unregistered_thread(void)
{
    /* Neither the BQL nor an RCU reader: the view could vanish. */
    weft_rcu_unregister_thread();
    address_space_ldl(&as, 0, MEMTXATTRS_UNSPECIFIED, NULL);
}

static void test_misuse_is_caught(void)
{
    expect_abort("finalize mapped", die_finalize_mapped);
    expect_abort("finalize with subregions", die_finalize_with_subregions);
    expect_abort("finalize with eventfd", die_finalize_with_eventfd);
    expect_abort("finalize with live owner", die_finalize_live_owner);
    expect_abort("finalize address-space root", die_finalize_as_root);
    expect_abort("mutate without BQL", die_mutate_without_bql);
    expect_abort("unlink live owner without BQL",
                 die_unlink_live_owner_without_bql);
    expect_abort("destroy AS with listener", die_destroy_as_with_listener);
    expect_abort("region in two containers", die_add_twice);
    expect_abort("container cycle", die_cycle);
    expect_abort("delete unknown eventfd", die_del_unknown_eventfd);
    expect_abort("finalize IOMMU with notifier",
                 die_finalize_iommu_with_notifier);
    expect_abort("access from unregistered thread",
                 die_access_unregistered_thread);
}

int main(void)
{
    /* An online reader: no grace period ends before this thread reports
     * one (memtest_drain), so the counts of old views' references are
     * deterministic. */
    weft_rcu_register_thread();
    memory_region_init(&sysmem, NULL, "system", UINT64_MAX);
    bql_lock();
    address_space_init(&as, &sysmem, "memory");
    bql_unlock();

    RUN(test_view_and_link_references);
    RUN(test_same_owner_links_and_finalize);
    RUN(test_alias_and_root_references);
    RUN(test_misuse_is_caught);

    bql_lock();
    address_space_destroy(&as);
    bql_unlock();
    weft_rcu_unregister_thread();
    memtest_drain();
    memory_region_finalize(&sysmem);
    return 0;
}
