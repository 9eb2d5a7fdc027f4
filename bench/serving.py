"""The settings every benchmark serves the app with: production's (DEBUG off, persistent connections, quiet
logs), so a figure measures what a deployment would serve and not Django's debug bookkeeping."""

import os

#: gunicorn sync workers serving a benchmark (BENCH_WORKERS); the figures print it
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))

SERVING_ENV = {
    "API_THROTTLE_PROFILE": "benchmark",  # limits far above what the machine can serve (docs/api.md)
    "DEBUG": "false",
    "SECRET_KEY": "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
    "REGISTRATION_CODE_KEY": "bench-only-registration-code-key",
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "SECURE_SSL_REDIRECT": "false",
    "LOG_LEVEL": "WARNING",
    "DB_CONN_MAX_AGE": "600",
}
