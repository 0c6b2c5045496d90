"""Regenerate docs/images/trust-graph.svg, the README's trust graph of the shipped examples.

    python docs/render_graph.py          # run `pyiamguard graph examples/ --format dot`, draw it with dot
    python docs/render_graph.py --dot    # print the DOT input only (no Graphviz needed)

The image is the project's own output: the DOT text comes from the command line, run from the
repository root so the graph names the examples by their relative paths, and Graphviz's `dot`
(apt-get install graphviz, brew install graphviz) draws it.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IMAGE = ROOT / "docs" / "images" / "trust-graph.svg"
COMMAND = ("graph", "examples/", "--format", "dot")


def dot_source() -> str:
    """The DOT text of `pyiamguard graph examples/ --format dot`, run from the repository root
    with this checkout's package and no configuration file but the examples' defaults."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    done = subprocess.run([sys.executable, "-m", "pyiamguard", *COMMAND], cwd=ROOT, env=env, capture_output=True,
                          text=True, encoding="utf-8", timeout=600)
    if done.returncode != 0:
        raise SystemExit(f"pyiamguard {' '.join(COMMAND)} exited {done.returncode}: {done.stderr.strip()}")
    return done.stdout


def render(dot: str) -> str:
    program = shutil.which("dot")
    if program is None:
        raise SystemExit("Graphviz's dot is not on PATH (apt-get install graphviz, brew install graphviz)")
    done = subprocess.run([program, "-Tsvg"], input=dot, capture_output=True, text=True, encoding="utf-8", timeout=600)
    if done.returncode != 0:
        raise SystemExit(f"dot failed: {done.stderr.strip()}")
    return done.stdout


def main(argv: list[str]) -> int:
    dot = dot_source()
    if argv == ["--dot"]:
        sys.stdout.write(dot)
        return 0
    if argv:
        raise SystemExit(__doc__)
    IMAGE.parent.mkdir(parents=True, exist_ok=True)
    IMAGE.write_text(render(dot), encoding="utf-8", newline="\n")
    print(f"wrote {IMAGE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
