# neurons_scatter.gp: each neuron's Pearson r with bias (x) against its r with generation quality
# (y), coloured by the set its p-values put it in — the paper's Fig. 4 as one picture.
# gnuplot -c neurons_scatter.gp NEURONS_PER_NEURON.csv OUT [TITLE]
out = ARG2; load 'common.gp'
data = ARG1
ttl = (exists("ARG3") && ARG3 ne "") ? ARG3 : "neuron sets"
set title ttl
set xlabel "Pearson r with bias"
set ylabel "Pearson r with generation quality"
set xrange [-1:1]
set yrange [-1:1]
set size square
set key outside right top
ps = dumb ? 1 : 0.45
# r_bias of the neurons in set s (0 neither, 1 bias only, 2 quality only, 3 both), else no point
sel(s) = (column("set") == s) ? column("r_bias") : NaN
plot data using (sel(0)):"r_quality" with points pt 7 ps ps lc rgb "#bbbbbb" title "neither", \
     data using (sel(1)):"r_quality" with points pt 7 ps ps lc rgb c1 title "bias only", \
     data using (sel(2)):"r_quality" with points pt 7 ps ps lc rgb c3 title "quality only", \
     data using (sel(3)):"r_quality" with points pt 7 ps ps lc rgb c2 title "both"
