"""The images role finds each local image's build context in aegis_images_context_dirs (its own files, then a
checkout's standins/). A context's digest is over its content, not where it lies, so a context that moved is not
rebuilt; a wanted image without a context stops the run naming that variable (a collection installed from its
tarball, which leaves standins/ out)."""
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tarfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]
HERE = pathlib.Path(__file__).resolve().parent
BIN = pathlib.Path(sys.executable).parent
WANTED = ["postgres", "jaeger", "runtime"]


def plan(tmp_path, role_path, **case):
    out = tmp_path / ("out-%d" % len(list(tmp_path.glob("out-*"))))
    out.mkdir()
    case = dict({"aegis_image_source": "local", "aegis_images_names": WANTED, "aegis_podman_state": {"images": []}},
                **case)
    (out / "case.json").write_text(json.dumps(case))
    result = subprocess.run([str(BIN / "ansible-playbook"), "-i", "localhost,", "-c", "local", str(HERE / "images_plan.yml"),
                             "-e", "role_path=%s" % role_path, "-e", "out_dir=%s" % out, "-e", "@%s" % (out / "case.json")],
                            cwd=ROOT, capture_output=True, text=True, env=dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg")), check=False)
    assert result.returncode == 0, result.stdout[-3000:]
    done = json.loads((out / "plan.json").read_text())
    return {entry["image"]: entry for entry in done["plan"]}, done["failure"]


@pytest.fixture(scope="module")
def checkout(tmp_path_factory):
    return plan(tmp_path_factory.mktemp("checkout"), ROOT / "roles" / "images")[0]


def test_a_checkout_builds_from_the_roles_files_and_the_top_level_standins(checkout):
    found = {image: pathlib.Path(entry["path"]).resolve() for image, entry in checkout.items()}
    assert found == {"postgres": ROOT / "roles" / "images" / "files" / "containerfiles" / "postgres",
                     "jaeger": ROOT / "standins" / "jaeger", "runtime": ROOT / "standins" / "aegis"}
    assert all(entry["stale"] for entry in checkout.values())  # the host has none of them


def test_an_unchanged_context_is_not_rebuilt_wherever_it_lies(checkout, tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    shutil.copytree(checkout["jaeger"]["path"], first / "jaeger")
    shutil.copytree(checkout["postgres"]["path"], second / "postgres")
    shutil.copytree(checkout["runtime"]["path"], second / "aegis")
    images = [{"Names": [entry["ref"]], "Labels": {"io.aegis.content": entry["digest"]}} for entry in checkout.values()]
    moved, failure = plan(tmp_path, ROOT / "roles" / "images", aegis_images_context_dirs=[str(first), str(second)],
                          aegis_podman_state={"images": images})
    assert failure == ""
    assert {image: (entry["path"], entry["digest"], entry["stale"]) for image, entry in moved.items()} == {
        "postgres": (str(second / "postgres"), checkout["postgres"]["digest"], False),
        "jaeger": (str(first / "jaeger"), checkout["jaeger"]["digest"], False),
        "runtime": (str(second / "aegis"), checkout["runtime"]["digest"], False)}
    (first / "jaeger" / "Containerfile").write_text("# changed\n", encoding="utf-8")
    changed, _output = plan(tmp_path, ROOT / "roles" / "images", aegis_images_context_dirs=[str(first), str(second)],
                            aegis_podman_state={"images": images})
    assert [image for image, entry in changed.items() if entry["stale"]] == ["jaeger"]


def test_from_the_collection_tarball_a_stand_in_has_no_context_and_the_run_says_which_variable(tmp_path):
    result = subprocess.run([str(BIN / "ansible-galaxy"), "collection", "build", "--output-path", str(tmp_path), str(ROOT)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    with tarfile.open(next(tmp_path.glob("aegis-platform-*.tar.gz"))) as archive:
        assert not [name for name in archive.getnames() if name.startswith("standins")]
        archive.extractall(tmp_path / "installed", filter="data")
    entries, failure = plan(tmp_path, tmp_path / "installed" / "roles" / "images", aegis_images_names=["jaeger", "runtime"])
    assert [entry["path"] for entry in entries.values()] == ["", ""]
    assert "No build context for the local images jaeger, runtime (directories jaeger, aegis) in aegis_images_context_dirs" \
        in " ".join(failure.split())
