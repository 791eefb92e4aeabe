# The README's two commands: `make demo` and `make test`. Both work from a fresh clone.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEMO_DIR ?= var/demo
DEMO_PEOPLE ?= 2500
DEMO_SEED ?= 7
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_STEWARD_PASSWORD ?= steward-demo-2026
DEMO_ADMIN_PASSWORD ?= admin-demo-2026

.PHONY: install test lint format demo demo-data serve clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	$(PY) -m pip install -q --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

test: lint
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest -q

demo-data: $(STAMP)
	$(PY) -m benchmarks.datagen --people $(DEMO_PEOPLE) --seed $(DEMO_SEED) --out $(DEMO_DIR)

demo: demo-data
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput -v0
	$(PY) manage.py load_catalog $(DEMO_DIR)/catalog.yaml
	@for f in $(DEMO_DIR)/*.csv $(DEMO_DIR)/*.jsonl; do \
		name=$$(basename $$f); code=$${name%.*}; \
		case $$code in activities|truth) ;; *) $(PY) manage.py import_records $$code $$f || exit 1 ;; esac; \
	done
	$(PY) manage.py import_records crm benchmarks/fixtures/crm_late_arrivals.csv
	$(PY) manage.py import_activities $(DEMO_DIR)/activities.csv
	$(PY) manage.py resolve --sync
	$(PY) manage.py governance_check
	$(PY) manage.py ensure_user steward --role steward --password $(DEMO_STEWARD_PASSWORD)
	$(PY) manage.py ensure_user admin --role admin --password $(DEMO_ADMIN_PASSWORD)
	@echo ""
	@echo "Customer MDM demo: http://$(HOST):$(PORT)/"
	@echo "  steward login: steward / $(DEMO_STEWARD_PASSWORD)"
	@echo "  admin login:   admin / $(DEMO_ADMIN_PASSWORD)"
	@echo ""
	$(MAKE) --no-print-directory serve

serve: $(STAMP)
	$(PY) manage.py runserver $(HOST):$(PORT) --noreload

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-wal db.sqlite3-shm var staticfiles
