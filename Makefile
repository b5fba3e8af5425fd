# The two commands: `make run` and `make test`. Everything else is set up by them.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: run test lint bench bench-smoke browser results docs docs-serve clean

# The venv is (re)built when pyproject.toml changes; the stamp files make both targets idempotent.
$(VENV)/.stamp-base: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	touch $@

# The tests build the documentation site and execute its notebooks, so dev includes docs.
$(VENV)/.stamp-dev: pyproject.toml $(VENV)/.stamp-base
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev,docs]'
	touch $@

$(VENV)/.stamp-docs: pyproject.toml $(VENV)/.stamp-base
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[docs]'
	touch $@

run: $(VENV)/.stamp-base
	$(BIN)/barenet train --recipe default

lint: $(VENV)/.stamp-dev
	$(BIN)/ruff check src tests benchmarks scripts docs/hooks.py
	$(BIN)/ruff format --check src tests benchmarks scripts docs/hooks.py
	$(BIN)/mypy

# The browser test needs Debian's Chromium; install it when missing and we are allowed to.
# Under CI (CI=true) a browser that cannot be installed fails the run instead of a skip.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || { echo "note: could not install chromium; the browser test will skip"; \
	           [ "$$CI" != true ] || { echo "error: CI=true needs chromium" >&2; exit 1; }; }; \
	  else echo "note: chromium missing and not root; the browser test will skip"; \
	    [ "$$CI" != true ] || { echo "error: CI=true needs chromium" >&2; exit 1; }; fi; }

test: lint browser
	$(BIN)/pytest -q

# docs/results.md: every recipe trained with three seeds on real MNIST, the runs spread over every
# core by the sweep engine (Dask, from the `sweep` extra).
results: $(VENV)/.stamp-base
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[sweep]'
	$(BIN)/python scripts/results.py

# Speed and memory against plain NumPy, PyTorch and scikit-learn on real MNIST (10-15 minutes
# on 2 cores): benchmarks/results.md and results.png. The peers come from the `bench` extra.
bench: $(VENV)/.stamp-base
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[bench]'
	$(BIN)/python -m benchmarks.run

# The same code on a few hundred batches, peers skipped if not installed (CI): build/bench-smoke/.
bench-smoke: $(VENV)/.stamp-base
	$(BIN)/python -m benchmarks.run --smoke

# The documentation site (mkdocs.yml) in site/: strict, so a broken link, a nav entry without a
# page or an unknown API name fails; the tutorials in docs/tutorials/ run on real MNIST (a few
# minutes on 2 cores). docs-serve rebuilds on every change at http://127.0.0.1:8000, re-running
# only the notebooks that changed. (NO_MKDOCS_2_WARNING: Material's banner about its successor.)
docs: $(VENV)/.stamp-docs
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

docs-serve: $(VENV)/.stamp-docs
	NO_MKDOCS_2_WARNING=1 BARENET_DOCS_CACHE=true $(BIN)/mkdocs serve --strict

clean:
	rm -rf $(VENV) build dist site .cache src/*.egg-info .pytest_cache .mypy_cache .ruff_cache .pytest-mnist-cache
