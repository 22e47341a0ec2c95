"""The ansible-core range the collection claims is the one it tests: meta/runtime.yml, the roles' galaxy_info,
the vendored collections, the versions make versions tests, and the README agree."""
import pathlib
import re

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
COLLECTIONS = ROOT / ".collections" / "ansible_collections"


def as_tuple(version):
    return tuple(int(part) for part in version.split("."))


def floor_of(requires):
    """'>=2.16.0' -> (2, 16): the only form the collections here use."""
    match = re.fullmatch(r"\s*>=\s*([0-9]+(?:\.[0-9]+)*)\s*", requires)
    assert match, requires
    return as_tuple(match.group(1))[:2]


def makefile_version(name):
    return re.search(r"(?m)^%s := (\S+)$" % name, (ROOT / "Makefile").read_text()).group(1)


def claimed_floor():
    return floor_of(yaml.safe_load((ROOT / "meta" / "runtime.yml").read_text())["requires_ansible"])


def test_the_tested_floor_is_the_claimed_floor():
    assert as_tuple(makefile_version("CORE_FLOOR"))[:2] == claimed_floor()
    assert as_tuple(makefile_version("CORE_NEWEST")) > as_tuple(makefile_version("CORE_FLOOR"))


def test_every_role_names_the_same_floor():
    floors = {path.parts[-3]: yaml.safe_load(path.read_text())["galaxy_info"]["min_ansible_version"]
              for path in (ROOT / "roles").glob("*/meta/main.yml")}
    assert len(floors) >= 12 and {as_tuple(str(v)) for v in floors.values()} == {claimed_floor()}, floors


def test_every_vendored_collection_supports_the_floor():
    runtimes = [path for path in COLLECTIONS.glob("*/*/meta/runtime.yml") if path.parts[-4] != "aegis"]
    assert len(runtimes) == 3, runtimes
    for path in runtimes:
        assert floor_of(yaml.safe_load(path.read_text())["requires_ansible"]) <= claimed_floor(), path


def test_the_readme_names_the_tested_versions():
    readme = (ROOT / "README.md").read_text()
    assert "ansible-core %s" % makefile_version("CORE_FLOOR") in readme
    assert "%s on Python" % makefile_version("CORE_NEWEST") in readme
