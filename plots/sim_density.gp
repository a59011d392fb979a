# sim_density.gp: density snapshots — the true law, the pretrained model and the fitted model at
# the snapshot generations (the paper's Fig. 10/11 panels). Columns: x, truth, pretrained, then one
# per fitted model (gen_<g> sampled, pop_gen_<g> population map).
# gnuplot -c sim_density.gp DENSITY.csv OUT [unused] [TITLE] [paired|single]
# paired: columns alternate gen_<g> (solid) and pop_gen_<g> (dotted); single: pop_gen_<g> only.
out = ARG2; load 'common.gp'
data = ARG1; ttl = exists("ARG4") ? ARG4 : ""
set title ttl
set xlabel "x"
set ylabel "density"
set key top left
stats data using 1 nooutput
ncol = STATS_columns
set palette defined (0 "#56B4E9", 1 "#0072B2", 2 "#CC79A7", 3 "#D55E00")
unset colorbox
step = (exists("ARG5") && ARG5 eq "paired") ? 2 : 1
frac(i) = (ncol > 4) ? (i - 4.0) / (ncol - 4.0) : 0
plot data using 1:2 with lines lw 3 lc rgb "black" title "truth (data)", \
     data using 1:3 with lines lw 3 dt 2 lc rgb "#777777" title "pretrained", \
     for [i=4:ncol:step] data using 1:i with lines lw 2 lc palette frac frac(i) title columnheader(i), \
     for [i=5:(step == 2 ? ncol : 0):2] data using 1:i with lines lw 1.5 dt 3 lc palette frac frac(i) \
         title columnheader(i)
