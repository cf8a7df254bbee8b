"""Reports: communication-cost curves ([`qdist.reports.curves`][qdist.reports.curves])."""
