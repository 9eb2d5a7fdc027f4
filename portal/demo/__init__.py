"""Demo data definitions for ``seed_demo``: the Texas REPs with their look-alike names, and the demo customers.

Plain data plus small idempotent ``*_ensure`` functions that write through the services, so the demo data obeys
the same rules as real data.
"""
