#!/usr/bin/python3
"""fig10_scipy: the paper's Fig. 10 protocol written the straightforward numpy/scipy way, the
reference that bench_sim times `biasamp sim` against (whole process against whole process).

A pretrained Beta(3,2) is itself an MLE on 10,000 draws; each generation draws 10,000 samples (the
real Beta(2,2) data at generation 0, the previous model's samples after), weights every sample by
the previous model's density and refits by maximising the weighted Beta log-likelihood with
scipy.optimize.minimize; 11 generations, one replicate, the table written as CSV.

usage: fig10_scipy.py OUT.csv [seed]     (needs Debian's python3-numpy and python3-scipy)
"""
import sys

import numpy as np
from scipy import optimize, stats

N, GENERATIONS = 10_000, 11


def wmle(x, w, start):
    """argmax_theta sum_i w_i log Beta(x_i; a, b), over log a, log b."""
    def nll(u):
        a, b = np.exp(u)
        return -np.sum(w * stats.beta.logpdf(x, a, b)) / np.sum(w)

    res = optimize.minimize(nll, np.log(start), method="BFGS")
    return np.exp(res.x), res.success


def main():
    out = sys.argv[1]
    rng = np.random.default_rng(int(sys.argv[2]) if len(sys.argv) > 2 else 20240601)
    pre, _ = wmle(rng.beta(3, 2, N), np.ones(N), (3.0, 2.0))
    prev = pre
    rows = []
    for g in range(GENERATIONS):
        x = rng.beta(2, 2, N) if g == 0 else rng.beta(prev[0], prev[1], N)
        x = np.clip(x, 1e-300, 1 - 1e-16)
        w = stats.beta.pdf(x, prev[0], prev[1])
        theta, ok = wmle(x, w, prev)
        a, b = theta
        mean = a / (a + b)
        sd = np.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)))
        rows.append((0, g, a, b, mean, sd, mean - 0.5, int(ok)))
        prev = theta
    with open(out, "w") as f:
        f.write("# kind=fig10_scipy\nsetup,generation,a,b,mean,sd,bias,converged\n")
        for r in rows:
            f.write(",".join(repr(float(v)) if isinstance(v, float) or hasattr(v, "dtype")
                             else str(v) for v in r) + "\n")


if __name__ == "__main__":
    main()
