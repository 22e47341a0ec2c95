"""The README's ports table lists every port variable with its default, and nothing else."""
import pathlib
import re

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent


def test_readme_ports_table_matches_the_port_defaults():
    ports = yaml.safe_load((ROOT / "roles/common/defaults/main/ports.yml").read_text())
    rows = re.findall(r"(?m)^\| [a-z-]+ \| (\d+) \| `(aegis_\w+_port)` \|", (ROOT / "README.md").read_text())
    assert {name: int(value) for value, name in rows} == ports
    assert len(rows) == len(ports)
