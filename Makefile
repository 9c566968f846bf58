# Two commands a fresh machine needs (Python 3.11 as python3; PuLP 3.3 there, PuLP 4 on 3.12):
#   make plan   installs into .venv and runs the main job on the embedded default data
#   make test   installs into .venv (with test extras) and runs the test suite
PYTHON ?= python3
VENV ?= .venv
PIP_FLAGS ?= --quiet --disable-pip-version-check
OUT ?= runs/default
PYTEST_ARGS ?=
PYTHON312 ?= /root/.pyenv/versions/3.12.1/bin/python
# spopt (the peer the locate tests and benchmark compare with) pins PuLP 3: only in the 3.11 environment.
EXTRAS ?= test,bench

.PHONY: plan test install test-py312 clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install $(PIP_FLAGS) --upgrade pip
	$(VENV)/bin/python -m pip install $(PIP_FLAGS) -e ".[$(EXTRAS)]"
	touch $@

install: $(VENV)/.installed

plan: $(VENV)/.installed
	$(VENV)/bin/amayesh plan --out $(OUT) --replace

test: $(VENV)/.installed
	$(VENV)/bin/python -m pytest -q $(PYTEST_ARGS)

# The same suite on Python 3.12 with PuLP 4 (used by .ci/run). Deselected there: the spopt comparison (spopt pins
# PuLP 3) and the CBC fallback (PuLP 4 ships no CBC without its ~600 MB extra); both run on 3.11.
test-py312:
	$(MAKE) test PYTHON=$(PYTHON312) VENV=.venv312 EXTRAS=test \
		PYTEST_ARGS="--deselect tests/test_locate_pmed.py::test_pmed_style_against_spopt_cbc \
		--deselect tests/test_optimizer_model.py::test_cbc_fallback_gives_the_same_plan"

clean:
	rm -rf $(VENV) .venv312 .pytest_cache .hypothesis
