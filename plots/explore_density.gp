# explore_density.gp: `plot density` in the explorer — the true law and the population map's model
# at the snapshot generations (density.csv: x, truth, pretrained, then gen_<g> and pop_gen_<g>
# alternating when sampled, pop_gen_<g> only at n = inf).
# gnuplot -c explore_density.gp DENSITY.csv OUT TITLE paired|single TERM
out = ARG2; load 'common.gp'
term = ARG5; load 'explore_term.gp'
data = ARG1; ttl = ARG3
stats data using 1 nooutput
ncol = STATS_columns
first = (ARG4 eq "paired") ? 5 : 4
step = (ARG4 eq "paired") ? 2 : 1
set title ttl
set xlabel "x"
set ylabel "density (population map)"
if (dumb) {
    plot data using 1:2 with lines lt 1 title "truth", \
         for [i=first:ncol:step] data using 1:i with lines lt (i + 1) title columnheader(i)
} else {
    set palette defined (0 "#56B4E9", 1 "#0072B2", 2 "#CC79A7", 3 "#D55E00")
    unset colorbox
    frac(i) = (ncol > first) ? (i - first + 0.0) / (ncol - first) : 0
    plot data using 1:2 with lines lw 3 lc rgb "black" title "truth", \
         for [i=first:ncol:step] data using 1:i with lines lw 2 lc palette frac frac(i) title columnheader(i)
}
