"""The figure of the cost curves (``curves.png``), in three parts that import one way:
[`series`][qdist.reports.plots.series] (the curves and their zoom window, from the rows — no
matplotlib), [`style`][qdist.reports.plots.style] (labels, titles, colours and line styles in words)
and [`panels`][qdist.reports.plots.panels] (the matplotlib drawing of one panel). The figure itself
is [`qdist.reports.plot_curves`][qdist.reports.plot_curves].
"""
