/*
 * pyedge_reqheap.c -- where Python's objects are allocated once start-up is
 * over (embedded mode).
 *
 * The HTTP host runs each request in a copy-on-write clone of the instance
 * as pyedge_init left it. Every page a request writes becomes the clone's own
 * copy and is copied back from the snapshot before the clone serves again,
 * so a request costs in proportion to the pages it writes, not the bytes.
 * CPython for WASI is built without pymalloc: every object comes from
 * wasi-libc's dlmalloc, whose free chunks after start-up lie all over the
 * heap. A hello request wrote 1-3 cache lines in each of ~45 heap pages
 * (measured by comparing a recycled clone's pages with the snapshot's).
 *
 * So at the end of start-up pyedge_reqheap_install gives the object and
 * PyMem domains an allocator over one region taken from malloc. Blocks come
 * in 16-byte size classes, are carved from the region in address order, and
 * a freed block goes on its class's LIFO list, from which the next request of
 * that class is served. A request's objects then lie in a few adjacent pages,
 * and allocating or freeing one is a handful of instructions.
 *
 * What the region does not take goes to the allocator it replaced: blocks
 * larger than the biggest class, every block once the region is used up, and
 * freeing or resizing a block from outside the region. Blocks are never
 * merged or split, so an instance kept warm for many requests
 * (--max-instance-reuse-count) that churns through sizes fills the region and
 * then allocates as before; it loses nothing but the region's speed.
 *
 * A block is an 8-byte header (its class) followed by its payload; payloads
 * are 16-byte aligned like dlmalloc's, since wasm32's max_align_t is 16.
 * Like the allocators it replaces, this one relies on the GIL: the
 * interpreter holds it whenever the object and PyMem domains are used.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdint.h>
#include <string.h>

#include "pyedge_guest.h"

#define GRAIN 16u     /* block sizes are multiples of this */
#define HEADER 8u     /* below each payload: its class */
#define NCLASSES 128u /* classes 1..128: blocks of 16..2048 bytes */
#define MAX_PAYLOAD (NCLASSES * GRAIN - HEADER)

typedef struct {
    PyMemAllocatorEx prev; /* the domain's allocator before ours */
} domain_hooks;

static domain_hooks obj_hooks, mem_hooks;
static uint8_t *region_lo, *region_hi; /* [lo, hi): blocks, in address order */
static uint8_t *region_top; /* next unused byte; a header goes here */
static void
    *free_lists[NCLASSES + 1]; /* per class, threaded through payloads */

static int
in_region(const void *p)
{
    return (const uint8_t *)p >= region_lo && (const uint8_t *)p < region_hi;
}

static uint32_t
class_of_block(const void *payload)
{
    uint32_t c;
    memcpy(&c, (const uint8_t *)payload - HEADER, sizeof c);
    return c;
}

/* NULL when the region cannot take it: too big, or no room left. */
static void *
region_alloc(size_t n)
{
    if (n > MAX_PAYLOAD) {
        return NULL;
    }
    uint32_t c = (uint32_t)((n + HEADER + GRAIN - 1) / GRAIN);
    void *p = free_lists[c];
    if (p != NULL) {
        memcpy(&free_lists[c], p, sizeof(void *));
        return p;
    }
    size_t size = (size_t)c * GRAIN;
    if ((size_t)(region_hi - region_top) < size) {
        return NULL;
    }
    memcpy(region_top, &c, sizeof c);
    p = region_top + HEADER;
    region_top += size;
    return p;
}

static void
region_free(void *p)
{
    uint32_t c = class_of_block(p);
    memcpy(p, &free_lists[c], sizeof(void *));
    free_lists[c] = p;
}

static void *
hook_malloc(void *ctx, size_t n)
{
    domain_hooks *h = ctx;
    void *p = region_alloc(n);
    return p != NULL ? p : h->prev.malloc(h->prev.ctx, n);
}

static void *
hook_calloc(void *ctx, size_t nelem, size_t elsize)
{
    domain_hooks *h = ctx;
    if (elsize != 0 && nelem > SIZE_MAX / elsize) {
        return NULL;
    }
    size_t n = nelem * elsize;
    void *p = region_alloc(n);
    if (p == NULL) {
        return h->prev.calloc(h->prev.ctx, nelem, elsize);
    }
    memset(p, 0, n);
    return p;
}

static void *
hook_realloc(void *ctx, void *p, size_t n)
{
    domain_hooks *h = ctx;
    if (p == NULL) {
        return hook_malloc(ctx, n);
    }
    if (!in_region(p)) {
        return h->prev.realloc(h->prev.ctx, p, n);
    }
    size_t capacity = (size_t)class_of_block(p) * GRAIN - HEADER;
    if (n <= capacity) {
        return p;
    }
    void *q = hook_malloc(ctx, n);
    if (q != NULL) {
        memcpy(q, p, capacity);
        region_free(p);
    }
    return q;
}

static void
hook_free(void *ctx, void *p)
{
    domain_hooks *h = ctx;
    if (in_region(p)) {
        region_free(p);
    }
    else {
        h->prev.free(h->prev.ctx, p);
    }
}

int
pyedge_reqheap_install(size_t bytes)
{
    if (region_lo != NULL) {
        return 0;
    }
    uint8_t *r = malloc(bytes);
    if (r == NULL) {
        return -1;
    }
    /* the first header sits 8 bytes below a 16-byte boundary; every block
     * is a multiple of 16 long, so every payload is aligned */
    uintptr_t first =
        ((uintptr_t)r + HEADER + GRAIN - 1) / GRAIN * GRAIN - HEADER;
    region_lo = r;
    region_hi = r + bytes;
    region_top = (uint8_t *)first;
    PyMemAllocatorEx ours = {
        NULL, hook_malloc, hook_calloc, hook_realloc, hook_free};
    PyMem_GetAllocator(PYMEM_DOMAIN_OBJ, &obj_hooks.prev);
    PyMem_GetAllocator(PYMEM_DOMAIN_MEM, &mem_hooks.prev);
    ours.ctx = &obj_hooks;
    PyMem_SetAllocator(PYMEM_DOMAIN_OBJ, &ours);
    ours.ctx = &mem_hooks;
    PyMem_SetAllocator(PYMEM_DOMAIN_MEM, &ours);
    return 0;
}

void
pyedge_reqheap_bounds(uintptr_t *lo, uintptr_t *hi, uintptr_t *top)
{
    *lo = (uintptr_t)region_lo;
    *hi = (uintptr_t)region_hi;
    *top = (uintptr_t)region_top;
}
