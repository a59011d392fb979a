/* progress: a one-line progress indicator on stderr for long work ("label 37/100  12.3/s  eta 5s").
 * Shown only when stderr is a terminal or BIASAMP_PROGRESS=1, and only on MPI rank 0; redrawn at
 * most 10 times a second. */
#ifndef BIASAMP_PROGRESS_H
#define BIASAMP_PROGRESS_H

typedef struct Progress {
    const char *label;
    long total;
    double t0, last;
    int enabled;
} Progress;

void progress_start(Progress *p, const char *label, long total);
void progress_update(Progress *p, long done);
void progress_end(Progress *p);

#endif
