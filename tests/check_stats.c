/* check_stats: every statistic against an independent value — a hand-worked Newey–West example,
 * classical tables (lady tasting tea), and numbers from scipy/statsmodels produced once by
 * tests/oracles/stats_oracle.py (pasted here; python is never needed to run the tests). */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "stats.h"

Suite *suite_stats(void);

/* |got - want| <= tol * max(1, |want|) */
#define ck_near(got, want, tol)                                                                    \
    do {                                                                                           \
        double g_ = (got), w_ = (want);                                                            \
        ck_assert_msg(fabs(g_ - w_) <= (tol)*fmax(1.0, fabs(w_)), "%s = %.17g, want %.17g", #got,  \
                      g_, w_);                                                                     \
    } while (0)
/* relative closeness, for small p-values */
#define ck_rel(got, want, tol)                                                                     \
    do {                                                                                           \
        double g_ = (got), w_ = (want);                                                            \
        ck_assert_msg(fabs(g_ - w_) <= (tol)*fabs(w_), "%s = %.17g, want %.17g", #got, g_, w_);    \
    } while (0)

/* The oracle's series (stats_oracle.py: AR(1) regressor and AR(1) errors, seed 10). */
static const double X20[20] = {-1.103, -1.444, -1.115, 0.174,  0.580,  -0.407, -0.588,
                               -1.325, -0.489, -0.471, -1.268, -1.521, -1.043, -1.049,
                               0.354,  -0.025, 0.154,  0.169,  0.285,  0.776};
static const double Y20[20] = {-0.166, 0.327,  0.633,  1.967,  1.230, 0.021,  0.305,
                               -0.894, -1.730, -0.029, -1.041, 0.273, -1.346, 0.630,
                               1.796,  -0.528, 0.127,  2.143,  1.928, 1.461};
static const double X6[6] = {1, 2, 3, 4, 5, 6};
static const double Y6[6] = {3.5, 2.0, 3.5, 4.0, 3.5, 6.0};

START_TEST(test_pearson_oracle)
{
    /* scipy.stats.pearsonr */
    double r, p;
    ck_assert_int_eq(stats_pearson(X20, Y20, 20, &r, &p), ERR_OK);
    ck_near(r, 0.60513115174581378, 1e-13);
    ck_rel(p, 0.0046989488725086787, 1e-9);
    double xw[10], yw[10];
    static const int perm[10] = {3, 7, 1, 9, 0, 5, 2, 8, 6, 4};
    for (int i = 0; i < 10; i++) {
        xw[i] = X20[i];
        yw[i] = Y20[perm[i]];
    }
    ck_assert_int_eq(stats_pearson(xw, yw, 10, &r, &p), ERR_OK);
    ck_near(r, 0.14408316391859299, 1e-13);
    ck_rel(p, 0.69128014378063374, 1e-9);
    ck_assert_int_eq(stats_pearson(X6, Y6, 6, &r, &p), ERR_OK);
    ck_near(r, 0.72276417986885078, 1e-13);
    ck_rel(p, 0.10463541896843864, 1e-9);
}
END_TEST

START_TEST(test_pearson_edges)
{
    /* a perfect line: r = 1, p = 0; a large offset must not cost digits (two-pass sums) */
    double x[5], y[5], r, p;
    for (int i = 0; i < 5; i++) {
        x[i] = 1e8 + i;
        y[i] = 3 - 2.0 * i;
    }
    ck_assert_int_eq(stats_pearson(x, y, 5, &r, &p), ERR_OK);
    ck_near(r, -1.0, 1e-12);
    ck_assert(p < 1e-10);
    /* constant series: a NAN outcome, not an error */
    double c[4] = {2, 2, 2, 2}, z[4] = {1, 2, 3, 5};
    ck_assert_int_eq(stats_pearson(c, z, 4, &r, &p), ERR_OK);
    ck_assert(isnan(r) && isnan(p));
    ck_assert_int_eq(stats_pearson(z, z, 2, &r, &p), ERR_INVAL);
    z[1] = NAN;
    ck_assert_int_eq(stats_pearson(c, z, 4, &r, &p), ERR_INVAL);
    ck_assert_ptr_nonnull(strstr(err_msg(), "y[1]"));
    /* p(r = 0) = 1; r = 0.5, n = 12: t = 0.5 sqrt(10/0.75) = 1.8257, p = 0.09785 (scipy t.sf) */
    ck_near(stats_pearson_p(0.0, 10), 1.0, 1e-15);
    ck_near(stats_pearson_p(0.5, 12), 0.0978546142578125, 1e-12);
    ck_assert(isnan(stats_pearson_p(NAN, 10)));
}
END_TEST

/* Worked by hand. x = 1..6, y = 2 + x/2 + e with e = (1,-1,0,0,-1,1), which sums to 0 and is
 * orthogonal to x (1-2-5+6 = 0), so OLS returns alpha = 2, beta = 1/2 and residuals e exactly.
 *   mean x = 3.5, Sxx = 6.25+2.25+0.25+0.25+2.25+6.25 = 17.5
 *   u_t = (x_t - 3.5) e_t = (-2.5, 1.5, 0, 0, -1.5, 2.5)
 *   gamma_0 = sum u^2 = 6.25+2.25+2.25+6.25 = 17
 *   gamma_1 = sum u_t u_{t-1} = (1.5)(-2.5) + 0 + 0 + 0 + (2.5)(-1.5) = -7.5
 *   gamma_2 = sum u_t u_{t-2} = 0·(-2.5) + 0·1.5 + (-1.5)·0 + 2.5·0 = 0
 *   lag 0 (White): V = 17 / 17.5^2 = 0.05551020..., se = 0.23560604
 *   lag 1: w_1 = 1/2, S = 17 + 2(1/2)(-7.5) = 9.5, V = 9.5/306.25, se = 0.17612611
 *   lag 2: w_1 = 2/3, w_2 = 1/3, S = 17 + 2(2/3)(-7.5) + 0 = 7, V = 7/306.25, se = 0.15118579
 *   classical: s^2 = sum e^2/(n-2) = 4/4 = 1, se = sqrt(1/17.5) = 0.23904572
 * statsmodels (stats_oracle.py, cov_type='HAC', use_correction=False) agrees to 1e-16. */
START_TEST(test_newey_west_hand)
{
    StatsOls o;
    ck_assert_int_eq(stats_ols_hac(X6, Y6, 6, 0, &o), ERR_OK);
    ck_near(o.alpha, 2.0, 1e-14);
    ck_near(o.beta, 0.5, 1e-14);
    ck_near(o.se_ols, sqrt(1 / 17.5), 1e-14);
    ck_near(o.se_hac, sqrt(17.0) / 17.5, 1e-14);
    ck_assert_int_eq(stats_ols_hac(X6, Y6, 6, 1, &o), ERR_OK);
    ck_near(o.se_hac, sqrt(9.5) / 17.5, 1e-14);
    ck_near(o.z, 0.5 * 17.5 / sqrt(9.5), 1e-13);
    ck_assert_int_eq(stats_ols_hac(X6, Y6, 6, 2, &o), ERR_OK);
    ck_near(o.se_hac, sqrt(7.0) / 17.5, 1e-14);
    /* statsmodels' p-values for the same fits: normal (default) and use_t=True */
    ck_rel(o.p_z, 0.00094237240515161042, 1e-9);
    ck_rel(o.p_t, 0.029732546328852968, 1e-9);
    ck_assert_int_eq(stats_ols_hac(X6, Y6, 6, 1, &o), ERR_OK);
    ck_rel(o.p_z, 0.0045272906563793101, 1e-9);
    ck_rel(o.p_t, 0.046921068912271317, 1e-9);
}
END_TEST

START_TEST(test_newey_west_oracle)
{
    /* statsmodels OLS(...).fit(cov_type='HAC', cov_kwds={'maxlags': L}) [use_t=True for p_t];
     * se_corrected = use_correction=True = se sqrt(n/(n-2)) */
    static const struct {
        int lag;
        double se, p_z, p_t, se_corrected;
    } want[] = {
        {0, 0.22719922980888005, 3.6243237303427104e-05, 0.00062853324880554509,
         0.23948901627736105},
        {1, 0.19150652187049599, 9.5840418606404072e-07, 0.00011533186737995865,
         0.20186559862920553},
        {2, 0.17568109508155069, 9.2238793938905674e-08, 4.4613740113570739e-05,
         0.18518413409676823},
        {3, 0.15771520997939897, 2.6840250323134871e-09, 1.2491274796373019e-05,
         0.16624642839553946},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        StatsOls o;
        ck_assert_int_eq(stats_ols_hac(X20, Y20, 20, want[i].lag, &o), ERR_OK);
        ck_near(o.alpha, 0.79432438841842734, 1e-12);
        ck_near(o.beta, 0.93838047973156824, 1e-12);
        ck_near(o.se_ols, 0.29098787964861111, 1e-12);
        ck_near(o.se_hac, want[i].se, 1e-12);
        ck_near(o.se_hac * sqrt(20.0 / 18.0), want[i].se_corrected, 1e-12);
        ck_rel(o.p_z, want[i].p_z, 1e-8);
        ck_rel(o.p_t, want[i].p_t, 1e-8);
    }
}
END_TEST

START_TEST(test_newey_west_edges)
{
    StatsOls o;
    double c[4] = {1, 1, 1, 1}, y[4] = {1, 2, 3, 4};
    ck_assert_int_eq(stats_ols_hac(c, y, 4, 1, &o), ERR_OK); /* constant x: NAN, not an error */
    ck_assert(isnan(o.beta) && isnan(o.se_hac) && isnan(o.p_z));
    ck_assert_int_eq(stats_ols_hac(y, y, 4, 1, &o), ERR_OK); /* perfect fit */
    ck_near(o.beta, 1.0, 1e-15);
    ck_assert(o.se_hac == 0 && isinf(o.z) && o.p_z == 0 && o.p_t == 0);
    ck_assert_int_eq(stats_ols_hac(y, y, 4, 4, &o), ERR_INVAL);
    ck_assert_int_eq(stats_ols_hac(y, y, 4, -1, &o), ERR_INVAL);
    ck_assert_int_eq(stats_ols_hac(y, y, 2, 0, &o), ERR_INVAL);
}
END_TEST

typedef struct Table {
    unsigned long a, b, c, d;
    double or_, less, greater, two, x2, p, x2y, py; /* scipy; x2 = NAN: not checked */
} Table;

/* scipy.stats.fisher_exact(alternative=...) and chi2_contingency(correction=False/True) */
static const Table tables[] = {
    /* lady tasting tea (Fisher 1935): 0.2429 one-sided, 0.4857 two-sided */
    {3, 1, 1, 3, 9, 0.98571428571428577, 0.24285714285714283, 0.48571428571428565, 2,
     0.15729920705028105, 0.5, 0.47950012218695337},
    {8, 2, 1, 5, 20, 0.99912587412587417, 0.024475524475524483, 0.034965034965034975,
     6.1121693121693124, 0.013425424881491248, 3.8095238095238093, 0.050961936967763424},
    /* the authors' neuron sets: 389 both, 3243 bias, 1033 quality, 9216 neurons */
    {389, 2854, 644, 5329, 1.1278607555267315, 0.96344069613383698, 0.042394884322530711,
     0.083841662721180765, 3.1084532128052902, 0.077886896195782221, 2.9877466604613678,
     0.083896838019525022},
    {10, 20, 30, 40, 0.66666666666666663, 0.2533310713617557, 0.86764196478944133,
     0.50447576985162845, 0.79365079365079361, 0.37299848361348686, 0.4464285714285714,
     0.50403586645250464},
    {0, 5, 5, 0, 0, 0.0039682539682539689, 1, 0.0079365079365079378, 10, 0.001565402258002549,
     6.4000000000000004, 0.01141203638600166},
    {1, 9, 11, 3, 0.030303030303030304, 0.0013797280926100418, 0.99996634809530216,
     0.0027594561852200836, 10.971428571428572, 0.00092527403711976204, 8.4000000000000004,
     0.0037522101008738498},
    /* |O - E| < 0.5 everywhere: Yates shrinks the statistic to 0 */
    {5, 5, 5, 6, 1.2, 0.74005715646582515, 0.5900214336746844, 1, 0.043388429752066124,
     0.83499559421104586, 0, 1},
};

START_TEST(test_fisher_tables)
{
    const Table *t = &tables[_i];
    StatsFisher f;
    ck_assert_int_eq(stats_fisher2x2(t->a, t->b, t->c, t->d, &f), ERR_OK);
    ck_near(f.odds_ratio, t->or_, 1e-14);
    ck_rel(f.p_less, t->less, 1e-9);
    ck_rel(f.p_greater, t->greater, 1e-9);
    ck_rel(f.p_two_sided, t->two, 1e-9);
}
END_TEST

START_TEST(test_chisq_tables)
{
    const Table *t = &tables[_i];
    StatsChisq s;
    ck_assert_int_eq(stats_chisq2x2(t->a, t->b, t->c, t->d, 0, &s), ERR_OK);
    ck_near(s.stat, t->x2, 1e-12);
    ck_rel(s.p, t->p, 1e-9);
    ck_assert_int_eq(stats_chisq2x2(t->a, t->b, t->c, t->d, 1, &s), ERR_OK);
    ck_near(s.stat, t->x2y, 1e-12);
    ck_near(s.p, t->py, 1e-9);
}
END_TEST

START_TEST(test_tables_by_hand)
{
    /* lady tasting tea by hand: P(X = k) = C(4,k) C(4,4-k) / C(8,4) = {1, 16, 36, 16, 1}/70;
     * greater: (16+1)/70, two-sided: (1+16+16+1)/70 */
    StatsFisher f;
    ck_assert_int_eq(stats_fisher2x2(3, 1, 1, 3, &f), ERR_OK);
    ck_near(f.p_greater, 17.0 / 70, 1e-14);
    ck_near(f.p_two_sided, 34.0 / 70, 1e-14);
    ck_near(f.p_less, 69.0 / 70, 1e-14);
    /* the most likely table: two-sided p = 1 */
    ck_assert_int_eq(stats_fisher2x2(2, 2, 2, 2, &f), ERR_OK);
    ck_near(f.p_two_sided, 1.0, 1e-15);
    /* a zero margin: p = 1, odds ratio undefined (scipy's convention) */
    ck_assert_int_eq(stats_fisher2x2(0, 0, 3, 4, &f), ERR_OK);
    ck_assert(isnan(f.odds_ratio) && f.p_less == 1 && f.p_greater == 1 && f.p_two_sided == 1);
    ck_assert_int_eq(stats_fisher2x2(4000000000UL, 400000000UL, 1, 1, &f), ERR_INVAL);
    /* chi-square by hand for [[3,1],[1,3]]: E = 2 everywhere, X2 = 4·1/2 = 2; Yates 4·0.25/2 */
    StatsChisq s;
    ck_assert_int_eq(stats_chisq2x2(3, 1, 1, 3, 0, &s), ERR_OK);
    ck_near(s.stat, 2.0, 1e-15);
    ck_near(s.p, erfc(1.0), 1e-14); /* chi2(1) tail at 2 = P(|Z| > sqrt 2) = erfc(1) */
    ck_assert_int_eq(stats_chisq2x2(3, 1, 1, 3, 1, &s), ERR_OK);
    ck_near(s.stat, 0.5, 1e-15);
    ck_near(s.expected[0], 2.0, 1e-15);
    ck_assert_int_eq(stats_chisq2x2(0, 0, 3, 4, 0, &s), ERR_OK);
    ck_assert(isnan(s.stat) && isnan(s.p));
}
END_TEST

START_TEST(test_adjust)
{
    /* statsmodels multipletests(p, method='fdr_bh' / 'bonferroni').pvals_corrected */
    static const double p[10] = {0.01, 0.04, 0.03, 0.005, 0.2, 0.04, 0.9, 0.0001, 0.5, 0.049};
    static const double bh[10] = {0.033333333333333333,
                                  0.066666666666666666,
                                  0.066666666666666666,
                                  0.024999999999999998,
                                  0.25,
                                  0.066666666666666666,
                                  0.90000000000000002,
                                  0.001,
                                  0.55555555555555558,
                                  0.070000000000000007};
    static const double bonf[10] = {0.1, 0.4, 0.3, 0.05, 1, 0.4, 1, 0.001, 1, 0.49};
    double adj[10];
    ck_assert_int_eq(stats_adjust(p, 10, STATS_ADJUST_BH, adj), ERR_OK);
    for (int i = 0; i < 10; i++) ck_near(adj[i], bh[i], 1e-15);
    ck_assert_int_eq(stats_adjust(p, 10, STATS_ADJUST_BONFERRONI, adj), ERR_OK);
    for (int i = 0; i < 10; i++) ck_near(adj[i], bonf[i], 1e-15);
    ck_assert_int_eq(stats_adjust(p, 10, STATS_ADJUST_NONE, adj), ERR_OK);
    for (int i = 0; i < 10; i++) ck_assert(adj[i] == p[i]);
    /* NAN stays NAN and is not a test: {0.01, NAN, 0.04} adjusts as m = 2; in place */
    double q[3] = {0.01, NAN, 0.04};
    ck_assert_int_eq(stats_adjust(q, 3, STATS_ADJUST_BH, q), ERR_OK);
    ck_near(q[0], 0.02, 1e-15);
    ck_assert(isnan(q[1]));
    ck_near(q[2], 0.04, 1e-15);
    double q2[3] = {0.01, NAN, 0.04};
    ck_assert_int_eq(stats_adjust(q2, 3, STATS_ADJUST_BONFERRONI, q2), ERR_OK);
    ck_assert(q2[0] == 0.02 && isnan(q2[1]) && q2[2] == 0.08);
    double bad[2] = {0.5, 1.5};
    ck_assert_int_eq(stats_adjust(bad, 2, STATS_ADJUST_BH, adj), ERR_INVAL);
    ck_assert_int_eq(stats_adjust_find("bh"), STATS_ADJUST_BH);
    ck_assert_int_eq(stats_adjust_find("holm"), -1);
}
END_TEST

START_TEST(test_jaccard)
{
    ck_near(stats_jaccard(389, 3243, 1033), 389.0 / 3887.0, 1e-15);
    ck_near(stats_jaccard(0, 3, 4), 0.0, 0);
    ck_near(stats_jaccard(5, 5, 5), 1.0, 0);
    ck_assert(isnan(stats_jaccard(0, 0, 0)));
}
END_TEST

Suite *suite_stats(void)
{
    Suite *s = suite_create("stats");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_pearson_oracle);
    tcase_add_test(tc, test_pearson_edges);
    tcase_add_test(tc, test_newey_west_hand);
    tcase_add_test(tc, test_newey_west_oracle);
    tcase_add_test(tc, test_newey_west_edges);
    tcase_add_loop_test(tc, test_fisher_tables, 0, (int)(sizeof tables / sizeof tables[0]));
    tcase_add_loop_test(tc, test_chisq_tables, 0, (int)(sizeof tables / sizeof tables[0]));
    tcase_add_test(tc, test_tables_by_hand);
    tcase_add_test(tc, test_adjust);
    tcase_add_test(tc, test_jaccard);
    suite_add_tcase(s, tc);
    return s;
}
