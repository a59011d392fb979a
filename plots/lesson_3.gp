# lesson_3.gp: Lesson 3, the paper's demonstration (self-density weighting). The weighted model's
# density at the snapshot generations (population map), its mean per generation against the
# unweighted loop and the truth, and its sd per generation (log scale): bias and collapse at once.
# gnuplot -c lesson_3.gp LESSON.csv OUT DENSITY.csv TITLE TERM "SNAPSHOTS"
figw = 1500; figh = 520; minrows = 60
out = ARG2; load 'common.gp'
term = ARG5; load 'explore_term.gp'
data = ARG1; dens = ARG3; ttl = ARG4; snaps = ARG6
if (dumb) { set multiplot layout 3,1 title ttl } else { set multiplot layout 1,3 title ttl }
set title "the density narrows and moves right"
set xlabel "x"
eval keyat("top left")
plot dens using "x":"truth" with lines lw 3 lc rgb "black" title "truth", \
     dens using "x":"pretrained" with lines lw 2 dt 2 lc rgb "#777777" title "pretrained", \
     for [k=1:words(snaps)] dens using "x":(column("pop_gen_".word(snaps, k))) with lines lw 2 \
         lc rgb word(c1." ".c2." ".c3." ".c4." ".c5." ".c6, 1 + (k - 1) % 6) title "generation ".word(snaps, k)
set xlabel "generation"
set title "bias: the mean drifts"
eval keyat("right center font ',9'")
if (dumb) {
    plot data using "generation":"mean_w_pop" with lines lt 1 title "weighted", \
         data using "generation":"mean_u_pop" with lines lt 2 title "unweighted", \
         data using "generation":"truth_mean" with lines lt 3 title "truth"
} else {
    plot data using "generation":"mean_w_q05":"mean_w_q95" with filledcurves lc rgb c1 title "weighted, Monte Carlo 5-95 %", \
         data using "generation":"mean_w_mc" with points pt 7 ps 0.8 lc rgb c1 title "weighted, Monte Carlo mean", \
         data using "generation":"mean_w_pop" with lines lw 2 lc rgb c2 title "weighted, population map", \
         data using "generation":"mean_u_mc" with points pt 6 ps 0.8 lc rgb c3 title "unweighted, Monte Carlo mean", \
         data using "generation":"mean_u_pop" with lines lw 2 dt 2 lc rgb c3 title "unweighted, population map", \
         data using "generation":"truth_mean" with lines lw 1 lc rgb "black" title "truth"
}
set title "collapse: the sd shrinks"
set logscale y
set format y "%g"
eval keyat("bottom left font ',9'")
if (dumb) {
    plot data using "generation":"sd_w_pop" with lines lt 1 title "weighted", \
         data using "generation":"sd_u_pop" with lines lt 2 title "unweighted"
} else {
    plot data using "generation":"sd_w_mc" with points pt 7 ps 0.8 lc rgb c1 title "weighted, Monte Carlo mean", \
         data using "generation":"sd_w_pop" with lines lw 2 lc rgb c2 title "weighted, population map", \
         data using "generation":"sd_u_mc" with points pt 6 ps 0.8 lc rgb c3 title "unweighted, Monte Carlo mean", \
         data using "generation":"sd_u_pop" with lines lw 2 dt 2 lc rgb c3 title "unweighted, population map"
}
unset multiplot
