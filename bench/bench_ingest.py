"""`make bench` runs bench/bench_*.py: the ingest benchmark lives in bench/ingest.py."""

import runpy
from pathlib import Path

runpy.run_path(str(Path(__file__).with_name("ingest.py")), run_name="__main__")
