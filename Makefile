# Smart Classroom — `make run` and `make test` work on a fresh clone (Python 3.11+, no AWS, no Docker;
# `make build`, which `make test` runs, also needs python3.12 on PATH: pyenv's is found by itself).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install run test lint security bench bench-classroom bench-cameras bench-lecture bench-headroom bench-upload arm64 clean build validate browser asl

# aws-sam-cli pins boto3 exactly, so it gets a venv of its own (gitignored), made on first use.
SAM_VERSION ?= 1.170.0
SAM_VENV    := .tools/sam
SAM_STAMP   := $(SAM_VENV)/.installed-$(SAM_VERSION)
SAM         := SAM_CLI_TELEMETRY=0 $(SAM_VENV)/bin/sam

install: $(STAMP)

# The dev venv's face_recognition_models/models folder (where classroom_vision.models looks).
VENV_MODELS = $$(ls -d $(CURDIR)/$(VENV)/lib/python3*/site-packages/face_recognition_models/models 2>/dev/null | head -n 1)
# The encoder's network converted to ONNX beside dlib's .dat, checked as the vision layer's build checks it.
CONVERTER := layers/vision/resnet_to_onnx.py
RESNET    := dlib_face_recognition_resnet_model_v1

# face_recognition 1.3.0 declares `dlib`, which builds from source for 30+ minutes;
# dlib-bin (in pyproject) ships the same module prebuilt, so it goes in with --no-deps.
# setuptools tells every editable install of packages mapped from other folders (ours: layers/*) to "be
# careful with folders in your working directory with the same name as your package", as a warning it
# calls InformationOnly; that one note is filtered out, so the install prints nothing to learn to ignore.
EDITABLE_NOTE := PYTHONWARNINGS="ignore:Editable installation:UserWarning"
$(STAMP): pyproject.toml $(CONVERTER) layers/vision/models.sha256
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip "setuptools<81" wheel
	$(EDITABLE_NOTE) $(BIN)/pip install -q -e ".[dev]"
	$(BIN)/pip install -q --no-deps face_recognition==1.3.0
	models="$(VENV_MODELS)" && $(BIN)/python $(CONVERTER) --sha256 layers/vision/models.sha256 \
		"$$models/$(RESNET).dat" "$$models/$(RESNET).onnx"
	touch $@

run: install  ## process the bundled sample videos end to end on the local stack
	$(BIN)/classroom run

# The state machine's source is statemachine/recognition.asl.yaml (each retry policy written once, as a
# YAML anchor); the template deploys, and the local stack runs, its expansion recognition.asl.json.
asl: install  ## write statemachine/recognition.asl.json from recognition.asl.yaml
	$(BIN)/python statemachine/expand.py

lint: install
	$(BIN)/python statemachine/expand.py --check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/cfn-lint template.yaml

test: browser install lint security build  ## unit tests against moto, then the whole workflow through the local stack
	CHROMIUM="$(CHROMIUM)" $(BIN)/pytest

# The view test drives a real headless browser: CHROMIUM=/path/to/chrome, or Debian's chromium, which is
# installed here when it is missing and we may (root with apt-get); otherwise one line says what to run.
CHROMIUM ?=
browser:
	@if [ -n "$(CHROMIUM)" ]; then [ -x "$(CHROMIUM)" ] && exit 0; \
		echo "CHROMIUM=$(CHROMIUM) is not an executable" >&2; exit 1; fi; \
	if command -v chromium >/dev/null 2>&1; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing Debian's chromium for the browser test (apt-get)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
		echo "make test needs a Chromium for the browser test: run 'sudo apt-get install chromium'" \
			"(or pass CHROMIUM=/path/to/chrome)" >&2; exit 1; \
	fi

# checkov beside cfn-lint resolves to an old checkov that crashes, so it gets its own venv too.
CHECKOV_VERSION ?= 3.3.30
CHECKOV_VENV    := .tools/checkov
CHECKOV_STAMP   := $(CHECKOV_VENV)/.installed-$(CHECKOV_VERSION)

$(CHECKOV_STAMP):
	rm -rf $(CHECKOV_VENV)
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install -q --upgrade pip
	$(CHECKOV_VENV)/bin/pip install -q checkov==$(CHECKOV_VERSION)
	touch $@

security: $(CHECKOV_STAMP)  ## checkov over the template; each skipped check is explained in .checkov.yaml
	BC_SKIP_MAPPING=TRUE $(CHECKOV_VENV)/bin/checkov -f template.yaml --config-file .checkov.yaml

$(SAM_STAMP):
	rm -rf $(SAM_VENV)
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install -q --upgrade pip
	$(SAM_VENV)/bin/pip install -q aws-sam-cli==$(SAM_VERSION)
	touch $@

validate: $(SAM_STAMP)  ## sam validate with cfn-lint (offline)
	$(SAM) validate --lint --region us-east-1

# `sam build` (no Docker) needs python3.12, Lambda's runtime, on PATH: with pyenv, an installed 3.12 is made
# visible beside the current version. layers/vision/Makefile runs pip from the sam venv and takes the two face
# models' sources from the dev venv when it is there (else from PyPI); it converts the ResNet to ONNX itself.
build: $(SAM_STAMP)  ## sam build: the Lambdas and layers for arm64 into .aws-sam/build
	@if ! python3.12 -c '' 2>/dev/null && command -v pyenv >/dev/null 2>&1 && v312="$$(pyenv latest 3.12 2>/dev/null)"; then \
		export PYENV_VERSION="$$(pyenv version-name):$$v312"; fi; \
	python3.12 -c '' 2>/dev/null || { echo "make build: python3.12 (Lambda's runtime) must be on PATH for sam build," \
		"e.g. pyenv install 3.12 (or your OS package of python3.12)" >&2; exit 1; }; \
	models="$(VENV_MODELS)"; \
	echo "python3.12: $$(command -v python3.12) ($$(python3.12 -V))"; \
	set -x; PYTHON="$(CURDIR)/$(SAM_VENV)/bin/python" FACE_MODELS_SRC="$$models" $(SAM) build

BENCH_STAMP := $(VENV)/.installed-bench

$(BENCH_STAMP): $(STAMP) pyproject.toml
	$(BIN)/pip install -q -e ".[bench]"
	touch $@

# BENCH_ARGS: e.g. --workers 4, --repeat 5, --strict (exit 1 on a missed target); see bench/run.py.
bench: $(BENCH_STAMP)  ## 100 uploads vs the course baseline, classroom clips vs face_recognition, a lecture, real cameras, headroom -> bench-results/
	$(BIN)/python -m bench.run $(BENCH_ARGS)
	$(BIN)/python -m bench.lecture
	$(BIN)/python -m bench.cameras
	$(BIN)/python -m bench.held_out
	$(BIN)/python -m bench.headroom

bench-classroom: $(BENCH_STAMP)  ## only the classroom clips, face_recognition's default beside -> bench-results/
	$(BIN)/python -m bench.run --only classroom $(BENCH_ARGS)

# BENCH_CAMERAS_ARGS: e.g. --only dim phone, --why (each student's face in each sampled frame); see bench/cameras.py.
bench-cameras: $(BENCH_STAMP)  ## only the real-camera classrooms, face_recognition's careful path beside, and held-out seeds -> bench-results/
	$(BIN)/python -m bench.cameras $(BENCH_CAMERAS_ARGS)
	$(BIN)/python -m bench.held_out

bench-lecture: install  ## only the lecture: wall time, peak memory, temporary files, GB-seconds -> bench-results/
	$(BIN)/python -m bench.lecture

bench-headroom: $(BENCH_STAMP)  ## the worst cases (a 4K lecture segment, a class of 120) at Lambda's CPU share vs Timeout -> bench-results/
	$(BIN)/python -m bench.headroom

bench-upload: $(BENCH_STAMP)  ## the local stack's memory: a 1 GB lecture uploaded and run, 1,000 small runs, classroom run on 2 GB -> bench-results/
	$(BIN)/python -m bench.upload

# Not part of `make test` (it takes minutes): Debian's qemu-user-static and arm64 python3.11 unpacked under
# .tools/arm64 (apt-get download, dpkg -x: no system change), the vision layer run on both machines.
arm64: install build  ## run the arm64 build under QEMU on the samples and a generated classroom; compare with x86_64
	$(BIN)/python -m bench.arm64

clean:
	rm -rf .classroom out .aws-sam bench-results
