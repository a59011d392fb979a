# experiment_shares.gp: class shares of the generated texts per generation, one panel per setup
# (generation -1 = the base model), with the paper's published shares (dashed) for the matching
# setup when the reference table is given.
# gnuplot -c experiment_shares.gp GENERATIONS.csv OUT [published_summary.csv]
out = ARG2; load 'common.gp'
data = ARG1; ref = ARG3
codes = "0 3 1 5 6 7"
names = "replace preserve accumulate overfit center center_preserve"
# the paper's setup names for each of ours (published_summary.csv), and its base row
paper = "Synthetic Preservation Accumulation Overfitting Synthetic_Center-Leaning-Only Preservation_Center-Leaning-Only"
pbase = "GPT2 GPT2 GPT2 GPT2 Synthetic_Center-Leaning-Only Synthetic_Center-Leaning-Only"
# which setups the table holds
present = ""
do for [i=1:words(codes)] {
    s = word(codes, i) + 0
    stats data using (column("setup") == s ? 1 : 0) nooutput
    if (STATS_sum > 0) { present = present . " " . i }
}
n = words(present)
cols = (n > 3) ? 3 : n; rows = (n + cols - 1) / cols
if (!dumb) { set terminal pngcairo size 480 * cols, 400 * rows noenhanced font "DejaVu Sans,10" linewidth 1.5; set output out }
if (ext eq "svg") { set terminal svg size 480 * cols, 400 * rows noenhanced font "DejaVu Sans,10" linewidth 1.5 background "white"; set output out }
set multiplot layout rows, cols title "class shares of the generated texts (solid: biasamp; dashed: the paper's GPT-2)"
set xlabel "generation" offset 0,0.7
set ylabel "share"
set yrange [0:1]
set key below horizontal maxrows 2 font ",8"
do for [j=1:n] {
    i = word(present, j) + 0
    s = word(codes, i) + 0
    set title word(names, i)
    set table $ours
    plot data using "generation":"share_left":"share_center":"share_right" with table if (column("setup") == s)
    unset table
    have_ref = 0
    if (ref ne "") {
        # the base row first, then the setup's generations
        set table $pub
        plot ref using "generation":"left_share":"center_share":"right_share" with table \
            if (strcol("setup") eq word(pbase, i) && column("generation") == -1)
        set table $pub append
        plot ref using "generation":"left_share":"center_share":"right_share" with table \
            if (strcol("setup") eq word(paper, i) && column("generation") >= 0)
        unset table
        have_ref = 1
    }
    set datafile separator whitespace
    if (have_ref) {
        plot $ours using 1:2 with linespoints pt 7 ps 0.6 lc rgb c1 title "left", \
             $ours using 1:3 with linespoints pt 7 ps 0.6 lc rgb c3 title "center", \
             $ours using 1:4 with linespoints pt 7 ps 0.6 lc rgb c2 title "right", \
             $pub using 1:2 with lines dt 2 lc rgb c1 title "paper left", \
             $pub using 1:3 with lines dt 2 lc rgb c3 title "paper center", \
             $pub using 1:4 with lines dt 2 lc rgb c2 title "paper right"
    } else {
        plot $ours using 1:2 with linespoints pt 7 ps 0.6 lc rgb c1 title "left", \
             $ours using 1:3 with linespoints pt 7 ps 0.6 lc rgb c3 title "center", \
             $ours using 1:4 with linespoints pt 7 ps 0.6 lc rgb c2 title "right"
    }
    set datafile separator comma
}
unset multiplot
