"""`make bench` runs bench/bench_*.py: the ingest benchmark lives in bench/ingest.py.

Under `make bench` it runs at 4,000 meters x 30 days with ``--big-file``, so that the one-file step loads
a file of about 1 GB (the memory figure of the issue); arguments given here replace those defaults.
"""

import runpy
import sys
from pathlib import Path

if len(sys.argv) == 1:
    sys.argv += ["--meters", "4000", "--days", "30", "--big-file"]
runpy.run_path(str(Path(__file__).with_name("ingest.py")), run_name="__main__")
