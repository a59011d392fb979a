/* plot: renders a figure by running `gnuplot -c plots/NAME.gp DATA OUT [DATA2 ...]` without a
 * shell. The format follows OUT's extension (.png pngcairo, .svg, .txt or "-" dumb terminal).
 * OUT is written under a temporary name and renamed when gnuplot succeeds. */
#ifndef BIASAMP_PLOT_H
#define BIASAMP_PLOT_H

/* Runs plots/<name>.gp with args[0] = DATA, args[1] = OUT, args[2 .. nfiles-1] more data files
 * (checked readable), args[nfiles .. nargs-1] plain strings (titles, column names).
 * ERR_INVAL: unknown script or unsupported extension; ERR_IO: gnuplot missing or failed. */
int plot_render(const char *name, const char *const *args, int nargs, int nfiles);

/* 1 if gnuplot can be run (found on PATH or $BIASAMP_GNUPLOT), else 0. */
int plot_available(void);

#endif
