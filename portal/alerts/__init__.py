"""E-mail alerts a resident sets per premise: a day's use over a threshold, yesterday's data arriving, a
completed meter read. Evaluated by Celery after each loaded file (receivers → tasks → services); each alert
is recorded once (``AlertSent``) so reloads and retries never send it twice; every e-mail carries RFC 8058
one-click unsubscribe (tokens, views)."""
