# Every target works on a fresh machine: it creates .venv when missing.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev

.PHONY: demo serve worker test lint fmt bench fuzz acceptance up clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/inbox demo

serve: $(STAMP)
	$(BIN)/inbox serve

worker: $(STAMP)
	$(BIN)/inbox worker

# pytest exits 5 when it collected nothing; that must fail the build, and it does
# because make treats any non-zero exit as failure.
test: $(STAMP)
	$(BIN)/python -m pytest --ignore=tests/acceptance

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

fmt: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python -m bench

# Hostile input against a real hub on loopback: every webhook and every /api/v1 route.
# Bounded by FUZZ_SECONDS (default 300) and FUZZ_EXAMPLES; writes docs/fuzz.json and the
# results part of docs/fuzz.md; fails on any 5xx, hang, leaked secret or stored forgery.
fuzz: $(STAMP)
	$(BIN)/python -m tests.fuzz

acceptance: $(STAMP)
	$(BIN)/python -m pytest tests/acceptance -p no:cacheprovider

# Production-like stack: real MongoDB replica set, Valkey, two web processes, one worker.
up:
	docker compose up --build

clean:
	rm -rf $(VENV) .data .pytest_cache .mypy_cache .ruff_cache .hypothesis
