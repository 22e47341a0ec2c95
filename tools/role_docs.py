#!/usr/bin/env python
"""Render each role's variable table from meta/argument_specs.yml into its README (between markers).

`tools/role_docs.py` rewrites the tables; `tools/role_docs.py --check` fails when a README is out of date
(the unit tests run it), so the docs and the validated spec never disagree.
"""
import pathlib
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
BEGIN, END = "<!-- BEGIN VARIABLES (tools/role_docs.py) -->", "<!-- END VARIABLES -->"


def table(role: pathlib.Path) -> str:
    spec = yaml.safe_load((role / "meta" / "argument_specs.yml").read_text())["argument_specs"]["main"]
    rows = ["| variable | type | default | description |", "|---|---|---|---|"]
    for name, option in spec.get("options", {}).items():
        kind = option.get("type", "str")
        if kind == "list" and option.get("elements"):
            kind = "list of %s" % option["elements"]
        if option.get("choices"):
            kind += " (%s)" % ", ".join(str(c) for c in option["choices"])
        default = option.get("default", "")
        default = "`%s`" % yaml.safe_dump(default, default_flow_style=True).strip().removesuffix("...").strip() if default != "" else ""
        description = option.get("description", "")
        description = " ".join(description) if isinstance(description, list) else description
        rows.append("| `%s` | %s | %s | %s |" % (name, kind, default.replace("|", "\\|"), description.replace("|", "\\|")))
    return "\n".join([BEGIN] + rows + [END])


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
        wanted = render(current, table(role))
        if wanted != current:
            stale.append(str(readme.relative_to(ROOT)))
            if "--check" not in sys.argv:
                readme.write_text(wanted)
    if stale and ("--check" in sys.argv or any("argument_specs" in item for item in stale)):
        print("out of date (run tools/role_docs.py):", ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
