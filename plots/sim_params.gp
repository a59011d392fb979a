# sim_params.gp: the fitted parameters per generation (up to two), Monte Carlo mean with 5-95 %
# band, the population map and the closed form (points, when known).
# gnuplot -c sim_params.gp GENERATIONS.csv OUT POPULATION.csv TITLE P1 [P2] [log|lin] [closed|noclosed]
out = ARG2; load 'common.gp'
data = ARG1; pop = ARG3; ttl = ARG4; p1 = ARG5; p2 = ARG6; scale = ARG7
hascf = (ARG8 ne "noclosed")
if (scale eq "log") { set logscale y }
set title ttl
set xlabel "generation"
set ylabel "parameter value"
set key top left
if (hascf) {
plot data using "generation":(column(p1."_q05")):(column(p1."_q95")) with filledcurves lc rgb c1 notitle, \
     data using "generation":p1 with linespoints pt 7 ps 0.8 lc rgb c1 title p1." (Monte Carlo mean, 5-95 %)", \
     pop using "generation":p1 with lines dt 2 lw 2 lc rgb c1 title p1." population map", \
     pop using "generation":(column(p1."_closed")) with points pt 6 ps 1.6 lc rgb "black" title "closed form", \
     data using "generation":(column(p2."_q05")):(column(p2."_q95")) with filledcurves lc rgb c2 notitle, \
     data using "generation":p2 with linespoints pt 5 ps 0.8 lc rgb c2 title p2." (Monte Carlo mean, 5-95 %)", \
     pop using "generation":p2 with lines dt 2 lw 2 lc rgb c2 title p2." population map", \
     pop using "generation":(column(p2."_closed")) with points pt 6 ps 1.6 lc rgb "black" notitle
} else {
plot data using "generation":(column(p1."_q05")):(column(p1."_q95")) with filledcurves lc rgb c1 notitle, \
     data using "generation":p1 with linespoints pt 7 ps 0.8 lc rgb c1 title p1." (Monte Carlo mean, 5-95 %)", \
     pop using "generation":p1 with lines dt 2 lw 2 lc rgb c1 title p1." population map", \
     data using "generation":(column(p2."_q05")):(column(p2."_q95")) with filledcurves lc rgb c2 notitle, \
     data using "generation":p2 with linespoints pt 5 ps 0.8 lc rgb c2 title p2." (Monte Carlo mean, 5-95 %)", \
     pop using "generation":p2 with lines dt 2 lw 2 lc rgb c2 title p2." population map"
}
