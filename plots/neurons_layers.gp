# neurons_layers.gp: per layer, the bias, quality and overlap counts, with the overlap that
# independent membership would give (points).
# gnuplot -c neurons_layers.gp NEURONS_LAYERS.csv OUT [TITLE]
out = ARG2; load 'common.gp'
data = ARG1
ttl = (exists("ARG3") && ARG3 ne "") ? ARG3 : "neuron sets per layer"
set title ttl
set xlabel "layer"
set ylabel "neurons"
set key outside right top
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 noborder
set yrange [0:*]
# three bars per cluster of width 1/4 centred on the cluster; the third ("both") sits at x + 1/4
plot data using "n_bias":xtic(stringcolumn("layer")) lc rgb c1 title "bias", \
     data using "n_quality" lc rgb c3 title "quality", \
     data using "n_both" lc rgb c2 title "both", \
     data using ($0 + 0.25):"expected_both" with points pt 9 ps 1.5 lc rgb "black" title "both, expected if independent"
