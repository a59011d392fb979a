# experiment_quality.gp: text-quality index (TQI, 0 noise .. 3 clean) of the generated texts per
# generation and setup, mean with its 95 % CI band; beside it the paper's published TQI curves.
# gnuplot -c experiment_quality.gp GENERATIONS.csv OUT [published_summary.csv] [COLUMN [LABEL]]
# (COLUMN defaults to tqi: COLUMN_mean and COLUMN_ci95 are drawn; experiment_ppl.gp uses ppl.)
out = ARG2; load 'common.gp'
data = ARG1; ref = ARG3
col = (ARGC >= 4 && ARG4 ne "") ? ARG4 : "tqi"
label = (ARGC >= 5 && ARG5 ne "") ? ARG5 : "text-quality index"
codes = "0 3 1 5 6 7"
names = "replace preserve accumulate overfit center center_preserve"
paper = "Synthetic Preservation Accumulation Overfitting Synthetic_Center-Leaning-Only Preservation_Center-Leaning-Only"
array pal[6] = [c2, c1, c3, c4, c5, c6]
panels = (ref ne "") ? 2 : 1
if (!dumb) { set terminal pngcairo size 620 * panels, 440 noenhanced font "DejaVu Sans,10" linewidth 1.5; set output out }
if (ext eq "svg") { set terminal svg size 620 * panels, 440 noenhanced font "DejaVu Sans,10" linewidth 1.5 background "white"; set output out }
set multiplot layout 1, panels title label . " of the generated texts (mean, 95 % CI band)"
set xlabel "generation" offset 0,0.7
set ylabel label
if (col eq "tqi") { set yrange [0:3] } else { set yrange [*:*] }
set key below horizontal maxrows 3 font ",8"
m = col . "_mean"; ci = col . "_ci95"
# one datablock per setup ($d1..$d6 ours, $r1..$r6 the paper's), filled by `with table if`
do for [i=1:6] {
    s = word(codes, i) + 0
    eval sprintf('set table $d%d', i)
    plot data using "generation":m:ci with table if (column("setup") == s)
    unset table
    if (ref ne "") {
        eval sprintf('set table $r%d', i)
        plot ref using "generation":m:ci with table if (strcol("setup") eq word(paper, i) && column("generation") >= 0)
        unset table
    }
}
set datafile separator whitespace
cmd = ""
do for [i=1:6] {
    eval sprintf('n = |$d%d|', i)
    if (n > 0) { cmd = cmd . sprintf('$d%d using 1:($2-$3):($2+$3) with filledcurves lc rgb "%s" notitle, $d%d using 1:2 with linespoints pt 7 ps 0.5 lc rgb "%s" title "%s", ', i, pal[i], i, pal[i], word(names, i)) }
}
set title "biasamp"
eval 'plot ' . cmd[1:strlen(cmd) - 2]
if (ref ne "") {
    cmd = ""
    do for [i=1:6] {
        eval sprintf('n = |$r%d|', i)
        if (n > 0) { cmd = cmd . sprintf('$r%d using 1:($2-$3):($2+$3) with filledcurves lc rgb "%s" notitle, $r%d using 1:2 with lines dt 2 lc rgb "%s" title "%s", ', i, pal[i], i, pal[i], word(paper, i)) }
    }
    set title "the paper (GPT-2 124M; its own classifiers)"
    if (strlen(cmd) > 0) { eval 'plot ' . cmd[1:strlen(cmd) - 2] } else { unset key; set label 1 "no published values" at graph 0.3, 0.5; plot NaN notitle }
}
unset multiplot
