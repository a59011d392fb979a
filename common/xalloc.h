/* xalloc: allocation that never returns NULL. Out of memory is fatal (message + abort). */
#ifndef BIASAMP_XALLOC_H
#define BIASAMP_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size); /* zeroed; checks count*size overflow */
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
/* 64-byte aligned, zeroed; free with xfree_aligned (plain free() is also valid). */
void *xcalloc_aligned(size_t count, size_t size);
void xfree_aligned(void *p);

#endif
