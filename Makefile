# The two commands of the README: `make deploy` (this machine, local images) and `make test`.
# Both install what they need: .venv with pinned tools, the pinned collections (no Galaxy), podman (by the
# podman_host role), images (by the images role).
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export PATH := $(CURDIR)/$(BIN):$(PATH)
INVENTORY ?= inventories/local
SCENARIOS ?= database secrets storage temporal iam observability core seal_gateway day2

.PHONY: go-check deploy test lint sanity unit integration molecule versions versions-floor versions-newest testbed testbed-images bench setup clean-venv

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

# Keycloak's distribution comes from Maven Central through this machine's mvn (the local image, the integration
# tests' real Keycloak on Java): Debian's maven brings both when either is missing.
MAVEN := command -v mvn >/dev/null && command -v java >/dev/null || \
	{ apt-get update -qq && apt-get install -y -qq --no-install-recommends maven; }

# The local Temporal images are built from Go programs with this machine's go, which must be 1.21 or newer
# (Debian 12's golang-go is 1.19): refused here, before anything changes.
# Go's documented install location, for shells that do not have it on PATH (appended: a go on PATH wins).
export PATH := $(PATH):/usr/local/go/bin

go-check:
	@v=$$(go env GOVERSION 2>/dev/null | sed 's/^go//'); \
	[ -n "$$v" ] && [ "$$(printf '1.21\n%s\n' "$$v" | sort -V | head -n1)" = 1.21 ] || \
	{ echo "make: the local Temporal images need Go 1.21 or newer on this machine (found: $${v:-none}); see README" >&2; exit 1; }

deploy: go-check setup
	$(MAVEN)
	$(BIN)/ansible-playbook -i $(INVENTORY) playbooks/site.yml

lint: setup
	$(BIN)/ansible-lint

sanity: setup
	tools/sanity.sh

unit: setup
	$(BIN)/python -m pytest -q tests/unit standins/tests

integration: setup
	$(MAVEN)
	$(BIN)/python -m pytest -q tests/integration

molecule: go-check setup
	set -e; for s in $(SCENARIOS); do $(BIN)/molecule test -s $$s; done

# The oldest and the newest ansible-core the collection claims (meta/runtime.yml), each in a venv of its own
# (.venv-core/VERSION): sanity, unit, and the database + secrets converge with its rerun (tests/versions/run.sh).
# The floor is what AAP 2.5 ships, on this machine. The newest needs Python >= 3.12, which Debian 12 lacks: it runs
# on a Debian 13 host made like the test bed's (tests/versions/in_debian13.py), with the test bed's image archives.
CORE_FLOOR := 2.16.19
CORE_NEWEST := 2.21.5

versions: versions-floor versions-newest

versions-floor: setup
	tests/versions/run.sh $(CORE_FLOOR)

versions-newest: testbed-images
	$(BIN)/python tests/versions/in_debian13.py $(CORE_NEWEST)

# The test bed (docs/testbed.md): empty Debian hosts as privileged systemd containers on this machine. Their
# images come as archives built here once (only what changed is saved again).
TESTBED := $(BIN)/python tests/testbed/testbed.py
TESTBED_WORK := /var/tmp/aegis-testbed
TESTBED_ARCHIVES := $(TESTBED_WORK)/archives
# newcomer builds every image inside its host (as a newcomer does): by hand, not in make test (CPU-bound, 2 cores).
TESTBED_SCENARIOS ?= fresh-bookworm fresh-trixie multinode

testbed-images: go-check setup
	command -v debootstrap >/dev/null || { apt-get update -qq && apt-get install -y -qq debootstrap; }
	$(BIN)/ansible-playbook -i inventories/local playbooks/images_archive.yml -e aegis_images_archive_out_dir=$(TESTBED_ARCHIVES)

TESTBED_ADDRESS.bookworm := 10.213.0.21
TESTBED_ADDRESS.trixie := 10.213.0.22

# Each fresh suite keeps its own molecule state, so that both can run at once.
testbed-fresh-%: testbed-images
	AEGIS_TESTBED_SUITE=$* AEGIS_TESTBED_ADDRESS=$(TESTBED_ADDRESS.$*) \
	MOLECULE_EPHEMERAL_DIRECTORY=$(TESTBED_WORK)/molecule/fresh-$* $(BIN)/molecule test -s fresh

testbed-%: testbed-images
	$(BIN)/molecule test -s $*

# Every scenario at once (their hosts mostly wait on each other's start-ups, not on the CPU), each into its own log,
# from a test bed without hosts and back to one; the archives are made once (-o: not again per scenario).
# make test adds the newest ansible-core's run (a Debian 13 host of its own) to these jobs.
TESTBED_JOBS ?= $(TESTBED_SCENARIOS:%=testbed-%)

testbed: testbed-images
	$(TESTBED) down
	rc=0; $(MAKE) --no-print-directory -k -j$(words $(TESTBED_JOBS)) $(TESTBED_JOBS:%=logged-%) \
	  || rc=$$?; $(TESTBED) down; exit $$rc

logged-%:
	@mkdir -p $(TESTBED_WORK)/logs; SECONDS=0; \
	if $(MAKE) --no-print-directory -o testbed-images $* >$(TESTBED_WORK)/logs/$*.log 2>&1; then \
	  echo "$* passed in $$((SECONDS / 60))m$$((SECONDS % 60))s"; \
	else tail -n 200 $(TESTBED_WORK)/logs/$*.log; echo "$* FAILED after $${SECONDS}s: $(TESTBED_WORK)/logs/$*.log"; exit 1; fi

test: lint sanity unit integration molecule versions-floor
	$(MAKE) --no-print-directory testbed TESTBED_JOBS="$(TESTBED_JOBS) versions-newest"

bench: deploy
	command -v jq >/dev/null && command -v curl >/dev/null || apt-get install -y --no-install-recommends jq curl
	$(BIN)/python tools/bench.py
