/* xalloc: fatal-on-OOM allocation wrappers. */
#include "xalloc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void xalloc_die(size_t n)
{
    fprintf(stderr, "biasamp: out of memory (requested %zu bytes)\n", n);
    abort();
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) xalloc_die(n);
    return p;
}

void *xcalloc(size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size) xalloc_die(SIZE_MAX);
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p) xalloc_die(count * size);
    return p;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) xalloc_die(n);
    return q;
}

char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = xmalloc(n);
    memcpy(p, s, n);
    return p;
}

void *xcalloc_aligned(size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size) xalloc_die(SIZE_MAX);
    size_t n = count * size;
    size_t rounded = (n + 63) & ~(size_t)63;
    void *p = aligned_alloc(64, rounded ? rounded : 64);
    if (!p) xalloc_die(n);
    memset(p, 0, rounded ? rounded : 64);
    return p;
}

void xfree_aligned(void *p) { free(p); }
