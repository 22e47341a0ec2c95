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

.PHONY: deploy test lint sanity unit integration molecule testbed testbed-images bench setup clean-venv

# Debian's python3 has no venv module until python3-venv is installed (ensurepip missing).
$(BIN)/.stamp: requirements.txt
	python3 -c 'import ensurepip, venv' 2>/dev/null || { apt-get update -qq && apt-get install -y -qq python3-venv; }
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

# The test bed (docs/testbed.md): empty Debian hosts as privileged systemd containers on this machine. Their
# images come as archives built here once (only what changed is saved again).
TESTBED := $(BIN)/python tests/testbed/testbed.py
TESTBED_ARCHIVES := /var/tmp/aegis-testbed/archives
TESTBED_SCENARIOS ?= fresh-bookworm fresh-trixie multinode newcomer

testbed-images: setup
	command -v debootstrap >/dev/null || { apt-get update -qq && apt-get install -y -qq debootstrap; }
	$(BIN)/ansible-playbook -i inventories/local playbooks/images_archive.yml -e aegis_images_archive_out_dir=$(TESTBED_ARCHIVES)

TESTBED_ADDRESS.bookworm := 10.213.0.21
TESTBED_ADDRESS.trixie := 10.213.0.22

testbed-fresh-%: testbed-images
	AEGIS_TESTBED_SUITE=$* AEGIS_TESTBED_ADDRESS=$(TESTBED_ADDRESS.$*) $(BIN)/molecule test -s fresh

testbed-%: testbed-images
	$(BIN)/molecule test -s $*

# Every scenario from a test bed without hosts; the archives are made once (-o: not again per scenario).
testbed: testbed-images
	$(TESTBED) down
	set -e; for s in $(TESTBED_SCENARIOS); do $(MAKE) --no-print-directory -o testbed-images testbed-$$s; done
	$(TESTBED) down

test: lint sanity unit integration molecule

bench: deploy
	command -v jq >/dev/null && command -v curl >/dev/null || apt-get install -y --no-install-recommends jq curl
	$(BIN)/python tools/bench.py
