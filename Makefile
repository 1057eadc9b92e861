# Cron jobs on Kubernetes: library chart, job charts and the test harness.
# `make help` lists the targets. Every target runs `make setup` first (and the lint/test targets
# `setup-dev`), which is idempotent and fast once the pinned tools are cached (~/.cache/cronharness).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
export PATH := $(CURDIR)/.tools/bin:$(CURDIR)/$(VENV)/bin:$(PATH)
NAME ?=
PYTEST_ARGS ?=

SETUP_HASH := $(shell cat pyproject.toml tools/versions.toml tools/python-tools.txt 2>/dev/null | sha256sum | cut -c1-12)
SETUP_STAMP := $(VENV)/.setup-$(SETUP_HASH)
DEV_STAMP := $(VENV)/.setup-dev-$(SETUP_HASH)

.PHONY: help
help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: setup
setup: $(SETUP_STAMP) ## Create the venv and obtain the pinned tools a job test needs (helm 3, kubectl)

$(SETUP_STAMP): pyproject.toml tools/versions.toml tools/python-tools.txt
	@echo "==> Python venv $(VENV) with pinned dependencies"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check --requirement tools/python-tools.txt
	@$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@$(PY) -m harness.toolchain helm kubectl
	@rm -f $(VENV)/.setup-* && touch $@

.PHONY: setup-dev
setup-dev: $(DEV_STAMP) ## setup + the tools of lint and the test suite (helm 4, promtool, checkov, readme generator)

$(DEV_STAMP): $(SETUP_STAMP)
	@$(PY) -m harness.toolchain helm4 promtool checkov readme-generator
	@touch $@

.PHONY: schemas
schemas: setup-dev ## Regenerate job charts' values.schema.json and the time zone list from the library
	@$(PY) -m harness.generate.schemas
	@$(PY) -m harness.generate.timezones

.PHONY: docs
docs: setup-dev ## Regenerate the library chart README parameter tables from values.yaml
	@$(PY) -m harness.generate.chart_readme

.PHONY: lint
lint: setup-dev ## ruff + mypy, helm lint, render every chart x scenario with Helm 3 and 4, validate, security scan
	@echo "==> ruff"; ruff check
	@echo "==> mypy (strict on harness/ and jobkit/, tests/ checked too)"; mypy
	@echo "==> generated files are current"
	@$(PY) -m harness.generate.schemas --check
	@$(PY) -m harness.generate.chart_readme --check
	@$(PY) -m harness lint-charts
	@echo "==> chart versions bumped where content changed"; $(PY) -m harness check-versions

.PHONY: unit
unit: setup-dev ## Fast tests that need no cluster (charts with the real helm, promtool rule tests, Python units)
	@$(PY) -m pytest -m "not e2e" -n 2 $(PYTEST_ARGS)

.PHONY: coverage
coverage: setup-dev ## Line coverage of jobkit and of each job's app/ by the unit tests alone (`make unit`'s run)
	@mkdir -p reports/coverage
	@$(PY) -m coverage erase
	@$(PY) -m coverage run -m pytest -m "not e2e" -n 2 -q $(PYTEST_ARGS)
	@$(PY) -m coverage combine -q
	@$(PY) -m coverage html -q -d reports/coverage/html
	@echo "==> line coverage by the unit tests (details: reports/coverage/html/index.html)"
	@for code in jobkit charts/jobs/*/app; do \
		printf '  %-42s %s%%\n' "$$code" "$$($(PY) -m coverage report --include="$$code/*" --format=total)"; done

E2E_PATHS = tests/e2e charts/jobs

.PHONY: e2e
e2e: setup-dev ## End-to-end tests: one per production path (local cluster, kind, services, jobs, alerting, delivery)
	@mkdir -p reports
	@$(PY) -m pytest -m "e2e and not matrix" -ra --durations=20 --junitxml=reports/e2e-junit.xml $(PYTEST_ARGS) $(E2E_PATHS)

.PHONY: e2e-all
e2e-all: setup-dev ## Every end-to-end test, with the matrices (other providers, engines, runners)
	@mkdir -p reports
	@$(PY) -m pytest -m e2e -ra --durations=30 --junitxml=reports/e2e-all-junit.xml $(PYTEST_ARGS) $(E2E_PATHS)

.PHONY: test
test: lint unit e2e ## The whole suite (README's test command; .ci/run calls it)

.PHONY: test-all
test-all: lint unit e2e-all ## The whole suite with every matrix (run before resolving an issue)

.PHONY: test-job
test-job: setup ## Deploy job NAME to the cluster, trigger it, wait, run its success test
	@test -n "$(NAME)" || { echo "usage: make test-job NAME=<job> (jobs: $$(ls charts/jobs 2>/dev/null | tr '\n' ' '))"; exit 2; }
	@$(PY) -m harness test-job $(NAME)

.PHONY: cluster-up
cluster-up: setup ## Start the local cluster (and print how to use its kubeconfig)
	@$(PY) -m harness cluster up

.PHONY: cluster-down
cluster-down: setup ## Stop the local cluster and its services; leaves no process or mount
	@$(PY) -m harness cluster down

.PHONY: new-job
new-job: setup ## Scaffold charts/jobs/NAME (chart, app, test)
	@test -n "$(NAME)" || { echo "usage: make new-job NAME=<job>"; exit 2; }
	@$(PY) -m harness new-job $(NAME)

.PHONY: package
package: setup ## helm package every chart (with its library dependency) into dist/
	@$(PY) -m harness package

.PHONY: check-versions
check-versions: setup ## Fail when a chart's packaged files (or a job's image inputs) changed since its version (appVersion) was last set
	@$(PY) -m harness check-versions

.PHONY: diff
diff: setup ## What RANGE=<base>..<head> changes in the objects Argo CD renders per Application (ENV="dev prod": those only)
	@test -n "$(RANGE)" || { echo "usage: make diff RANGE=<base>..<head> [ENV=\"dev prod\"] [DIFF_ARGS=\"--output markdown\"]"; exit 2; }
	@$(PY) -m harness diff $(foreach env,$(ENV),--env $(env)) $(DIFF_ARGS) $(RANGE)

.PHONY: images
images: setup ## Build every job's image as the tests build it (releasing them is `make publish`)
	@$(PY) -m harness images

.PHONY: publish
publish: package ## helm push dist/*.tgz and push every job image as <image.repository>:<appVersion> (default registry: 127.0.0.1)
	@$(PY) -m harness publish $(if $(HARNESS_CHART_REGISTRY),--registry $(HARNESS_CHART_REGISTRY)) \
		$(if $(HARNESS_IMAGE_REGISTRY),--image-registry $(HARNESS_IMAGE_REGISTRY))

.PHONY: bench
bench: setup-dev ## Benchmarks: render+validate N charts, test data generation, cluster, in-cluster services, every job on 10k records
	@$(PY) bench/bench_render.py
	@$(PY) bench/bench_datagen.py --sizes 1000 100000
	@$(PY) bench/bench_cluster.py --runs 5
	@$(PY) bench/bench_services.py
	@$(PY) bench/bench_jobs.py --sizes 10000

.PHONY: fresh-check
fresh-check: ## Rehearse a fresh machine: the Quick start in a throw-away clone with an empty HOME, timed
	@tools/fresh-check.sh

.PHONY: clean
clean: ## Remove the venv, tools links, reports and packages (the ~/.cache build cache stays)
	rm -rf $(VENV) .tools dist reports
