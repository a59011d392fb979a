# lesson_6.gp: Lesson 6, functional-form error. The truth (a two-bump mixture) with a Gaussian
# and a mixture fitted at generation 0 (population map); the median's bias per generation for
# both models (population map and Monte Carlo mean); the total variation distance to the truth.
# gnuplot -c lesson_6.gp LESSON.csv OUT DENSITY_GAUSSIAN.csv DENSITY_MIXTURE.csv TITLE TERM
figw = 1500; figh = 560; minrows = 60
out = ARG2; load 'common.gp'
term = ARG6; load 'explore_term.gp'
data = ARG1; dg = ARG3; dm = ARG4; ttl = ARG5
if (dumb) { set multiplot layout 3,1 title ttl } else { set multiplot layout 1,3 title ttl }
set title "generation 0: two bumps, one Gaussian"
set xlabel "x"
eval keyat("top right")
plot dg using "x":"truth" with lines lw 3 lc rgb "black" title "truth", \
     dg using "x":"pop_gen_0" with lines lw 2 lc rgb c2 title "Gaussian model", \
     dm using "x":"pop_gen_0" with lines lw 2 dt 2 lc rgb c1 title "mixture model"
set xlabel "generation"
set title "bias of the median: an offset, not a drift"
eval keyat("top left font ',9'")
set yrange [*:*]
if (dumb) {
    plot data using "generation":"bias_gauss_pop" with lines lt 1 title "Gaussian", \
         data using "generation":"bias_mix_pop" with lines lt 2 title "mixture"
} else {
    plot data using "generation":"bias_gauss_q05":"bias_gauss_q95" with filledcurves lc rgb c2 title "Gaussian, Monte Carlo 5-95 %", \
         data using "generation":"bias_gauss_mc" with points pt 7 ps 0.7 lc rgb c2 title "Gaussian, Monte Carlo mean", \
         data using "generation":"bias_gauss_pop" with lines lw 2 lc rgb c2 title "Gaussian, population map", \
         data using "generation":"bias_mix_mc" with points pt 6 ps 0.7 lc rgb c1 title "mixture, Monte Carlo mean", \
         data using "generation":"bias_mix_pop" with lines lw 2 dt 2 lc rgb c1 title "mixture, population map"
}
set title "distance to the truth (total variation)"
eval keyat("bottom right font ',9'")
set yrange [0:*]
if (dumb) {
    plot data using "generation":"tv_gauss_pop" with lines lt 1 title "Gaussian", \
         data using "generation":"tv_mix_pop" with lines lt 2 title "mixture"
} else {
    plot data using "generation":"tv_gauss_mc" with points pt 7 ps 0.7 lc rgb c2 title "Gaussian, Monte Carlo mean", \
         data using "generation":"tv_gauss_pop" with lines lw 2 lc rgb c2 title "Gaussian, population map", \
         data using "generation":"tv_mix_mc" with points pt 6 ps 0.7 lc rgb c1 title "mixture, Monte Carlo mean", \
         data using "generation":"tv_mix_pop" with lines lw 2 dt 2 lc rgb c1 title "mixture, population map"
}
unset multiplot
