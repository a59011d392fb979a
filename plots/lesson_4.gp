# lesson_4.gp: Lesson 4, mitigations. Left: the average fitted variance under zero-mean noise
# (no weight, finite n) for replace, accumulate and preserve, with the replace formula. Right: the
# bias under a constant push (a tilt, n = inf) for the three modes, with their formulas dashed:
# (g+1) delta, delta H_(g+1), and the preservation recursion settling at delta / rho.
# gnuplot -c lesson_4.gp LESSON.csv OUT TITLE TERM
figw = 1400; figh = 560; minrows = 44
out = ARG2; load 'common.gp'
term = ARG4; load 'explore_term.gp'
data = ARG1; ttl = ARG3
modes = "replace accumulate preserve"
colour(i) = word(c1." ".c2." ".c3, i)
if (dumb) { set multiplot layout 2,1 title ttl } else { set multiplot layout 1,2 title ttl }
set xlabel "generation"
set title "noise: keeping real data bounds it"
set ylabel "fitted variance (average over chains)"
set logscale y
set format y "%g"
eval keyat("bottom left")
plot for [i=1:3] data using "generation":(column("var_".word(modes, i))) with linespoints pt 7 ps 0.6 lc rgb colour(i) title word(modes, i), \
     data using "generation":"var_formula_replace" with lines dt 2 lw 1.5 lc rgb "black" title "((n-1)/n)^(g+1)"
unset logscale y
set format y "% h"
set title "a push: only preserving fresh data bounds it"
set ylabel "bias (population map)"
eval keyat("top left")
plot for [i=1:3] data using "generation":(column("bias_".word(modes, i))) with linespoints pt 7 ps 0.6 lc rgb colour(i) title word(modes, i), \
     for [i=1:3] data using "generation":(column("formula_".word(modes, i))) with lines dt 2 lw 1.5 lc rgb "black" title (i == 1 ? "formulas" : "")
unset multiplot
