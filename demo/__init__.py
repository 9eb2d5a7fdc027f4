"""Demo data for ``seed_demo``: the Texas REPs with their look-alike names, the demo customers, a third party
and a year of interval data. It sits above every other app (it must know them all) and writes only through
their services, so the demo data obeys the same rules as real data."""
