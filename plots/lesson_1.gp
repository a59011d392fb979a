# lesson_1.gp: Lesson 1, collapse from sampling error alone. Left: the bias of single chains and
# the average over all chains (no direction). Right: the average fitted variance with the formula
# ((n-1)/n)^(g+1), the median chain and the chains' 5-95 % band (log scale).
# gnuplot -c lesson_1.gp LESSON.csv OUT TITLE TERM   (LESSON.csv from `biasamp lesson 1`)
figw = 1400; figh = 560; minrows = 44
out = ARG2; load 'common.gp'
term = ARG4; load 'explore_term.gp'
data = ARG1; ttl = ARG3
stats data using 1 nooutput
nrep = STATS_columns - 7
if (dumb) { nrep = (nrep < 4) ? nrep : 4 }
if (dumb) { set multiplot layout 2,1 title ttl } else { set multiplot layout 1,2 title ttl }
set xlabel "generation"
set title "the mean wanders, in no direction"
set ylabel "bias of the fitted mean"
eval keyat("top left")
plot for [i=1:nrep] data using "generation":(column(sprintf("bias_rep_%d", i))) with lines lw 1 lc rgb "#aaaaaa" title (i == 1 ? "single chains" : ""), \
     data using "generation":"bias_mc" with lines lw 3 lc rgb c2 title "average over all chains"
set title "the variance drains away"
set ylabel "fitted variance"
set logscale y
set format y "%g"
eval keyat("bottom left")
if (dumb) {
    plot data using "generation":"var_mc" with lines lt 1 title "average over chains", \
         data using "generation":"var_formula" with lines lt 2 title "((n-1)/n)^(g+1)", \
         data using "generation":"var_q50" with lines lt 4 title "median chain", \
         data using "generation":"var_q05" with lines lt 3 title "5 % / 95 % of chains", \
         data using "generation":"var_q95" with lines lt 3 notitle
} else {
    plot data using "generation":"var_q05":"var_q95" with filledcurves lc rgb c1 title "chains 5-95 %", \
         data using "generation":"var_mc" with points pt 7 ps 0.8 lc rgb c1 title "average over chains", \
         data using "generation":"var_formula" with lines lw 2 lc rgb c2 title "((n-1)/n)^(g+1)", \
         data using "generation":"var_q50" with lines lw 2 dt 2 lc rgb c1 title "median chain"
}
unset multiplot
