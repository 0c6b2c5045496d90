#!/usr/bin/env python3
"""Benchmark: the full pyiamguard CLI on generated IAM trust-document sets.

For each size it writes a realistic mix of clean and risky trust policies (a list of documents
in one JSON file, as `get-account-authorization-details`-style dumps are), runs
`pyiamguard scan --format json` in a fresh process, and prints wall time, roles per second,
peak memory, and the ratio to a floor measured in the same run: a process that only
`json.load`s the same file. Usage: python bench/run.py [--sizes 100,1000] [--unique]
(--unique makes every document distinct, defeating the engine's memo of identical documents).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TEMPLATES = [
    lambda i, acct: {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"},
    lambda i, acct: {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{acct}:root"}, "Action": "sts:AssumeRole",
                     "Condition": {"StringEquals": {"sts:ExternalId": f"ext-{i % 97}"}}},
    lambda i, acct: {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{acct}:role/ci-{i % 13}"}, "Action": "sts:AssumeRole"},
    lambda i, acct: {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole",
                     "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}},
    lambda i, acct: {"Effect": "Allow", "Principal": {"Federated": f"arn:aws:iam::{acct}:oidc-provider/token.actions.githubusercontent.com"},
                     "Action": "sts:AssumeRoleWithWebIdentity",
                     "Condition": {"StringLike": {"token.actions.githubusercontent.com:sub": f"repo:org/repo-{i % 29}:*"}}},
    lambda i, acct: {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"},
]


def generate(count: int, unique: bool, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    docs = []
    for i in range(count):
        acct = f"{rng.randrange(10**11, 10**12):012d}" if unique else "444455556666"
        template = TEMPLATES[rng.randrange(len(TEMPLATES))]
        statement = template(i if unique else 0, acct)
        docs.append({"Version": "2012-10-17", "Statement": [statement]})
    return docs


def run(command: list[str]) -> tuple[float, int, int]:
    """Wall seconds, peak RSS in MiB and exit code of a child process."""
    started = time.perf_counter()
    proc = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} failed ({proc.returncode}): {proc.stderr[-500:]}")
    return wall, peak, proc.returncode


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100,1000")
    ap.add_argument("--unique", action="store_true")
    args = ap.parse_args()
    cli = [sys.executable, "-m", "pyiamguard"]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        startup, _, _ = run(cli + ["--version"])
        for size in (int(s) for s in args.sizes.split(",")):
            path = Path(tmp) / f"roles-{size}.json"
            path.write_text(json.dumps(generate(size, args.unique), indent=2))
            floor, _, _ = run([sys.executable, "-c", f"import json; json.load(open({str(path)!r}))"])
            wall, peak, _ = run(cli + ["scan", "--format", "json", str(path)])
            rows.append((size, wall, size / wall, peak, wall / floor))
    print(f"CLI start-up (--version): {startup * 1000:.0f} ms; documents {'unique' if args.unique else 'repeating (realistic)'}")
    print(f"{'roles':>7} | {'wall s':>7} | {'roles/s':>8} | {'peak MiB':>8} | {'x json.load floor':>17}")
    for size, wall, rate, peak, ratio in rows:
        print(f"{size:>7} | {wall:>7.2f} | {rate:>8.0f} | {peak:>8} | {ratio:>17.1f}")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
