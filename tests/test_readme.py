"""README.md promises that must stay true: the generated rule table is current."""
from __future__ import annotations

import importlib.util
import re
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


def _section(readme: str, start: str, end: str) -> str:
    return readme[readme.index(start):readme.index(end)]


def test_the_flag_table_and_usage_name_every_scan_option_and_nothing_else() -> None:
    from pyiamguard.cli import _parser

    _, commands = _parser()
    options = {option for action in commands["scan"]._actions for option in action.option_strings
               if option not in ("-h", "--help")}
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    usage = _section(readme, "## Usage", "### Exit codes")
    cells = re.findall(r"^\| ((?:[^|\\]|\\.)*) \|", usage, flags=re.M)  # the first cell; `\|` is escaped
    table = {flag for cell in cells if cell.startswith("`-") for flag in re.findall(r"`(-{1,2}[a-z-]+)", cell)}
    assert table == options, (sorted(options - table), sorted(table - options))
    synopsis = usage[usage.index("pyiamguard scan PATH"):usage.index("pyiamguard rules")]
    long_options = {o for o in options if o.startswith("--")}
    assert {o for o in re.findall(r"(--[a-z-]+)", synopsis)} == long_options


def test_the_configuration_table_names_every_key() -> None:
    from pyiamguard.config import KEYS

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = _section(readme, "## Configuration", "## Library API")
    assert re.findall(r"^\| `([a-z_]+)` \|", section, flags=re.M) == list(
        ["own_accounts", "trusted_accounts", "internal_accounts", "trusted_org_ids", "max_session_seconds",
         "require_mfa", "require_permissions_boundary", "allowed_permissions_boundaries", "approved_oidc_subjects",
         "gitlab_hosts", "severity_overrides", "disabled_rules", "fail_on", "fail_on_new", "waivers", "allow_empty", "skip_paths",
         "policy_dirs", "policy_data"])
    assert sorted(re.findall(r"^\| `([a-z_]+)` \|", section, flags=re.M)) == sorted(KEYS)


def test_help_and_readme_agree_on_defaults() -> None:
    from pyiamguard.cli import _parser

    _, commands = _parser()
    text = " ".join(commands["scan"].format_help().split())
    assert "(default: fail_on of the configuration file, else low)" in text
    assert "(default: .pyiamguard.yaml or .pyiamguard.yml in the working directory)" in text
    assert "detailed up to 20 findings, compact above" in text
    from pyiamguard.reporters.text import COMPACT_ABOVE

    readme = " ".join((REPO / "README.md").read_text(encoding="utf-8").split())
    assert f"detailed up to {COMPACT_ABOVE} findings, compact above" in readme
    assert "default: `fail_on` of the configuration file, else `low`" in readme


def test_relative_links_in_the_documentation_stay_in_the_repository_and_resolve() -> None:
    documents = [REPO / "README.md", *REPO.glob("*/README.md"), *(REPO / "docs").glob("*.md")]
    assert REPO / "bundles" / "README.md" in documents
    for document in documents:
        text = document.read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if target.startswith(("http://", "https://", "mailto:", "#")):
                continue
            path = (document.parent / target.split("#", 1)[0]).resolve()
            assert path.is_relative_to(REPO), f"{document.name} links out of the repository: {target}"
            assert path.exists(), f"{document.name} links to a missing file: {target}"
        if document != REPO / "README.md":  # only the README's developer notes may mention the team folder
            assert "../shared" not in text, f"{document.relative_to(REPO)} points users out of the repository"
