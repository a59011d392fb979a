/* par: MPI_COMM_WORLD behind a small interface, or one process. All #ifdef BIASAMP_MPI of the
 * project live here. Big transfers go in pieces of at most PAR_PIECE bytes (MPI counts are int). */
#include "par.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xalloc.h"

#ifdef BIASAMP_MPI
#include <mpi.h>

#define PAR_PIECE ((size_t)1 << 30)

static int par_started, par_r, par_n = 1;

void par_init(int *argc, char ***argv)
{
    if (par_started) return;
    int provided;
    MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &par_r);
    MPI_Comm_size(MPI_COMM_WORLD, &par_n);
    par_started = 1;
    if (par_r != 0 && !freopen("/dev/null", "w", stdout)) {
        fprintf(stderr, "biasamp (rank %d): cannot redirect stdout to /dev/null\n", par_r);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
}

void par_finalize(void)
{
    if (!par_started) return;
    fflush(stdout);
    MPI_Finalize();
    par_started = 0;
}

int par_rank(void) { return par_r; }
int par_size(void) { return par_n; }
const char *par_kind(void) { return "mpi"; }

void par_barrier(void)
{
    if (par_n > 1) MPI_Barrier(MPI_COMM_WORLD);
}

static void par_sum(void *x, size_t n, size_t width, MPI_Datatype type)
{
    if (par_n == 1) return;
    size_t per = PAR_PIECE / width;
    for (size_t i = 0; i < n; i += per) {
        size_t k = n - i < per ? n - i : per;
        MPI_Allreduce(MPI_IN_PLACE, (char *)x + i * width, (int)k, type, MPI_SUM, MPI_COMM_WORLD);
    }
}

void par_sum_float(float *x, size_t n) { par_sum(x, n, sizeof *x, MPI_FLOAT); }
void par_sum_double(double *x, size_t n) { par_sum(x, n, sizeof *x, MPI_DOUBLE); }

void par_bcast(void *buf, size_t n)
{
    if (par_n == 1) return;
    for (size_t i = 0; i < n; i += PAR_PIECE) {
        size_t k = n - i < PAR_PIECE ? n - i : PAR_PIECE;
        MPI_Bcast((char *)buf + i, (int)k, MPI_BYTE, 0, MPI_COMM_WORLD);
    }
}

void par_bcast_idle(void *buf, size_t n)
{
    if (par_n == 1) return;
    MPI_Request rq;
    MPI_Ibcast(buf, (int)n, MPI_BYTE, 0, MPI_COMM_WORLD, &rq);
    if (par_r == 0) {
        MPI_Wait(&rq, MPI_STATUS_IGNORE);
        return;
    }
    for (int done = 0;;) {
        MPI_Test(&rq, &done, MPI_STATUS_IGNORE);
        if (done) return;
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
}

/* Point-to-point in pieces: rank 0 receives rank r's bytes in rank order. */
void par_gather(const void *buf, size_t n, void **out, size_t *out_n)
{
    *out = NULL;
    *out_n = 0;
    unsigned long long mine = n, *all = par_r == 0 ? xcalloc((size_t)par_n, sizeof *all) : NULL;
    if (par_n > 1)
        MPI_Gather(&mine, 1, MPI_UNSIGNED_LONG_LONG, all, 1, MPI_UNSIGNED_LONG_LONG, 0,
                   MPI_COMM_WORLD);
    else
        all[0] = mine;
    if (par_r != 0) {
        for (size_t i = 0; i < n; i += PAR_PIECE) {
            size_t k = n - i < PAR_PIECE ? n - i : PAR_PIECE;
            MPI_Send((const char *)buf + i, (int)k, MPI_BYTE, 0, 0, MPI_COMM_WORLD);
        }
        return;
    }
    size_t total = 0;
    for (int r = 0; r < par_n; r++) total += (size_t)all[r];
    char *dst = xmalloc(total ? total : 1);
    if (n) memcpy(dst, buf, n);
    size_t at = n;
    for (int r = 1; r < par_n; r++)
        for (size_t i = 0; i < (size_t)all[r]; i += PAR_PIECE) {
            size_t k = (size_t)all[r] - i < PAR_PIECE ? (size_t)all[r] - i : PAR_PIECE;
            MPI_Recv(dst + at, (int)k, MPI_BYTE, r, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            at += k;
        }
    free(all);
    *out = dst;
    *out_n = total;
}

_Noreturn void par_abort(int code)
{
    fflush(stdout);
    fflush(stderr);
    if (par_started && par_n > 1) MPI_Abort(MPI_COMM_WORLD, code);
    exit(code);
}

#else /* one process */

void par_init(int *argc, char ***argv) { (void)argc, (void)argv; }
void par_finalize(void) {}
int par_rank(void) { return 0; }
int par_size(void) { return 1; }
const char *par_kind(void) { return "none"; }
void par_barrier(void) {}
void par_sum_float(float *x, size_t n) { (void)x, (void)n; }
void par_sum_double(double *x, size_t n) { (void)x, (void)n; }
void par_bcast(void *buf, size_t n) { (void)buf, (void)n; }
void par_bcast_idle(void *buf, size_t n) { (void)buf, (void)n; }

void par_gather(const void *buf, size_t n, void **out, size_t *out_n)
{
    *out = xmalloc(n ? n : 1);
    if (n) memcpy(*out, buf, n);
    *out_n = n;
}

_Noreturn void par_abort(int code) { exit(code); }

#endif

void par_share(long n, int rank, int size, long *lo, long *hi)
{
    long r = rank, p = size;
    *lo = n / p * r + (r < n % p ? r : n % p);
    *hi = *lo + n / p + (r < n % p);
}

void par_range(long n, long *lo, long *hi) { par_share(n, par_rank(), par_size(), lo, hi); }
