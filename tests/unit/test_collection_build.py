"""The collection tarball and the execution environment built around it.

The tarball is what `ansible-galaxy collection build` makes from a clean clone; the EE context is what
`ansible-builder create` makes from docs/execution-environment.yml (no registry needed for the context), and its
own introspection step says which requirements the image build would install for this collection.
"""
import pathlib
import re
import shutil
import subprocess
import sys
import tarfile

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
BIN = pathlib.Path(sys.executable).parent
GALAXY = yaml.safe_load((ROOT / "galaxy.yml").read_text())
TARBALL = f"aegis-platform-{GALAXY['version']}.tar.gz"


def run(*args, cwd=None):
    result = subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def clean_clone(tmp_path_factory):
    """A clone of the committed tree plus the working tree's changes, with a backup's dump beside it."""
    clone = tmp_path_factory.mktemp("clone") / "platform"
    files = run("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=ROOT).split("\0")
    for name in filter(None, files):
        source = ROOT / name
        if source.is_file():
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, clone / name)
    # What `backup.yml` leaves in a checkout (git-ignored, so a real checkout may hold one).
    (clone / "backups" / "2026-12-01").mkdir(parents=True)
    (clone / "backups" / "2026-12-01" / "database.sql").write_text("-- dump\n")
    return clone


@pytest.fixture(scope="module")
def tarball(clean_clone, tmp_path_factory):
    out = tmp_path_factory.mktemp("build")
    run(str(BIN / "ansible-galaxy"), "collection", "build", "--output-path", str(out), cwd=clean_clone)
    return out / TARBALL


@pytest.fixture(scope="module")
def tarball_names(tarball):
    with tarfile.open(tarball) as archive:
        return {name.split("/")[0] for name in archive.getnames()}, set(archive.getnames())


@pytest.mark.parametrize("shipped", ["LICENSE", "README.md", "CHANGELOG.md", "meta/runtime.yml",
                                     "meta/execution-environment.yml", "meta/ee-requirements.txt", "bindep.txt",
                                     "changelogs/changelog.yaml", "plugins/filter/pods.py",
                                     "plugins/filter/pod_endpoints.yml", "roles/core/meta/argument_specs.yml",
                                     "playbooks/site.yml", "docs/execution-environment.yml"])
def test_tarball_ships(tarball_names, shipped):
    assert shipped in tarball_names[1]


@pytest.mark.parametrize("development", ["molecule", "tests", "standins", ".config", "tools", ".ci", "backups", "Makefile", "ansible.cfg",
                                         "requirements.txt", ".ansible-lint", ".gitignore", ".venv", ".collections"])
def test_tarball_leaves_out_development_files(tarball_names, development):
    assert development not in tarball_names[0]


# A module key, a filter, a quoted plugin name or a Python import (not prose such as "containers.conf.d").
FQCN = re.compile(r"""(?:^\s*(?:- )?|\|\s*|['"]|ansible_collections\.)(community|containers|ansible)\.(\w+)\.\w+""",
                  re.MULTILINE)


def test_galaxy_declares_what_roles_and_plugins_call():
    used = set()
    for folder in ("roles", "playbooks", "plugins"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix in (".yml", ".py", ".j2") and path.is_file():
                used |= {f"{namespace}.{name}" for namespace, name in FQCN.findall(path.read_text())}
    # ansible-core's own namespaces are not collections to install.
    assert used - {"ansible.builtin", "ansible.module_utils", "ansible.plugins"} == set(GALAXY["dependencies"])


@pytest.fixture(scope="module")
def ee_context(tarball, tmp_path_factory):
    work = tmp_path_factory.mktemp("ee")
    shutil.copy2(ROOT / "docs" / "execution-environment.yml", work)
    shutil.copy2(tarball, work)
    # The file name is given: its default follows the container runtime found on the machine.
    run(str(BIN / "ansible-builder"), "create", "--file", "execution-environment.yml", "--context", "context",
        "--output-filename", "Containerfile", cwd=work)
    return work / "context"


def test_ee_context_installs_the_tarball(ee_context):
    containerfile = (ee_context / "Containerfile").read_text()
    assert "ansible-galaxy collection install" in containerfile
    assert "introspect.py introspect" in containerfile
    requirements = yaml.safe_load((ee_context / "_build" / "requirements.yml").read_text())
    wanted = requirements["collections"][0]["name"]
    assert (ee_context / "_build" / wanted).is_file(), f"{wanted} is not in the build context"


def test_ee_introspection_finds_the_controller_requirements(ee_context, tarball, tmp_path):
    """The image build's own introspection step, run on the tarball installed as the galaxy stage would."""
    run(str(BIN / "ansible-galaxy"), "collection", "install", "--no-deps", "--force", "-p", str(tmp_path), str(tarball))
    pip, bindep = tmp_path / "pip.txt", tmp_path / "bindep.txt"
    run(sys.executable, str(ee_context / "_build" / "scripts" / "introspect.py"), "introspect",
        "--write-pip", str(pip), "--write-bindep", str(bindep), str(tmp_path))
    assert "cryptography>=3.3  # from collection aegis.platform" in pip.read_text().splitlines()
    assert "openssh-client [platform:dpkg]  # from collection aegis.platform" in bindep.read_text().splitlines()
