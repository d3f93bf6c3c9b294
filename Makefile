# Two commands: `make run` and `make test`. Everything installs from the lock files.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements-dev.lock | cksum | cut -d' ' -f1)

.PHONY: run test install lint audit migrate demo worker beat web lock messages clean bench-load

$(STAMP): requirements-dev.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r requirements-dev.lock
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py load_demo

run: demo
	bash scripts/run-all.sh

web: install
	$(PY) manage.py runserver 127.0.0.1:8000

worker: install
	$(VENV)/bin/celery -A platform_app worker --loglevel=INFO --concurrency=2

beat: install
	$(VENV)/bin/celery -A platform_app beat --loglevel=INFO

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-cache
	$(PY) manage.py makemigrations --check --dry-run

# Known vulnerabilities with a fixed release fail the build (skipped, with a notice, offline).
audit: install
	$(PY) scripts/audit_dependencies.py

test: lint audit
	$(PY) -m pytest

# Simulated learners and officials against gunicorn, a worker and beat (locust, loopback only).
USERS ?= 200
MINUTES ?= 3
bench-load: demo
	$(PY) manage.py bench_load --users $(USERS) --minutes $(MINUTES)

# Maintainers: refresh the lock files after editing pyproject.toml (needs `uv`).
lock:
	uv pip compile pyproject.toml --python-version 3.11 --generate-hashes -o requirements.lock
	uv pip compile pyproject.toml --group dev --python-version 3.11 --generate-hashes -o requirements-dev.lock

# Maintainers: extract and compile translations (needs GNU gettext). django.mo merges, first
# translation wins (an empty msgstr is skipped): the project's django.po, allauth's screens
# (locale_src/allauth.vi.po), then the admin's gaps in Django, django-celery-beat and the apps
# (locale_src/admin.vi.po). djangojs.mo: the admin's JavaScript strings (djangojs.po).
messages: install
	$(PY) manage.py makemessages -l vi --ignore=.venv --ignore=var --ignore=tests --ignore=staticfiles
	$(PY) manage.py makemessages -d djangojs -l vi --ignore=.venv --ignore=var --ignore=staticfiles
	mkdir -p var
	msgcat --use-first locale/vi/LC_MESSAGES/django.po locale_src/allauth.vi.po locale_src/admin.vi.po -o var/vi-all.po
	msgfmt --check -o locale/vi/LC_MESSAGES/django.mo var/vi-all.po
	msgfmt --check -o locale/vi/LC_MESSAGES/djangojs.mo locale/vi/LC_MESSAGES/djangojs.po

clean:
	rm -rf $(VENV) var staticfiles test-artifacts

# Back up the database, media and private files into DIR (default var/backups; copy it elsewhere).
.PHONY: backup restore
backup: install
	$(PY) manage.py backup $(or $(DIR),var/backups)

# Restore an archive made by `make backup` (asks first): make restore FILE=path/to/archive.tar.gz
restore: install
	@test -n "$(FILE)" || { echo "usage: make restore FILE=path/to/archive.tar.gz" >&2; exit 2; }
	$(PY) manage.py restore "$(FILE)"
