# sim_metrics.gp: metric trajectories with Monte Carlo bands — one panel per named metric: the
# Monte Carlo mean with its 5-95 % band and the n = inf population map (dashed).
# gnuplot -c sim_metrics.gp GENERATIONS.csv OUT POPULATION.csv TITLE "bias dispersion kl ..."
out = ARG2; load 'common.gp'
data = ARG1; pop = (ARG3 ne "") ? ARG3 : ARG1; ttl = ARG4; list = ARG5
n = words(list)
cols = (n <= 2) ? n : (n <= 4 ? 2 : 3)
rows = (n + cols - 1) / cols
set multiplot layout rows, cols title ttl
set xlabel "generation"
set key top left font ",9"
do for [i=1:n] {
    m = word(list, i)
    set title m
    set ylabel m
    # n_eff and n_train are infinite in the population map: no dashed line for them
    if (m eq "n_eff" || m eq "n_train") {
        plot data using "generation":(column(m."_q05")):(column(m."_q95")) with filledcurves lc rgb c1 title "Monte Carlo 5-95 %", \
             data using "generation":m with linespoints pt 7 ps 0.6 lc rgb c1 title "Monte Carlo mean"
    } else {
        plot data using "generation":(column(m."_q05")):(column(m."_q95")) with filledcurves lc rgb c1 title "Monte Carlo 5-95 %", \
             data using "generation":m with linespoints pt 7 ps 0.6 lc rgb c1 title "Monte Carlo mean", \
             pop using "generation":m with lines dt 2 lw 2 lc rgb c2 title "population map (n = inf)"
    }
}
unset multiplot
