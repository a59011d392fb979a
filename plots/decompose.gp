# decompose.gp: `biasamp decompose` on one slide — the 2x2x2 cells (weighting off/on x n = inf /
# finite x well-specified / misspecified): left, the bias at the last generation; right, the
# dispersion left (D / D*). Bars are means with +-SE whiskers; a star marks a significant bias.
# gnuplot -c decompose.gp DECOMPOSE.csv OUT [unused] [TITLE] [MISLABEL]
out = ARG2; load 'common.gp'
data = ARG1; ttl = (ARGC >= 4) ? ARG4 : ""; mis = (ARGC >= 5) ? ARG5 : "misspecified"
x(f, m, w) = 3 * (2 * f + m) + w
set multiplot layout 1, 2 title ttl font ",12"
set bmargin 4
set style fill solid 0.85 border lc rgb "#333333"
set boxwidth 0.9
set xrange [-1 : 11]
set xtics ("n = inf\nwell-specified" 0.5, "n = inf\n".mis 3.5, \
           "finite n\nwell-specified" 6.5, "finite n\n".mis 9.5) font ",9"
set grid ytics
set key top left
off = "#999999"; on = c2
set title "bias at the last generation (drift from the truth)"
set ylabel "bias  b_{G-1}"
set xzeroaxis lt -1
X(w) = x(column("finite_n"), column("misspecified"), w)
only(w, c) = (column("weighted") == w) ? column(c) : NaN
star(c) = column(c) + (column(c) >= 0 ? 1 : -1) * (column(c."_se") + 0.04 * abs(column(c)) + 1e-3)
plot data using (X(0)):(only(0, "bias")) with boxes lc rgb off title "weighting off", \
     data using (X(1)):(only(1, "bias")) with boxes lc rgb on title "weighting on", \
     data using (X(column("weighted"))):"bias":"bias_se" \
         with yerrorbars pt -1 lc rgb "black" notitle, \
     data using (X(column("weighted"))):(star("bias")):(column("bias_sig") != 0 ? "*" : "") \
         with labels font ",16" notitle
set title "dispersion left (collapse below 1)"
set ylabel "D_{G-1} / D*"
set yrange [0 : *]
plot data using (X(0)):(only(0, "disp_ratio")) with boxes lc rgb off title "weighting off", \
     data using (X(1)):(only(1, "disp_ratio")) with boxes lc rgb on title "weighting on", \
     data using (X(column("weighted"))):"disp_ratio":"disp_ratio_se" \
         with yerrorbars pt -1 lc rgb "black" notitle, \
     1 with lines dt 2 lc rgb "black" title "no collapse"
unset multiplot
