# lesson_5.gp: Lesson 5, class shares: drift versus selection. Left: the favoured class's share
# per generation, averaged over the chains, for three sample sizes, and the population map.
# Right: the fraction of chains in which the class gained over its true share.
# gnuplot -c lesson_5.gp LESSON.csv OUT TITLE TERM N1 N2 N3 CLASS
figw = 1400; figh = 560; minrows = 44
out = ARG2; load 'common.gp'
term = ARG4; load 'explore_term.gp'
data = ARG1; ttl = ARG3; ns = ARG5." ".ARG6." ".ARG7; cls = ARG8
colour(i) = word(c1." ".c2." ".c3, i)
if (dumb) { set multiplot layout 2,1 title ttl } else { set multiplot layout 1,2 title ttl }
set xlabel "generation"
set title "share of '".cls."'"
set yrange [0:1]
eval keyat("top left")
plot for [i=1:3] data using "generation":(column("share_mc_".word(ns, i))) with lines lw 2 lc rgb colour(i) title "n = ".word(ns, i)." (average)", \
     data using "generation":"share_pop" with lines dt 2 lw 2 lc rgb "black" title "population map (n = inf)"
set title "fraction of chains where '".cls."' gained"
plot for [i=1:3] data using "generation":(column("gained_".word(ns, i))) with lines lw 2 lc rgb colour(i) title "n = ".word(ns, i)
unset multiplot
