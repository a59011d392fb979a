# sim_shares.gp: class shares per generation (categorical models) — Monte Carlo mean with 5-95 %
# band per class and the population map (dashed).
# gnuplot -c sim_shares.gp GENERATIONS.csv OUT POPULATION.csv TITLE "share_1 share_2 ..."
out = ARG2; load 'common.gp'
data = ARG1; pop = (ARG3 ne "") ? ARG3 : ARG1; ttl = ARG4; list = ARG5
n = words(list)
set title ttl
set xlabel "generation"
set ylabel "class share"
set yrange [0:*]
set key outside right
array pal[6] = [c1, c2, c3, c4, c5, c6]
plot for [i=1:n] data using "generation":(column(word(list, i)."_q05")):(column(word(list, i)."_q95")) \
         with filledcurves lc rgb pal[(i - 1) % 6 + 1] notitle, \
     for [i=1:n] data using "generation":word(list, i) with linespoints pt 7 ps 0.6 \
         lc rgb pal[(i - 1) % 6 + 1] title word(list, i), \
     for [i=1:n] pop using "generation":word(list, i) with lines dt 2 lw 2 \
         lc rgb pal[(i - 1) % 6 + 1] notitle
