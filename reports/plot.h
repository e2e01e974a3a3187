/*
 * plot.h - SVG plots drawn by gnuplot (Debian's gnuplot-nox, svg terminal),
 * for the HTML pages. gnuplot runs as a child process fed a script with the
 * data inline (a datablock); its SVG is returned for inline embedding (no
 * XML prolog, no scripts, nothing fetched). Text put into a script goes
 * through soak_plot_safe() first: labels are hostile input, and a quote in a
 * gnuplot string could run a command.
 */
#ifndef SOAK_PLOT_H
#define SOAK_PLOT_H

#include <stddef.h>

/* Runs gnuplot on script; *svg (heap, free()) is the <svg> element. 0, or
 * -errno with a one-line reason in err (gnuplot missing, failed). */
int soak_plot_svg(const char *script, char **svg, char *err, size_t errlen);
/* Copies s keeping letters, digits and " ._-+#/:=,()%" (others become '_'). */
void soak_plot_safe(const char *s, char *buf, size_t len);

#endif
