# sweep_heatmap.gp: `biasamp sweep` phase diagram over two keys — one coloured cell per grid point
# (the metric's Monte Carlo mean, or its population value at n = inf) and the theory boundaries:
# the change of the amplification class (cyan: where the push changes sign or vanishes),
# selection = drift n s = 1 (green dashes), the preservation fixed point's levels (red dots).
# gnuplot -c sweep_heatmap.gp SWEEP.csv OUT BOUNDARY.csv TITLE XCOL YCOL METRIC
#         "XSCALE YSCALE" "N0 N1 N2"
# (scales lin|log; N: boundary segments of each kind)
out = ARG2; load 'common.gp'
# boundary segments of one kind: from (x1, y1) by (dx, dy)
y1(k) = (column("kind") == k) ? column("y1") : NaN
dx(z) = column("x2") - column("x1")
dy(z) = column("y2") - column("y1")
data = ARG1; bnd = ARG3; ttl = ARG4; xc = ARG5; yc = ARG6; m = ARG7
n0 = word(ARG9, 1) + 0; n1 = word(ARG9, 2) + 0; n2 = word(ARG9, 3) + 0
if (word(ARG8, 1) eq "log") { set logscale x }
if (word(ARG8, 2) eq "log") { set logscale y }
set title ttl
set xlabel xc noenhanced
set ylabel yc noenhanced
set cblabel m noenhanced
set palette defined (0 "#0d0887", 0.25 "#7e03a8", 0.5 "#cc4778", 0.75 "#f89540", 1 "#f0f921")
set style fill solid 1.0 noborder
set key outside bottom center horizontal
set bmargin 6
set grid front
stats data using (column(xc)) nooutput
set xrange [STATS_min : STATS_max]
stats data using (column(xc."_lo")) nooutput
xlo = STATS_min
stats data using (column(xc."_hi")) nooutput
set xrange [xlo : STATS_max]
stats data using (column(yc."_lo")) nooutput
ylo = STATS_min
stats data using (column(yc."_hi")) nooutput
set yrange [ylo : STATS_max]
lo(c) = column(c."_lo"); hi(c) = column(c."_hi")
plot data using xc:yc:(lo(xc)):(hi(xc)):(lo(yc)):(hi(yc)):m with boxxyerror fc palette notitle, \
     for [k=1:(n0 > 0)] bnd using "x1":(y1(0)):(dx(0)):(dy(0)) \
         with vectors nohead lw 3 lc rgb "#00e5ff" title "amplification class changes", \
     for [k=1:(n1 > 0)] bnd using "x1":(y1(1)):(dx(0)):(dy(0)) \
         with vectors nohead lw 3 dt 2 lc rgb "#00ff88" title "n s = 1 (selection = drift)", \
     for [k=1:(n2 > 0)] bnd using "x1":(y1(2)):(dx(0)):(dy(0)) \
         with vectors nohead lw 3 dt 3 lc rgb "#ff2222" title "preservation fixed point (levels)"
