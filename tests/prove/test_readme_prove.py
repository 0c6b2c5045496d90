"""The README's console examples of the SMT model print what the commands print (timings aside)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from pyiamguard.cli import main

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text(encoding="utf-8")
# Every console example whose command uses the model: `prove`, or a `--prove` flag.
EXAMPLES = [(block.splitlines()[0][2:], block.splitlines()[1:])
            for block in re.findall(r"```console\n(.*?)\n```", README, flags=re.S)
            if block.startswith("$ pyiamguard ") and re.search(r"^\$ pyiamguard (prove |.* --prove\b)", block)]


def _untimed(lines: list[str]) -> list[str]:
    """Timings aside; and of a request that gets in, its verdict and the statement that lets it
    (the solver may pick other names and values on another machine)."""
    out = []
    for line in lines:
        line = re.sub(r"  \[[0-9.]+ s\]$", "", line)
        out.append(re.sub(r"(REFUTED: |gets in with: )principal .*(: ALLOW by )", r"\1...\2", line))
    return out


def test_the_readme_has_the_model_examples() -> None:
    assert [command.split()[1] for command, _ in EXAMPLES] == ["prove", "prove", "simulate"]


@pytest.mark.parametrize("command, printed", EXAMPLES, ids=[c for c, _ in EXAMPLES])
def test_a_readme_example_prints_what_it_shows(command: str, printed: list[str], capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    main(command.split()[1:])
    assert _untimed(capsys.readouterr().out.rstrip("\n").splitlines()) == _untimed(printed)
