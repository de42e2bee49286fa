# Two commands on a fresh machine: `make demo` and `make test`.
# Each creates .venv with a Python >= 3.12 when missing and installs the project.

VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench clean venv

venv: $(STAMP)

$(STAMP): pyproject.toml
	@if [ -x "$(PY)" ] && ! "$(PY)" -c 'import sys; sys.exit(sys.version_info < (3, 12))'; then \
		echo "$(VENV) uses $$($(PY) --version); gmm-pp needs >= 3.12. Remove $(VENV) and run make again." >&2; exit 1; fi
	@if [ ! -x "$(PY)" ]; then \
		py="$$(bash scripts/find-python.sh)" || exit 1; \
		echo "creating $(VENV) with $$py ($$($$py --version))"; \
		"$$py" -m venv "$(VENV)"; \
	fi
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,dask]'
	@touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/gmm-pp demo --overwrite

test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench: $(STAMP)
	$(PY) benchmarks/bench_em.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache gmm-pp-demo
