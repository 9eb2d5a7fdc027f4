"""Reads and aggregation of interval data: pure numpy in aggregate/summary, Django-facing selectors."""
