# sim_moments.gp: mean and sd of the fitted model per generation — Monte Carlo mean with its 5-95 %
# band, the n = inf population map, and the closed form where known.
# gnuplot -c sim_moments.gp GENERATIONS.csv OUT [POPULATION.csv] [TITLE]
out = ARG2; load 'common.gp'
data = ARG1; pop = (exists("ARG3") && ARG3 ne "") ? ARG3 : ARG1
ttl = exists("ARG4") ? ARG4 : ""
set multiplot layout 1,2 title ttl
set xlabel "generation"
set ylabel "mean of the fitted model"
set title "bias: the mean"
set key bottom right
plot data using "generation":"mean_q05":"mean_q95" with filledcurves lc rgb c1 title "Monte Carlo 5-95 %", \
     data using "generation":"mean" with linespoints pt 7 ps 0.8 lc rgb c1 title "Monte Carlo mean", \
     pop using "generation":"mean" with lines dt 2 lw 2 lc rgb c2 title "population map (n = inf)", \
     data using "generation":(column("mean") - column("bias")) with lines lw 2 lc rgb "black" title "truth"
set key top right
set ylabel "sd of the fitted model"
set title "dispersion: the standard deviation"
set logscale y
plot data using "generation":"sd_q05":"sd_q95" with filledcurves lc rgb c1 notitle, \
     data using "generation":"sd" with linespoints pt 7 ps 0.8 lc rgb c1 title "Monte Carlo mean", \
     pop using "generation":"sd" with lines dt 2 lw 2 lc rgb c2 title "population map (n = inf)"
unset multiplot
