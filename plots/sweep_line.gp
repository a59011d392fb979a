# sweep_line.gp: `biasamp sweep` over one key — the metric per grid point (Monte Carlo mean +- SE,
# or the population value at n = inf), its population value and closed form where known, and the
# theory boundaries (vertical lines: the amplification class changes, n s = 1; the curve: the
# preservation fixed point).
# gnuplot -c sweep_line.gp SWEEP.csv OUT BOUNDARY.csv TITLE XCOL METRIC SECOL XSCALE "N0 N1 N2"
# (SECOL "" at n = inf; N: boundary segments of each kind)
out = ARG2; load 'common.gp'
# boundary segments of one kind: from (x1, y1) by (dx, dy)
y1(k) = (column("kind") == k) ? column("y1") : NaN
dx(z) = column("x2") - column("x1")
dy(z) = column("y2") - column("y1")
data = ARG1; bnd = ARG3; ttl = ARG4; xc = ARG5; m = ARG6; se = ARG7
n0 = word(ARG9, 1) + 0; n1 = word(ARG9, 2) + 0; n2 = word(ARG9, 3) + 0; hasse = (se ne "")
if (ARG8 eq "log") { set logscale x }
set title ttl
set xlabel xc noenhanced
set ylabel m noenhanced
set key top left font ",9"
rest = 'data using xc:"metric_pop" with lines dt 2 lw 2 lc rgb c2 title "population map", \
     data using xc:"metric_theory" with points pt 6 ps 1.3 lc rgb "black" title "closed form", \
     for [k=1:(n0 > 0)] bnd using "x1":(y1(0)):(dx(0)):(dy(0)) \
         with vectors nohead lw 2 lc rgb c4 title "amplification class changes", \
     for [k=1:(n1 > 0)] bnd using "x1":(y1(1)):(dx(0)):(dy(0)) \
         with vectors nohead lw 2 dt 2 lc rgb c3 title "n s = 1", \
     for [k=1:(n2 > 0)] bnd using "x1":(y1(2)):(dx(0)):(dy(0)) \
         with vectors nohead lw 2 dt 3 lc rgb "black" title "preservation fixed point"'
if (hasse) {
    plot data using xc:m:se with yerrorlines pt 7 ps 0.7 lc rgb c1 \
         title m." (Monte Carlo mean +- SE)", @rest
} else {
    plot data using xc:m with linespoints pt 7 ps 0.7 lc rgb c1 title m, @rest
}
