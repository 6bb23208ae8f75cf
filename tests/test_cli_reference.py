"""The command-line reference (docs/cli.md) is generated from the commands and kept current."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _reference_module():
    spec = importlib.util.spec_from_file_location("cli_reference", ROOT / "scripts" / "cli_reference.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return mod


def test_every_command_and_option_is_documented():
    ref = _reference_module().reference()
    doc = (ROOT / "docs" / "cli.md").read_text("utf-8")
    assert doc == ref, "docs/cli.md is out of date: run python scripts/cli_reference.py"
    for command in ("index", "search", "ask", "towns", "compare", "eval", "parse"):
        assert f"## govsearch {command}" in doc


def test_readme_points_to_the_reference_and_names_every_command():
    readme = (ROOT / "README.md").read_text("utf-8")
    assert "docs/cli.md" in readme
    for command in ("index", "search", "ask", "towns", "compare", "eval", "parse"):
        assert f"govsearch {command}" in readme
