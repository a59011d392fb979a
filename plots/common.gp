# common.gp: loaded by every biasamp script (biasamp passes `set loadpath` to this folder).
# Sets the terminal from OUT's extension (.png pngcairo, .svg, .txt/"-" dumb) and a house style.
# Usage inside a script: out = ARG2; load 'common.gp'
set datafile separator comma
set datafile missing "nan"
ext = (strlen(out) > 4) ? out[strlen(out)-2:] : ""
if (out eq "-") {
    set terminal dumb size 100,30 ansi
} else {
    if (ext eq "png") {
        set terminal pngcairo size 1200,720 noenhanced font "DejaVu Sans,11" linewidth 1.5
    } else {
        if (ext eq "svg") {
            set terminal svg size 1200,720 noenhanced font "DejaVu Sans,11" linewidth 1.5 background "white"
        } else {
            set terminal dumb size 100,30
        }
    }
    set output out
}
dumb = (out eq "-" || ext eq "txt")
set border lw 1 lc rgb "#444444"
set grid lc rgb "#dddddd" lw 1
set key top left box opaque
set style fill transparent solid 0.25 noborder
# a colour-blind-safe palette (Okabe-Ito)
c1 = "#0072B2"; c2 = "#D55E00"; c3 = "#009E73"; c4 = "#CC79A7"; c5 = "#E69F00"; c6 = "#56B4E9"
