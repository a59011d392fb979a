# lesson_2.gp: Lesson 2, bias without collapse (an exponential tilt). The bias per generation
# (Monte Carlo band and mean, population map, the formula (g+1) lambda sigma^2), the sd per
# generation, and the population map's density at the snapshot generations.
# gnuplot -c lesson_2.gp LESSON.csv OUT DENSITY.csv TITLE TERM "SNAPSHOTS"
figw = 1500; figh = 520; minrows = 60
out = ARG2; load 'common.gp'
term = ARG5; load 'explore_term.gp'
data = ARG1; dens = ARG3; ttl = ARG4; snaps = ARG6
if (dumb) { set multiplot layout 3,1 title ttl } else { set multiplot layout 1,3 title ttl }
set xlabel "generation"
eval keyat("top left")
set title "bias: it grows every generation"
if (dumb) {
    plot data using "generation":"bias_mc" with lines lt 1 title "Monte Carlo mean", \
         data using "generation":"bias_formula" with lines lt 2 title "(g+1) lambda sigma^2"
} else {
    plot data using "generation":"bias_q05":"bias_q95" with filledcurves lc rgb c1 title "Monte Carlo 5-95 %", \
         data using "generation":"bias_mc" with points pt 7 ps 0.7 lc rgb c1 title "Monte Carlo mean", \
         data using "generation":"bias_pop" with lines lw 2 lc rgb c2 title "population map (n = inf)", \
         data using "generation":"bias_formula" with lines dt 2 lw 2 lc rgb "black" title "(g+1) lambda sigma^2"
}
set title "dispersion: the sd stays"
eval keyat("bottom left")
set yrange [0:*]
if (dumb) {
    plot data using "generation":"sd_mc" with lines lt 1 title "Monte Carlo mean", \
         data using "generation":"sd_pop" with lines lt 2 title "population map"
} else {
    plot data using "generation":"sd_q05":"sd_q95" with filledcurves lc rgb c1 title "Monte Carlo 5-95 %", \
         data using "generation":"sd_mc" with points pt 7 ps 0.7 lc rgb c1 title "Monte Carlo mean", \
         data using "generation":"sd_pop" with lines lw 2 lc rgb c2 title "population map (n = inf)"
}
set autoscale y
set title "the density moves, its shape kept"
set xlabel "x"
eval keyat("top left")
plot dens using "x":"truth" with lines lw 3 lc rgb "black" title "truth", \
     for [k=1:words(snaps)] dens using "x":(column("pop_gen_".word(snaps, k))) with lines lw 2 \
         lc rgb word(c1." ".c2." ".c3." ".c4." ".c5." ".c6, 1 + (k - 1) % 6) title "generation ".word(snaps, k)
unset multiplot
