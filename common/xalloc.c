/* xalloc: fatal-on-OOM allocation wrappers. */
#include "xalloc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "err.h"

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
    size_t align = n >= XALLOC_HUGE_MIN ? XALLOC_HUGE_PAGE : 64;
    size_t rounded = (n + align - 1) & ~(align - 1);
    void *p = aligned_alloc(align, rounded ? rounded : 64);
    if (!p) xalloc_die(n);
#ifdef MADV_HUGEPAGE
    /* Where transparent huge pages are "madvise" only (Debian's default), ask for them before
     * the first touch: streaming the weights of a model (decoding reads all of them per token)
     * then runs at up to 1.5x the bandwidth of 4 KiB pages, for want of TLB misses. Advice only:
     * failure changes nothing. */
    if (align == XALLOC_HUGE_PAGE) (void)madvise(p, rounded, MADV_HUGEPAGE);
#endif
    memset(p, 0, rounded ? rounded : 64);
    return p;
}

void xfree_aligned(void *p) { free(p); }

/* MemAvailable of /proc/meminfo in bytes, or 0. */
static double meminfo_available(void)
{
    FILE *f = fopen("/proc/meminfo", "r");
    if (!f) return 0;
    char line[256];
    double kb = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "MemAvailable: %lf kB", &kb) == 1) break;
    fclose(f);
    return kb * 1024;
}

static const char *avail_source = "unknown";

double xalloc_available(void)
{
    const char *env = getenv("BIASAMP_MEM_AVAILABLE");
    if (env && *env) {
        char *end;
        double v = strtod(env, &end);
        if (*end == '\0' && v > 0) {
            avail_source = "BIASAMP_MEM_AVAILABLE";
            return v;
        }
    }
    double v = meminfo_available();
    if (v > 0) {
        avail_source = "MemAvailable in /proc/meminfo";
        return v;
    }
    long pages = sysconf(_SC_AVPHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
    if (pages > 0 && psize > 0) {
        avail_source = "sysconf available pages";
        return (double)pages * (double)psize;
    }
    return 0;
}

int xalloc_check(double need, const char *what, const char *estimate)
{
    double avail = xalloc_available();
    if (avail <= 0 || need <= avail) return 0;
    return err_set(ERR_INVAL, "%s: needs about %.3g GB (%s), but only %.3g GB are available (%s)",
                   what, need / 1e9, estimate, avail / 1e9, avail_source);
}
