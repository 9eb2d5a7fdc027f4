# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export DJANGO_SETTINGS_MODULE := smt.settings

.PHONY: run test test-future lint format bench install worker beat clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(PY) manage.py migrate --noinput
	@if [ ! -f var/.demo-loaded ]; then $(PY) manage.py seed_demo && touch var/.demo-loaded; fi
	@$(PY) manage.py demo_logins
	$(PY) manage.py runserver 127.0.0.1:8000

# Style and the design's rules: ruff, the import contracts (layers; hot code without Django), the mypy ratchet,
# and the Spanish check (every user-facing string marked and translated; needs gettext's xgettext).
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(PY) tools/mypy_ratchet.py
	$(PY) tools/i18n_check.py

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# In parallel (one worker per CPU), with the slowest tests listed at the end.
test: lint
	$(PY) -m pytest -n auto --durations=15 $(PYTEST_ARGS)

# The portal, third-party and API tests as if today were 400 days later: a test whose fixed dates slide out
# of its date-relative fixtures fails the day it is written, not a year later.
CLOCK_SHIFT_DAYS ?= 400
test-future: $(STAMP)
	$(PY) -m pytest -n auto --clock-shift-days=$(CLOCK_SHIFT_DAYS) tests/portal tests/thirdparty tests/api tests/demo $(PYTEST_ARGS)

bench: $(STAMP)
	@for f in bench/bench_*.py; do [ "$$f" = bench/bench_scale.py ] || $(PY) $$f || exit 1; done

# One worker for every queue (one machine). On many hosts, start each kind on its own: QUEUES=ingest make worker
# (the queues of the tasks: smt/celery.py; docs/scaling.md). One beat is enough; a second one stands by.
QUEUES ?= celery,ingest,exports,webhooks,mail,headend,maintenance
worker: $(STAMP)
	$(VENV)/bin/celery -A smt worker -Q $(QUEUES) -l info

beat: $(STAMP)
	$(VENV)/bin/celery -A smt beat -l info

clean:
	rm -rf var/smt.sqlite3 var/.demo-loaded var/inbox var/mail
