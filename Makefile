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
# The demo's connectors: a local peer (benchmarks/demo_peer.py) for http-pull and virtualization, a SQLite
# file for sql-pull, signed events; secrets and DSNs only ever in the environment (never the catalog).
DEMO_PEER_PORT ?= 8765
DEMO_PEER_URL := http://127.0.0.1:$(DEMO_PEER_PORT)
DEMO_CONNECTED := billing|erp|support|product
SERVE ?= 1
export DEMO_ERP_DSN ?= sqlite:///$(abspath $(DEMO_DIR))/erp.sqlite3
export DEMO_SUPPORT_EVENTS_SECRET ?= support-events-demo-2026

.PHONY: install test lint format demo demo-data demo-setup demo-serve serve clean

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

demo: demo-setup
	@echo ""
	@echo "Customer MDM demo: http://$(HOST):$(PORT)/"
	@echo "  steward login: steward / $(DEMO_STEWARD_PASSWORD)"
	@echo "  admin login:   admin / $(DEMO_ADMIN_PASSWORD)"
	@echo ""
	@if [ "$(SERVE)" != "0" ]; then $(MAKE) --no-print-directory demo-serve; fi

# Everything but serving (`make demo SERVE=0` stops here too): load, import files, pull the connector
# sources (the peer runs only for this step), resolve, check.
demo-setup: demo-data
	$(PY) -m benchmarks.demo_connectors prepare --dir $(DEMO_DIR) --peer-url $(DEMO_PEER_URL)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput -v0
	$(PY) manage.py load_catalog $(DEMO_DIR)/demo-catalog.yaml
	@for f in $(DEMO_DIR)/*.csv $(DEMO_DIR)/*.jsonl; do \
		name=$$(basename $$f); code=$${name%.*}; \
		case $$code in activities|truth|$(DEMO_CONNECTED)) ;; *) $(PY) manage.py import_records $$code $$f || exit 1 ;; esac; \
	done
	$(PY) manage.py import_records crm benchmarks/fixtures/crm_late_arrivals.csv
	@$(PY) -m benchmarks.demo_peer --dir $(DEMO_DIR) --port $(DEMO_PEER_PORT) & peer=$$!; \
	trap 'kill $$peer 2>/dev/null' EXIT INT TERM; \
	$(PY) -m benchmarks.demo_connectors wait --peer-url $(DEMO_PEER_URL) && \
	$(PY) manage.py sync --all && \
	$(PY) -m benchmarks.demo_connectors events --dir $(DEMO_DIR) --source support && \
	$(PY) manage.py import_activities $(DEMO_DIR)/activities.csv && \
	$(PY) manage.py resolve --sync && \
	$(PY) -m benchmarks.demo_connectors report --dir $(DEMO_DIR) --peer-url $(DEMO_PEER_URL)
	$(PY) manage.py governance_check
	$(PY) manage.py ensure_user steward --role steward --password $(DEMO_STEWARD_PASSWORD)
	$(PY) manage.py ensure_user admin --role admin --password $(DEMO_ADMIN_PASSWORD)

# runserver with the demo peer alongside (live payloads of the virtual source); the peer stops with it.
demo-serve: $(STAMP)
	@$(PY) -m benchmarks.demo_peer --dir $(DEMO_DIR) --port $(DEMO_PEER_PORT) & peer=$$!; \
	trap 'kill $$peer 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver $(HOST):$(PORT) --noreload

serve: $(STAMP)
	$(PY) manage.py runserver $(HOST):$(PORT) --noreload

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-wal db.sqlite3-shm var staticfiles
