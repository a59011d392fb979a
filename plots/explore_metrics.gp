# explore_metrics.gp: the explorer's `plot`: one panel per metric of a run against the generation —
# the Monte Carlo mean with its 5-95 % band (two thin lines in a text terminal) and the n = inf
# population map (dashed; not drawn for n_eff and n_train, which are infinite there). A run at
# n = inf has the population map only.
# gnuplot -c explore_metrics.gp GENERATIONS.csv OUT POPULATION.csv TITLE "METRIC..." TERM mc|pop
out = ARG2; load 'common.gp'
term = ARG6; load 'explore_term.gp'
data = ARG1; pop = ARG3; ttl = ARG4; list = ARG5; mc = (ARG7 eq "mc")
n = words(list)
if (dumb) {
    cols = (n <= 3) ? 1 : 2
} else {
    cols = (n <= 2) ? n : (n <= 4 ? 2 : 3)
}
rows = (n + cols - 1) / cols
set multiplot layout rows, cols title ttl
set xlabel "generation"
if (!dumb) { set key top left font ",9" }
do for [i=1:n] {
    m = word(list, i)
    set title m
    haspop = (m eq "n_eff" || m eq "n_train") ? 0 : 1
    if (!mc) {
        plot pop using "generation":m with linespoints pt 7 ps 0.6 lc rgb c2 title "population map (n = inf)"
    }
    if (mc) {
        if (dumb) {
            set style line 11 lt 1
            set style line 12 lt 3
        } else {
            set style line 11 lc rgb c1 lw 1.5 pt 7 ps 0.6
            set style line 12 lc rgb c1
        }
        if (haspop) {
            if (dumb) {
                plot data using "generation":m with lines ls 11 title "Monte Carlo mean", \
                     data using "generation":(column(m."_q05")) with lines ls 12 title "5 % / 95 %", \
                     data using "generation":(column(m."_q95")) with lines ls 12 notitle, \
                     pop using "generation":m with lines lt 2 title "population map (n = inf)"
            } else {
                plot data using "generation":(column(m."_q05")):(column(m."_q95")) with filledcurves ls 12 title "Monte Carlo 5-95 %", \
                     data using "generation":m with linespoints ls 11 title "Monte Carlo mean", \
                     pop using "generation":m with lines dt 2 lw 2 lc rgb c2 title "population map (n = inf)"
            }
        } else {
            if (dumb) {
                plot data using "generation":m with lines ls 11 title "Monte Carlo mean", \
                     data using "generation":(column(m."_q05")) with lines ls 12 title "5 % / 95 %", \
                     data using "generation":(column(m."_q95")) with lines ls 12 notitle
            } else {
                plot data using "generation":(column(m."_q05")):(column(m."_q95")) with filledcurves ls 12 title "Monte Carlo 5-95 %", \
                     data using "generation":m with linespoints ls 11 title "Monte Carlo mean"
            }
        }
    }
}
unset multiplot
