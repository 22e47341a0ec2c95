"""Every filter the collection exports has documentation that ansible-doc renders, naming its arguments; every
module states its attributes and its examples show only public names."""
import importlib
import inspect
import json
import os
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[3]


def exported_filters():
    filters = {}
    for path in sorted((ROOT / "plugins" / "filter").glob("*.py")):
        module = importlib.import_module("ansible_collections.aegis.platform.plugins.filter." + path.stem)
        filters.update(module.FilterModule().filters())
    return filters


def test_every_filter_renders_with_its_arguments():
    filters = exported_filters()
    names = ["aegis.platform." + name for name in sorted(filters)]
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"))
    result = subprocess.run([str(pathlib.Path(sys.executable).parent / "ansible-doc"), "-t", "filter", "--json", *names],
                            capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    assert result.returncode == 0, result.stderr
    docs = json.loads(result.stdout)
    for name, function in filters.items():
        doc = docs["aegis.platform." + name]["doc"]
        assert doc["name"] == name
        arguments = list(inspect.signature(function).parameters)
        assert set(doc["options"]) == {"_input", *arguments[1:]}, name
        assert [word.strip() for word in doc.get("positional", "").split(",") if word.strip()] == arguments[1:], name
        assert docs["aegis.platform." + name]["examples"], name


def test_modules_state_their_attributes_and_show_only_public_names():
    from ansible.utils.plugin_docs import read_docstring
    for path in sorted((ROOT / "plugins" / "modules").glob("*.py")):
        docs = read_docstring(str(path))
        assert "aegis.platform.attributes" in docs["doc"]["extends_documentation_fragment"], path.name
        assert set(docs["doc"]["attributes"]) >= {"check_mode", "diff_mode"}, path.name
        assert not re.search(r"(?<![\w.])__[a-z]", docs["plainexamples"]), path.name + ": a private name in the examples"
