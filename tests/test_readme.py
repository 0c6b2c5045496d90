"""README.md promises that must stay true: the generated rule table is current."""
from __future__ import annotations

import importlib.util
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _rule_table_module():
    spec = importlib.util.spec_from_file_location("rule_table", REPO / "docs" / "rule_table.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_rule_table_is_current() -> None:
    rule_table = _rule_table_module()
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert rule_table.replace_table(readme, rule_table.table()) == readme, (
        "README.md rule table is stale: run python docs/rule_table.py --write"
    )


def test_readme_holds_the_two_setup_commands() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "python3 -m venv .venv && .venv/bin/pip install -q . && .venv/bin/pyiamguard scan examples/" in readme
    assert "python3 -m venv .venv && .venv/bin/pip install -q -e '.[test]' && .venv/bin/python -m pytest" in readme
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert "python3 -m venv .venv && .venv/bin/pip install -q -e '.[test]' && .venv/bin/python -m pytest" in ci
