.PHONY: install test check bench bench-quick
VENV ?= .venv

install:
	python3 -m venv $(VENV) && $(VENV)/bin/pip install -e '.[test,dev]'

test:
	$(VENV)/bin/pytest

# Every check in one command: lint, types, tests.
check:
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy feedsvc
	$(VENV)/bin/pytest

# The benchmark table (about 7 minutes; see README "Benchmarks"); bench-quick: a smoke run.
bench:
	$(VENV)/bin/python -m bench

bench-quick:
	$(VENV)/bin/python -m bench --quick
