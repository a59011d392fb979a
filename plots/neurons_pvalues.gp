# neurons_pvalues.gp: -log10 p of each neuron for bias (x) and quality (y), log axes, coloured by
# set, with the alpha lines (the paper's cut) and the Bonferroni lines alpha/m.
# gnuplot -c neurons_pvalues.gp NEURONS_PER_NEURON.csv OUT [TITLE] [ALPHA] [BONFERRONI_P]
out = ARG2; load 'common.gp'
data = ARG1
ttl = (exists("ARG3") && ARG3 ne "") ? ARG3 : "neuron p-values"
alpha = (exists("ARG4") && ARG4 ne "") ? real(ARG4) : 0.05
if (exists("ARG5") && ARG5 ne "") {
    bonf = real(ARG5)
} else {
    stats data using "p_bias" nooutput
    bonf = alpha / STATS_records
}
# -log10 p, kept inside the log axes: p = 1 at the floor 0.01, p = 0 at 400
nl(p) = (p <= 0) ? 400 : (-log10(p) < 0.01 ? 0.01 : -log10(p))
set title ttl
set xlabel "-log10 p, bias"
set ylabel "-log10 p, generation quality"
set logscale xy
set xrange [0.01:*]
set yrange [0.01:*]
set key outside right top
a = -log10(alpha); b = -log10(bonf)
set arrow from first a, graph 0 to first a, graph 1 nohead dt 2 lw 1.5 lc rgb "black"
set arrow from graph 0, first a to graph 1, first a nohead dt 2 lw 1.5 lc rgb "black"
set arrow from first b, graph 0 to first b, graph 1 nohead dt 3 lw 1.5 lc rgb c4
set arrow from graph 0, first b to graph 1, first b nohead dt 3 lw 1.5 lc rgb c4
ps = dumb ? 1 : 0.45
sel(s) = (column("set") == s) ? nl(column("p_bias")) : NaN
plot data using (sel(0)):(nl(column("p_quality"))) with points pt 7 ps ps lc rgb "#bbbbbb" title "neither", \
     data using (sel(1)):(nl(column("p_quality"))) with points pt 7 ps ps lc rgb c1 title "bias only", \
     data using (sel(2)):(nl(column("p_quality"))) with points pt 7 ps ps lc rgb c3 title "quality only", \
     data using (sel(3)):(nl(column("p_quality"))) with points pt 7 ps ps lc rgb c2 title "both", \
     NaN with lines dt 2 lw 1.5 lc rgb "black" title sprintf("p = %g", alpha), \
     NaN with lines dt 3 lw 1.5 lc rgb c4 title sprintf("Bonferroni p = %.3g", bonf)
