/* progress: rate-limited progress line on stderr. */
#include "progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "par.h"

static double progress_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void progress_start(Progress *p, const char *label, long total)
{
    const char *env = getenv("BIASAMP_PROGRESS");
    p->label = label;
    p->total = total;
    p->t0 = p->last = progress_now();
    p->enabled = env ? strcmp(env, "0") != 0 : isatty(STDERR_FILENO);
    if (!par_is_root()) p->enabled = 0; /* one progress line per job */
}

void progress_update(Progress *p, long done)
{
    if (!p->enabled) return;
    double t = progress_now();
    if (t - p->last < 0.1 && done < p->total) return;
    p->last = t;
    double rate = done / (t - p->t0 + 1e-9);
    double eta = rate > 0 ? (p->total - done) / rate : 0;
    fprintf(stderr, "\r%s %ld/%ld  %.1f/s  eta %.0fs   ", p->label, done, p->total, rate, eta);
    fflush(stderr);
}

void progress_end(Progress *p)
{
    if (!p->enabled) return;
    fprintf(stderr, "\r%s %ld/%ld done in %.1fs          \n", p->label, p->total, p->total,
            progress_now() - p->t0);
}
