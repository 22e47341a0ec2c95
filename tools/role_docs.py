#!/usr/bin/env python
"""Render each role's variables from meta/argument_specs.yml into its README (between markers).

`python tools/role_docs.py` rewrites the tables; `--check` fails when a README is out of date (the unit tests run
it), so the docs and the validated spec never disagree. Ansible's documentation markup (C(), O(), V(), I(), B(),
U(), L(), M(), P(), E(), RV()) becomes Markdown; suboptions are rows of their own (`parent.option`); entry points
other than `main` are named, and their variables listed where they differ from `main`'s.
"""
import pathlib
import re
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
BEGIN, END = "<!-- BEGIN VARIABLES (tools/role_docs.py) -->", "<!-- END VARIABLES -->"

# The same patterns ansible-doc uses for its own rendering (ansible.cli.doc), to Markdown.
MARKUP = [
    (re.compile(r"\bL\(([^)]+), *([^)]+)\)"), r"[\1](\2)"),
    (re.compile(r"\bU\(([^)]+)\)"), r"<\1>"),
    (re.compile(r"\bI\(([^)]+)\)"), r"*\1*"),
    (re.compile(r"\bB\(([^)]+)\)"), r"**\1**"),
    (re.compile(r"\bP\(([^#)]+)#[a-z]+\)"), r"`\1`"),
    (re.compile(r"\b(?:O|RV)\([^#)]+#[a-z]+:(?:[^:)]+:)?([^)]+)\)"), r"`\1`"),  # another plugin's or role's option
    (re.compile(r"\b(?:C|O|V|E|RV|M)\(([^)]+)\)"), r"`\1`"),
]


def markdown(text) -> str:
    """One line of Markdown from a description (string or list of paragraphs), with table pipes escaped."""
    text = " ".join(text) if isinstance(text, list) else str(text or "")
    for pattern, replacement in MARKUP:
        text = pattern.sub(replacement, text)
    return text.replace("|", "\\|")


def kind(option: dict) -> str:
    name = option.get("type", "str")
    if name == "list" and option.get("elements"):
        name = "list of %s" % option["elements"]
    if option.get("choices"):
        name += " (%s)" % ", ".join("`%s`" % choice for choice in option["choices"])
    return name


def default(option: dict) -> str:
    if "default" not in option or option["default"] == "":
        return ""
    text = yaml.safe_dump(option["default"], default_flow_style=True).strip().removesuffix("...").strip()
    return "`%s`" % text.replace("|", "\\|")


def rows(options: dict, parent: str = "") -> list:
    lines = []
    for name, option in options.items():
        path = parent + name
        required = "yes" if option.get("required") else ""
        cells = (path, kind(option), required, default(option), markdown(option.get("description")))
        lines.append("| `%s` | %s | %s | %s | %s |" % cells)
        lines.extend(rows(option.get("options") or {}, path + "."))
    return lines


def variables(role: pathlib.Path) -> str:
    specs = yaml.safe_load((role / "meta" / "argument_specs.yml").read_text())["argument_specs"]
    main = specs["main"]
    parts = [BEGIN, "| variable | type | required | default | description |", "|---|---|---|---|---|"]
    parts += rows(main.get("options") or {})
    for entry, spec in specs.items():
        if entry == "main":
            continue
        same = (spec.get("options") or {}) == (main.get("options") or {})
        takes = "the same variables." if same else "these variables:"
        parts += ["", "Entry point `%s` (`tasks_from: %s`) takes %s" % (entry, entry, takes)]
        if not same:
            parts += ["", "| variable | type | required | default | description |", "|---|---|---|---|---|"]
            parts += rows(spec.get("options") or {})
    return "\n".join(parts + [END])


def render(readme: str, new_table: str) -> str:
    if BEGIN in readme:
        head, rest = readme.split(BEGIN, 1)
        return head + new_table + rest.split(END, 1)[1]
    return readme.rstrip("\n") + "\n\n## Variables\n\n" + new_table + "\n"


def main() -> int:
    stale = []
    for role in sorted((ROOT / "roles").iterdir()):
        if not (role / "meta" / "argument_specs.yml").exists():
            stale.append("%s (no meta/argument_specs.yml)" % role.name)
            continue
        readme = role / "README.md"
        current = readme.read_text() if readme.exists() else "# %s\n" % role.name
        wanted = render(current, variables(role))
        if wanted != current:
            stale.append(str(readme.relative_to(ROOT)))
            if "--check" not in sys.argv:
                readme.write_text(wanted)
    if stale and ("--check" in sys.argv or any("argument_specs" in item for item in stale)):
        print("out of date (run python tools/role_docs.py):", ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
