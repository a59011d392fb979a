#!/usr/bin/python3
# stats_oracle: dev-time second implementation for tests/check_stats.c (scipy + statsmodels).
# Never a runtime or test dependency: run it by hand and paste its numbers into the C tests.
#   apt-get install -y python3-statsmodels python3-scipy && /usr/bin/python3 tests/oracles/stats_oracle.py
import numpy as np
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats.multitest import multipletests

# The series of check_stats.c: an AR(1) regressor and AR(1) errors (rng seed 10, 3 decimals).
X20 = [-1.103, -1.444, -1.115, 0.174, 0.580, -0.407, -0.588, -1.325, -0.489, -0.471,
       -1.268, -1.521, -1.043, -1.049, 0.354, -0.025, 0.154, 0.169, 0.285, 0.776]
Y20 = [-0.166, 0.327, 0.633, 1.967, 1.230, 0.021, 0.305, -0.894, -1.730, -0.029,
       -1.041, 0.273, -1.346, 0.630, 1.796, -0.528, 0.127, 2.143, 1.928, 1.461]
# The hand-worked example: y = 2 + x/2 + e with e orthogonal to [1 x].
X6 = [1, 2, 3, 4, 5, 6]
Y6 = [3.5, 2.0, 3.5, 4.0, 3.5, 6.0]
# Weak correlation: first 10 points of X20 against a fixed permutation of Y20's.
XW = X20[:10]
YW = [Y20[i] for i in (3, 7, 1, 9, 0, 5, 2, 8, 6, 4)]


def g(v):
    return "%.17g" % v


def pearson():
    for name, x, y in (("X20/Y20", X20, Y20), ("XW/YW", XW, YW), ("X6/Y6", X6, Y6)):
        r, p = stats.pearsonr(x, y)
        print(f"pearson {name}: r = {g(r)}  p = {g(p)}")


def hac():
    for name, x, y in (("X6/Y6", X6, Y6), ("X20/Y20", X20, Y20)):
        X = sm.add_constant(np.asarray(x, float))
        ols = sm.OLS(np.asarray(y, float), X)
        plain = ols.fit()
        print(f"ols {name}: alpha = {g(plain.params[0])}  beta = {g(plain.params[1])}  "
              f"se_ols = {g(plain.bse[1])}")
        for L in (0, 1, 2, 3):
            z = ols.fit(cov_type="HAC", cov_kwds={"maxlags": L})
            t = ols.fit(cov_type="HAC", cov_kwds={"maxlags": L}, use_t=True)
            c = ols.fit(cov_type="HAC", cov_kwds={"maxlags": L, "use_correction": True})
            print(f"  hac {name} lag {L}: se = {g(z.bse[1])}  p_z = {g(z.pvalues[1])}  "
                  f"p_t = {g(t.pvalues[1])}  se_corrected = {g(c.bse[1])}")


def fisher_chisq():
    tables = ([[3, 1], [1, 3]], [[8, 2], [1, 5]], [[389, 2854], [644, 5329]],
              [[10, 20], [30, 40]], [[0, 5], [5, 0]], [[1, 9], [11, 3]], [[5, 5], [5, 6]])
    for t in tables:
        out = [g(stats.fisher_exact(t, alternative=a)[1]) for a in ("less", "greater", "two-sided")]
        print(f"fisher {t}: or = {g(stats.fisher_exact(t)[0])}  less = {out[0]}  "
              f"greater = {out[1]}  two = {out[2]}")
        if 0 in np.sum(t, axis=0) or 0 in np.sum(t, axis=1):
            continue
        for corr in (False, True):
            x2, p, _, _ = stats.chi2_contingency(t, correction=corr)
            print(f"  chisq yates={int(corr)}: stat = {g(x2)}  p = {g(p)}")


def adjust():
    p = [0.01, 0.04, 0.03, 0.005, 0.2, 0.04, 0.9, 0.0001, 0.5, 0.049]
    for m in ("fdr_bh", "bonferroni"):
        rej, adj, _, _ = multipletests(p, alpha=0.05, method=m)
        print(f"{m}: " + ", ".join(g(v) for v in adj) + "  reject = " + str(rej.astype(int)))


if __name__ == "__main__":
    pearson()
    hac()
    fisher_chisq()
    adjust()
