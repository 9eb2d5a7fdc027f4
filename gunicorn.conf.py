"""gunicorn reads this file from the working directory: its access log (when enabled with --access-logfile)
names the path without the query string, so export download links' tokens never land there
(smt/logredact.py does the same for the application's own logs)."""

access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s "-" "%(a)s"'
