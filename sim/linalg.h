/* linalg: small dense symmetric algebra for d <= DIST_DIM_MAX on the stack (no allocation, so it
 * runs inside a Monte Carlo replicate). Packed symmetric storage is the lower triangle row by
 * row: element (i, j), i >= j, at i(i+1)/2 + j. */
#ifndef BIASAMP_LINALG_H
#define BIASAMP_LINALG_H

static inline int la_pk(int i, int j) { return i >= j ? i * (i + 1) / 2 + j : j * (j + 1) / 2 + i; }

/* Packed -> full d x d (row-major) and back. */
void la_unpack(int d, const double *p, double *a);
void la_pack(int d, const double *a, double *p);
/* In-place Cholesky a = L L^T of a full d x d matrix (L in the lower triangle, upper zeroed).
 * Returns 1 if a is positive definite (pivots > 1e-300 and finite), else 0. */
int la_chol(int d, double *a);
/* log det from a Cholesky factor. */
double la_chol_logdet(int d, const double *L);
/* Solves L L^T x = b in place. */
void la_chol_solve(int d, const double *L, double *b);
/* Inverse of a PD matrix from its Cholesky factor into inv (full). */
void la_chol_inverse(int d, const double *L, double *inv);
/* Eigenvalues (ascending not guaranteed) and eigenvectors (columns of v) of a symmetric full
 * matrix by cyclic Jacobi; a is destroyed. */
void la_sym_eig(int d, double *a, double *eval, double *v);
/* Symmetric square root of a PSD matrix (negative eigenvalues clamped to 0). */
void la_sym_sqrt(int d, const double *a, double *out);

#endif
