.PHONY: install test check
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
