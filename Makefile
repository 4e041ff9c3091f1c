# Two commands a learner needs: `make lab` (set up, open the course) and `make test` (set up, run everything).
# Set-up is a stamp file inside .venv: it reruns only when pyproject.toml changes.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.labkit-installed
PORT   ?= 8888
PYTEST_ARGS ?=

# Strict nbval: outputs are compared; kernels run in this environment; slow cells fail after 180 s.
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with tests/sanitize.cfg --nbval-cell-timeout=180

.PHONY: setup lab test unit notebooks exercises outputs bench cdk clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	@touch $(STAMP)

lab: $(STAMP)
	$(BIN)/labkit lab --port $(PORT) $(if $(filter 1,$(NO_BROWSER)),--no-browser,)

# The whole suite: unit and lab tests, exercise checks and strict nbval over the course; then the browser
# tests in a process of their own (Playwright keeps an event loop for its whole session, which must not be
# shared with the kernels the other tests start).
test: $(STAMP)
	$(BIN)/python -m pytest $(NBVAL) tests notebooks solutions --ignore=tests/browser $(PYTEST_ARGS)
	$(BIN)/python -m pytest tests/browser $(PYTEST_ARGS)

unit: $(STAMP)
	$(BIN)/python -m pytest tests --ignore=tests/browser $(PYTEST_ARGS)

browser: $(STAMP)
	$(BIN)/python -m pytest tests/browser $(PYTEST_ARGS)

notebooks: $(STAMP)
	$(BIN)/python -m pytest $(NBVAL) notebooks solutions $(PYTEST_ARGS)

exercises: $(STAMP)
	$(BIN)/labkit exercises

# Re-execute the course and commit-ready outputs (then `make exercises`).
outputs: $(STAMP)
	$(BIN)/labkit exercises
	$(BIN)/python -m labkit.notebooks run notebooks/*.ipynb solutions/*.ipynb

bench: $(STAMP)
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

# Section 5's CDK app: install the optional extra if missing, synthesize (Node.js runs aws-cdk-lib), copy the
# templates to examples/cdk/templates/ (committed: the tests compare them with a fresh synth), lint them.
CDK_DIR := examples/cdk
cdk: $(STAMP)
	@$(BIN)/python -c "import aws_cdk, constructs, cfnlint" 2>/dev/null || \
		$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[cdk]"
	rm -rf $(CDK_DIR)/cdk.out
	cd $(CDK_DIR) && CDK_OUTDIR=cdk.out $(abspath $(BIN))/python app.py
	mkdir -p $(CDK_DIR)/templates
	cp $(CDK_DIR)/cdk.out/*.template.json $(CDK_DIR)/templates/
	$(BIN)/cfn-lint $(CDK_DIR)/templates/*.json

clean:
	rm -rf $(VENV) artifacts .jupyter/lab/workspaces
