# Two commands do all the set-up on a fresh machine with Python >= 3.11 and make:
#   make run    — the bot on the built-in sandbox and SQLite (no token needed), web chat URL printed
#   make test   — lint, the whole suite on SQLite, then the PostgreSQL pass when one is reachable
# Screenshots of a resident's report at 360 px: make screenshots (needs Chromium)
# Benchmarks: make bench-tips, make bench-delivery, make bench-campaigns, make bench-broadcasts, make bench-coverage, make bench-workers; BENCH_ARGS=--record writes bench/RESULTS.md
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test lint screenshots bench-delivery bench-tips bench-campaigns bench-broadcasts bench-coverage bench-workers clean

$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Bình Yên cần Python 3.11 trở lên")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/binhyen run

# Only the install: .venv with the locked versions and the `binhyen` command (a server: see
# docs/deploy.md).
.PHONY: install
install: $(STAMP)

# The end-to-end tests mostly wait (for the sandbox to settle, for a fake clock's turn), so
# four workers on two cores halve the wall time; see README "Tests".
TEST_WORKERS ?= 4

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/pytest -q -n $(TEST_WORKERS) -p no:cacheprovider
	TEST_WORKERS=$(TEST_WORKERS) $(BIN)/python -m tests.pg_pass

lint: $(STAMP)
	$(BIN)/ruff check .

# The web chat at 360 px for a whole report on each messenger, by headless Chromium, into
# screenshots/ (not part of `make test`).
screenshots: $(STAMP)
	$(BIN)/python -m tests.screenshots

bench-delivery: $(STAMP)
	$(BIN)/python -m bench.delivery $(BENCH_ARGS)

bench-tips: $(STAMP)
	$(BIN)/python -m bench.tips $(BENCH_ARGS)

bench-campaigns: $(STAMP)
	$(BIN)/python -m bench.campaigns $(BENCH_ARGS)

bench-broadcasts: $(STAMP)
	$(BIN)/python -m bench.broadcasts $(BENCH_ARGS)

bench-workers: $(STAMP)
	$(BIN)/python -m bench.workers $(BENCH_ARGS)

bench-coverage: $(STAMP)
	$(BIN)/python -m bench.coverage $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
