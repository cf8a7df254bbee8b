"""Reports: communication-cost curves (:mod:`qdist.reports.curves`)."""
