"""Pure writers of interval data (CSV, JSON, Green Button XML) and the one export entry point (export.py)."""
