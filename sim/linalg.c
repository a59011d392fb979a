/* linalg: Cholesky, solves and a Jacobi eigensolver for tiny symmetric matrices (d <= 8). */
#include "linalg.h"

#include <math.h>
#include <string.h>

#include "family.h"

void la_unpack(int d, const double *p, double *a)
{
    for (int i = 0; i < d; i++)
        for (int j = 0; j <= i; j++) a[i * d + j] = a[j * d + i] = p[la_pk(i, j)];
}

void la_pack(int d, const double *a, double *p)
{
    for (int i = 0; i < d; i++)
        for (int j = 0; j <= i; j++) p[la_pk(i, j)] = 0.5 * (a[i * d + j] + a[j * d + i]);
}

int la_chol(int d, double *a)
{
    for (int j = 0; j < d; j++) {
        double s = a[j * d + j];
        for (int k = 0; k < j; k++) s -= a[j * d + k] * a[j * d + k];
        if (!(s > 1e-300) || !isfinite(s)) return 0;
        double l = sqrt(s);
        a[j * d + j] = l;
        for (int i = j + 1; i < d; i++) {
            double t = a[i * d + j];
            for (int k = 0; k < j; k++) t -= a[i * d + k] * a[j * d + k];
            a[i * d + j] = t / l;
        }
        for (int i = 0; i < j; i++) a[i * d + j] = 0;
    }
    return 1;
}

double la_chol_logdet(int d, const double *L)
{
    double s = 0;
    for (int i = 0; i < d; i++) s += log(L[i * d + i]);
    return 2 * s;
}

void la_chol_solve(int d, const double *L, double *b)
{
    for (int i = 0; i < d; i++) {
        double t = b[i];
        for (int k = 0; k < i; k++) t -= L[i * d + k] * b[k];
        b[i] = t / L[i * d + i];
    }
    for (int i = d - 1; i >= 0; i--) {
        double t = b[i];
        for (int k = i + 1; k < d; k++) t -= L[k * d + i] * b[k];
        b[i] = t / L[i * d + i];
    }
}

void la_chol_inverse(int d, const double *L, double *inv)
{
    double e[DIST_DIM_MAX + 1];
    for (int j = 0; j < d; j++) {
        for (int i = 0; i < d; i++) e[i] = i == j;
        la_chol_solve(d, L, e);
        for (int i = 0; i < d; i++) inv[i * d + j] = e[i];
    }
}

void la_sym_eig(int d, double *a, double *eval, double *v)
{
    for (int i = 0; i < d; i++)
        for (int j = 0; j < d; j++) v[i * d + j] = i == j;
    for (int sweep = 0; sweep < 60; sweep++) {
        double off = 0, tot = 0;
        for (int i = 0; i < d; i++)
            for (int j = 0; j < d; j++) {
                tot += a[i * d + j] * a[i * d + j];
                if (i != j) off += a[i * d + j] * a[i * d + j];
            }
        if (off <= 1e-30 * tot || off == 0) break;
        for (int p = 0; p < d; p++)
            for (int q = p + 1; q < d; q++) {
                double apq = a[p * d + q];
                if (apq == 0) continue;
                /* rotation annihilating a[p][q] (Golub & Van Loan, Alg. 8.4.1) */
                double tau = (a[q * d + q] - a[p * d + p]) / (2 * apq);
                double t = (tau >= 0 ? 1 : -1) / (fabs(tau) + sqrt(1 + tau * tau));
                double c = 1 / sqrt(1 + t * t), s = t * c;
                for (int k = 0; k < d; k++) {
                    double akp = a[k * d + p], akq = a[k * d + q];
                    a[k * d + p] = c * akp - s * akq;
                    a[k * d + q] = s * akp + c * akq;
                }
                for (int k = 0; k < d; k++) {
                    double apk = a[p * d + k], aqk = a[q * d + k];
                    a[p * d + k] = c * apk - s * aqk;
                    a[q * d + k] = s * apk + c * aqk;
                }
                for (int k = 0; k < d; k++) {
                    double vkp = v[k * d + p], vkq = v[k * d + q];
                    v[k * d + p] = c * vkp - s * vkq;
                    v[k * d + q] = s * vkp + c * vkq;
                }
            }
    }
    for (int i = 0; i < d; i++) eval[i] = a[i * d + i];
}

void la_sym_sqrt(int d, const double *a, double *out)
{
    double w[DIST_DIM_MAX * DIST_DIM_MAX], v[DIST_DIM_MAX * DIST_DIM_MAX], e[DIST_DIM_MAX];
    memcpy(w, a, (size_t)(d * d) * sizeof *w);
    la_sym_eig(d, w, e, v);
    for (int i = 0; i < d; i++) e[i] = sqrt(fmax(e[i], 0));
    for (int i = 0; i < d; i++)
        for (int j = 0; j < d; j++) {
            double s = 0;
            for (int k = 0; k < d; k++) s += v[i * d + k] * e[k] * v[j * d + k];
            out[i * d + j] = s;
        }
}
