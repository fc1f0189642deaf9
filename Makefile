# Smart Classroom — `make run` and `make test` work on a fresh clone (Python 3.11+, no AWS, no Docker).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install run test lint bench clean

install: $(STAMP)

# face_recognition 1.3.0 declares `dlib`, which builds from source for 30+ minutes;
# dlib-bin (in pyproject) ships the same module prebuilt, so it goes in with --no-deps.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip "setuptools<81" wheel
	$(BIN)/pip install -q -e ".[dev]"
	$(BIN)/pip install -q --no-deps face_recognition==1.3.0
	touch $@

run: install  ## process the bundled sample videos end to end on the local stack
	$(BIN)/classroom run

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/cfn-lint template.yaml

test: install lint  ## unit tests against moto, then the whole workflow through the local stack
	$(BIN)/pytest

clean:
	rm -rf .classroom out .aws-sam bench-results
