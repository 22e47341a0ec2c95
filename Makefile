# The two commands of the README: `make deploy` (this machine, local images) and `make test`.
# Both install what they need: .venv with pinned tools, the pinned collections (no Galaxy), podman (by the
# podman_host role), images (by the images role).
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export PATH := $(CURDIR)/$(BIN):$(PATH)
INVENTORY ?= inventories/local
SCENARIOS ?= default secrets storage temporal iam observability core seal_gateway site day2

.PHONY: deploy test lint sanity unit integration molecule bench setup clean-venv

$(BIN)/.stamp: requirements.txt
	python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

.collections/.stamp: $(BIN)/.stamp tools/vendor-collections.py
	$(BIN)/python tools/vendor-collections.py

setup: $(BIN)/.stamp .collections/.stamp

deploy: setup
	$(BIN)/ansible-playbook -i $(INVENTORY) playbooks/site.yml

lint: setup
	$(BIN)/ansible-lint

sanity: setup
	tools/sanity.sh

unit: setup
	$(BIN)/python -m pytest -q tests/unit

integration: setup
	$(BIN)/python -m pytest -q tests/integration

molecule: setup
	set -e; for s in $(SCENARIOS); do $(BIN)/molecule test -s $$s; done

test: lint sanity unit integration molecule

bench: deploy
	command -v jq >/dev/null && command -v curl >/dev/null || apt-get install -y --no-install-recommends jq curl
	$(BIN)/python tools/bench.py
