/* par: the process group. Built with MPI=1 (mpicc, -DBIASAMP_MPI) it is MPI_COMM_WORLD; otherwise
 * one process, and every call is the identity (a sum over one rank is the value itself, a gather
 * is a copy). The only file that knows about MPI: sim/ and models/ call par_* and never #ifdef.
 *
 * Contract for callers: collectives are called by every rank in the same order, from the main
 * thread (outside OpenMP regions; MPI is initialised with MPI_THREAD_FUNNELED). There is no error
 * status: an MPI failure aborts the job (MPI's default error handler), and a rank that fails in
 * biasamp's own code ends the whole job with par_abort after printing its message. */
#ifndef BIASAMP_PAR_H
#define BIASAMP_PAR_H

#include <stddef.h>

/* Initialises MPI (a no-op without it). Ranks other than 0 get stdout redirected to /dev/null,
 * so tables and progress appear once; stderr stays theirs for error messages. Idempotent. */
void par_init(int *argc, char ***argv);
/* MPI_Finalize (a no-op without MPI or before par_init). */
void par_finalize(void);

int par_rank(void);    /* 0 .. par_size()-1; 0 without MPI */
int par_size(void);    /* 1 without MPI */
static inline int par_is_root(void) { return par_rank() == 0; }
/* "mpi" or "none": what this build was made with (for --version and CSV metadata). */
const char *par_kind(void);

void par_barrier(void);

/* In-place sum over all ranks, result on every rank (MPI_Allreduce). */
void par_sum_float(float *x, size_t n);
void par_sum_double(double *x, size_t n);

/* Broadcast n bytes from rank 0 (any size: sent in pieces below MPI's int count). */
void par_bcast(void *buf, size_t n);

/* par_bcast for a wait of unknown length (n <= 1 GiB): the receiving ranks poll for it and sleep
 * a millisecond between polls instead of spinning on a core (MPI's blocking calls busy-wait). */
void par_bcast_idle(void *buf, size_t n);

/* Gathers every rank's n bytes (n may differ per rank, may be 0) to rank 0: there *out is a new
 * malloc'd buffer with the pieces concatenated in rank order (*out_n bytes in all), elsewhere
 * *out = NULL and *out_n = 0. Without MPI: a copy. Free with free(). */
void par_gather(const void *buf, size_t n, void **out, size_t *out_n);

/* The contiguous share [*lo, *hi) of 0 .. n-1 of rank `rank` among `size` (n >= 0): shares
 * differ in length by at most one, the longer first, and concatenated in rank order they are
 * 0 .. n-1. */
void par_share(long n, int rank, int size, long *lo, long *hi);
/* This rank's share, par_share(n, par_rank(), par_size()). */
void par_range(long n, long *lo, long *hi);

/* Ends the whole job with exit code `code`: MPI_Abort when several ranks run (the caller has
 * printed its message), else exit(code). */
_Noreturn void par_abort(int code);

#endif
