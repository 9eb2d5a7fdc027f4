"""Settings for `make bench`: the project's settings plus the naive baseline app (bench/baseline.py)."""

from smt.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "bench"]  # noqa: F405
ROOT_URLCONF = "bench.urls"
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
