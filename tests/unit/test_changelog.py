"""The changelog is antsibull-changelog's: fragments lint clean and CHANGELOG.md is what it generates."""
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
TOOL = str(pathlib.Path(sys.executable).parent / "antsibull-changelog")


def run(*args):
    return subprocess.run([TOOL, *args], cwd=ROOT, capture_output=True, text=True, check=False)


def test_fragments_and_history_lint_clean():
    result = run("lint")
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


def test_changelog_md_is_generated(tmp_path):
    result = run("generate", "--output", str(tmp_path / "CHANGELOG.md"), "--output-format", "md")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "CHANGELOG.md").read_text() == (ROOT / "CHANGELOG.md").read_text(), \
        "CHANGELOG.md differs from changelogs/changelog.yaml: run antsibull-changelog generate"
