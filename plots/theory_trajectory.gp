# theory_trajectory.gp: `biasamp theory` — the bias b_t (Monte Carlo 5-95 % band and mean, the
# population map, the closed form), the push Delta_t with its covariance form (push + pull), and
# the dispersion, per generation.
# gnuplot -c theory_trajectory.gp THEORY.csv OUT [unused] TITLE SIMULATED CLOSED COVFORM (0|1 each;
# absent: 1, as `biasamp plot theory.csv` calls it)
out = ARG2; load 'common.gp'
data = ARG1; ttl = (ARGC >= 4) ? ARG4 : ""
sim = (ARGC < 5 || ARG5 eq "1"); closed = (ARGC < 6 || ARG6 eq "1"); cov = (ARGC < 7 || ARG7 eq "1")
set multiplot layout 1, 3 title ttl
set xlabel "generation"
set key top left font ",9"

set title "bias b_t = phi(theta_t) - phi*"
set ylabel "bias"
plot for [k=1:sim] data using "generation":"bias_mc_q05":"bias_mc_q95" \
         with filledcurves lc rgb c1 title "Monte Carlo 5-95 %", \
     for [k=1:sim] data using "generation":"bias_mc" \
         with linespoints pt 7 ps 0.6 lc rgb c1 title "Monte Carlo mean", \
     data using "generation":"bias" with lines lw 2 dt 2 lc rgb c2 title "population map", \
     for [k=1:closed] data using "generation":"bias_closed" \
         with points pt 6 ps 1.4 lc rgb "black" title "closed form"

set title "push Delta_t = b_{t+1} - b_t"
set ylabel "Delta"
plot data using "generation":"delta" \
         with linespoints pt 7 ps 0.6 lw 2 lc rgb c2 title "Delta_t (population map)", \
     for [k=1:cov] data using "generation":"delta_cov" \
         with points pt 6 ps 1.6 lc rgb "black" title "Cov(w,s)/E[w] + pull", \
     data using "generation":"push" with lines dt 2 lc rgb c3 title "push (weight)", \
     data using "generation":"pull" with lines dt 3 lc rgb c4 title "pull (pool, sampler)", \
     0 with lines lc rgb "#999999" notitle

set title "dispersion"
set ylabel "dispersion"
plot for [k=1:sim] data using "generation":"dispersion_mc_q05":"dispersion_mc_q95" \
         with filledcurves lc rgb c1 title "Monte Carlo 5-95 %", \
     for [k=1:sim] data using "generation":"dispersion_mc" \
         with linespoints pt 7 ps 0.6 lc rgb c1 title "Monte Carlo mean", \
     data using "generation":"dispersion" \
         with lines lw 2 dt 2 lc rgb c2 title "population map (n = inf)"
unset multiplot
