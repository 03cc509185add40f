/* Our own memory: the VM's and the engine's allocations come from pages
 * of our own, never from the program's malloc.
 *
 * Why: the system-call layer runs hooks where the program made a system
 * call, and its allocator makes them (mmap, brk, munmap) while it holds
 * its arena's lock: a hook that allocated from that arena would wait on
 * a lock its own thread holds. And a program should find its heap as it
 * would bare: our start-up growing it, or raising glibc's mmap threshold
 * by freeing a large block, changes which calls the program makes.
 *
 * Power-of-two size classes from 16 bytes to 64 KB, each a free list, cut
 * from 1 MB regions; larger blocks are mappings of their own. One lock
 * (a spin lock: it is held for a few instructions, never across a call
 * that could come back here). */
#define _GNU_SOURCE
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sched.h>

#include "core/engine.h"

#define MIN_SHIFT 4
#define MAX_SHIFT 16
#define NCLASS (MAX_SHIFT - MIN_SHIFT + 1)
#define REGION (1u << 20)
#define HEAD 16			/* keeps 16-byte alignment, as malloc's */

struct head {
	size_t size;		/* the block's class size, or its mapping's size */
	size_t big;		/* nonzero: a mapping of its own */
};

static void *free_list[NCLASS];
static char *region, *region_end;
static int lock;

static void take(void)
{
	while (__atomic_exchange_n(&lock, 1, __ATOMIC_ACQUIRE))
		sched_yield();
}

static void give(void)
{
	__atomic_store_n(&lock, 0, __ATOMIC_RELEASE);
}

static void *pages(size_t n)
{
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static int class_of(size_t n)
{
	int c = 0;
	while (((size_t)1 << (c + MIN_SHIFT)) < n)
		c++;
	return c;
}

void *hj_malloc(size_t n)
{
	if (n > ((size_t)1 << MAX_SHIFT) - HEAD) {
		if (n > SIZE_MAX - HEAD - 4095)
			return NULL;
		size_t total = (n + HEAD + 4095) & ~(size_t)4095;
		struct head *h = pages(total);
		if (!h)
			return NULL;
		h->size = total;
		h->big = 1;
		return (char *)h + HEAD;
	}
	int c = class_of(n + HEAD);
	size_t size = (size_t)1 << (c + MIN_SHIFT);
	take();
	struct head *h = free_list[c];
	if (h) {
		free_list[c] = *(void **)((char *)h + HEAD);
	} else {
		if ((size_t)(region_end - region) < size) {
			char *r = pages(REGION);	/* the rest of the old region is let go */
			if (!r) {
				give();
				return NULL;
			}
			region = r;
			region_end = r + REGION;
		}
		h = (struct head *)region;
		region += size;
	}
	give();
	h->size = size;
	h->big = 0;
	return (char *)h + HEAD;
}

void hj_free(void *p)
{
	if (!p)
		return;
	struct head *h = (struct head *)((char *)p - HEAD);
	if (h->big) {
		munmap(h, h->size);
		return;
	}
	int c = class_of(h->size);
	take();
	*(void **)p = free_list[c];
	free_list[c] = h;
	give();
}

void *hj_calloc(size_t n, size_t each)
{
	if (each && n > SIZE_MAX / each)
		return NULL;
	void *p = hj_malloc(n * each);
	if (p)
		memset(p, 0, n * each);	/* a reused block is not zero */
	return p;
}

void *hj_realloc(void *p, size_t n)
{
	if (!p)
		return hj_malloc(n);
	if (!n) {
		hj_free(p);
		return NULL;
	}
	struct head *h = (struct head *)((char *)p - HEAD);
	size_t room = h->size - HEAD;
	if (n <= room && (h->big || n > room / 2))
		return p;
	void *q = hj_malloc(n);
	if (!q)
		return NULL;
	memcpy(q, p, n < room ? n : room);
	hj_free(p);
	return q;
}

char *hj_strndup(const char *s, size_t max)
{
	size_t n = strnlen(s, max);
	char *p = hj_malloc(n + 1);
	if (p) {
		memcpy(p, s, n);
		p[n] = 0;
	}
	return p;
}

char *hj_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = hj_malloc(n);
	return p ? memcpy(p, s, n) : NULL;
}

/* A forked child: a thread of the parent may have held the lock. */
void hj_alloc_forked(void)
{
	__atomic_store_n(&lock, 0, __ATOMIC_RELEASE);
}
