/* xalloc: allocation that never returns NULL. Out of memory is fatal (message + abort). */
#ifndef BIASAMP_XALLOC_H
#define BIASAMP_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size); /* zeroed; checks count*size overflow */
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
/* 64-byte aligned, zeroed; free with xfree_aligned (plain free() is also valid). Blocks of at
 * least XALLOC_HUGE_MIN bytes are aligned to XALLOC_HUGE_PAGE and advised to use huge pages. */
#define XALLOC_HUGE_MIN ((size_t)4 << 20)
#define XALLOC_HUGE_PAGE ((size_t)2 << 20)
void *xcalloc_aligned(size_t count, size_t size);
void xfree_aligned(void *p);

/* Memory available for a new run, in bytes: the environment variable BIASAMP_MEM_AVAILABLE
 * (bytes) when set, else MemAvailable from /proc/meminfo, else sysconf's available pages; 0 when
 * unknown. */
double xalloc_available(void);

/* Refuses work whose memory estimate `need` (bytes) exceeds the available memory, before any of it
 * is allocated: ERR_INVAL with "WHAT: needs about N GB (ESTIMATE), but only M GB are available
 * (SOURCE)". ERR_OK when it fits or the available amount is unknown. */
int xalloc_check(double need, const char *what, const char *estimate);

#endif
