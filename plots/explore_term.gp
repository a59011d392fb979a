# explore_term.gp: the explorer's terminal choice, loaded after common.gp by explore_*.gp and
# lesson_*.gp. Set `term` first: "" (a file: keep common.gp's terminal), "dumb W H [ansi]" (text
# in the terminal, W x H characters), or "window" (qt, wxt or x11 when this gnuplot has one; the
# text terminal otherwise, with a note on stderr). Scripts place legends with `eval keyat("top left")`
# (below the plot in a text terminal, where a legend inside would cover the curves). Optional, set
# before loading: figw, figh (pixels
# of a PNG/SVG file, instead of common.gp's 1200 x 720) and minrows (rows of a text plot at least).
if (term eq "" && exists("figw") && ext eq "png") {
    set terminal pngcairo size figw, figh noenhanced font "DejaVu Sans,11" linewidth 1.5
}
if (term eq "" && exists("figw") && ext eq "svg") {
    set terminal svg size figw, figh noenhanced font "DejaVu Sans,11" linewidth 1.5 background "white"
}
if (term eq "window") {
    terms = " ".GPVAL_TERMINALS." "
    if (strstrt(terms, " qt ") > 0) {
        set terminal qt persist noenhanced font "DejaVu Sans,10" size 1000,640
    } else {
        if (strstrt(terms, " wxt ") > 0) {
            set terminal wxt persist noenhanced size 1000,640
        } else {
            if (strstrt(terms, " x11 ") > 0) {
                set terminal x11 persist noenhanced size 1000,640
            } else {
                print "explore: this gnuplot has no window terminal (gnuplot-qt has); drawing here"
                term = "dumb 100 30"
            }
        }
    }
    dumb = 0
}
if (word(term, 1) eq "dumb") {
    tw = word(term, 2) + 0; th = word(term, 3) + 0
    if (exists("minrows") && th < minrows) { th = minrows }
    if (word(term, 4) eq "ansi") {
        set terminal dumb size tw, th noenhanced nofeed ansi
    } else {
        set terminal dumb size tw, th noenhanced nofeed mono
    }
    dumb = 1
    set key below nobox noopaque
    unset grid
}
keyat(pos) = dumb ? "set key below nobox noopaque" : "set key ".pos
