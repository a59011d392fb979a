# theory_forms.gp: `biasamp theory` — one panel per closed form that applies to the config: the
# theory line over the Monte Carlo 5-95 % band and mean of the observable it predicts, and its
# value on the population map.
# gnuplot -c theory_forms.gp FORMS.csv OUT [unused] TITLE "ID ..." "NAME ..." SIMULATED(0|1)
out = ARG2; load 'common.gp'
data = ARG1; ttl = ARG4; ids = ARG5; names = ARG6; sim = (ARG7 eq "1")
n = words(ids)
cols = (n <= 2) ? n : (n <= 4 ? 2 : 3)
rows = (n + cols - 1) / cols
set multiplot layout rows, cols title ttl
set xlabel "generation"
set key top right font ",8" samplen 2 spacing 0.9
sel(c, id) = (column("form") == id) ? column(c) : NaN
do for [i=1:n] {
    id = word(ids, i) + 0
    set title word(names, i)
    if (i == 2) { unset key } # the first panel's key serves all
    plot for [k=1:sim] data using "generation":(sel("mc_q05", id)):(sel("mc_q95", id)) \
             with filledcurves lc rgb c1 title "Monte Carlo 5-95 %", \
         for [k=1:sim] data using "generation":(sel("mc", id)) \
             with linespoints pt 7 ps 0.6 lc rgb c1 title "Monte Carlo mean", \
         data using "generation":(sel("pop", id)) \
             with lines lw 2 dt 2 lc rgb c2 title "population map", \
         data using "generation":(sel("pred", id)) with lines lw 2.5 lc rgb "black" title "theory"
}
unset multiplot
