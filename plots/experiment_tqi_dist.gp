# experiment_tqi_dist.gp: distribution of the article TQI per generation (box plots) for one setup
# (default replace), beside the paper's per-article TQI of its Synthetic setup when given (the
# authors' Synthetic_Generation_Quality.csv, whose Generation k is the paper's generation k-1).
# gnuplot -c experiment_tqi_dist.gp ARTICLES.csv OUT [Synthetic_Generation_Quality.csv] [SETUP]
out = ARG2; load 'common.gp'
data = ARG1; ref = (ARGC >= 3) ? ARG3 : ""
s = (ARGC >= 4 && ARG4 ne "") ? ARG4 + 0 : 0
panels = (ref ne "") ? 2 : 1
if (!dumb) { set terminal pngcairo size 620 * panels, 440 noenhanced font "DejaVu Sans,10" linewidth 1.5; set output out }
if (ext eq "svg") { set terminal svg size 620 * panels, 440 noenhanced font "DejaVu Sans,10" linewidth 1.5 background "white"; set output out }
set multiplot layout 1, panels title "distribution of the article TQI per generation"
set style boxplot outliers pointtype 7
set style data boxplot
set boxwidth 0.5
set pointsize 0.3
set yrange [0:3]
set xlabel "generation"
set ylabel "article TQI"
unset key
set table $ours
plot data using "generation":"tqi" with table if (column("setup") == s)
unset table
set datafile separator whitespace
set title sprintf("biasamp (setup %d)", s)
plot $ours using (1):2:(0.5):(sprintf("%d", $1)) lc rgb c2 fs solid 0.3
if (ref ne "") {
    set datafile separator comma
    set title "the paper (Synthetic)"
    plot ref using (1):"GibberishLevel":(0.5):(sprintf("%d", column("Generation") - 1)) lc rgb c1 fs solid 0.3
}
unset multiplot
