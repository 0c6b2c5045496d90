#!/usr/bin/env python3
"""Benchmark: the full pyiamguard CLI on generated inputs.

For each input kind (raw IAM documents: a list of trust policies in one JSON file; Terraform
plans from bench/gen_tfplan.py; CloudFormation templates from bench/gen_cfn.py) and size, it writes a realistic mix of clean and risky roles,
runs `pyiamguard scan --format json` in a fresh process, and prints wall time, roles per
second, peak memory of that process, and the ratio to a floor measured in the same run: a
process that only `json.load`s the same file. Also the CLI start-up with nothing to scan.

Usage: python bench/run.py [--sizes 100,1000,10000] [--kinds iam,terraform,cloudformation,dump,files] [--unique]
       [--jobs auto,1]   (each input with each --jobs value; auto is the CLI's default)
       [--estate repeating|distinct|shapes]
(--estate distinct: bench/gen_estate.py's estates, where every role has its own name, accounts and
ExternalId; shapes: the same generator drawing from 36 variants, a few dozen shapes; repeating,
the default: the generators below, a few documents repeated. files: a directory of one small
trust policy per file, distinct or shaped only.)
(terraform-update, distinct or shapes only: the plan of a change to an estate that exists, every
role in the prior state and one in twenty given a new foreign account: the change-aware scan
compares each role with its previous version)
(dump: an account authorization dump whose roles assume each other, from bench/gen_dump.py:
the cross-document assume graph of IAMG-501 at scale)
(--unique makes every IAM document distinct, defeating the engine's memo of identical ones).
       [--baseline DIR]  (also runs the pyiamguard of another checkout, e.g. a `git worktree` of an
                          older commit, on the same inputs in the same run: a column of ratios)
       [--checkov auto|PATH]  (also runs checkov on the same Terraform plans, where it is installed)
       [--prove]  (also runs `pyiamguard prove --format json` on each input, needs z3: the SMT
                   proofs of every role, as a ratio to the scan of the same input in the same run)
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gen_cfn import template as cloudformation_template  # noqa: E402  (sibling scripts)
from gen_dump import dump as account_dump  # noqa: E402
import gen_estate  # noqa: E402
from gen_tfplan import plan as terraform_plan  # noqa: E402

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


def iam_documents(count: int, unique: bool, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    docs = []
    for i in range(count):
        acct = f"{rng.randrange(10**11, 10**12):012d}" if unique else "444455556666"
        template = TEMPLATES[rng.randrange(len(TEMPLATES))]
        docs.append({"Version": "2012-10-17", "Statement": [template(i if unique else 0, acct)]})
    return docs


def _generator(kind: str, args: argparse.Namespace) -> Any:
    if args.estate != "repeating":
        shapes = 36 if args.estate == "shapes" else None
        estate = {"iam": gen_estate.iam_documents, "terraform": gen_estate.terraform_plan,
                  "terraform-update": gen_estate.terraform_update_plan,
                  "cloudformation": gen_estate.cloudformation_template}
        if kind in estate:
            return lambda n: estate[kind](n, shapes)
    return {"iam": lambda n: iam_documents(n, args.unique), "terraform": terraform_plan,
            "cloudformation": cloudformation_template, "dump": account_dump}[kind]


def measure(command: list[str], env: dict[str, str] | None = None) -> tuple[float, int]:
    """Wall seconds and peak RSS (MiB) of one child process (its children not included)."""
    started = time.perf_counter()
    # From a neutral folder: `python -m` puts the working folder first on sys.path, which would
    # shadow the baseline's PYTHONPATH with this checkout.
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
                            cwd=tempfile.gettempdir())
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        raise SystemExit(f"{' '.join(command)} exited {code}: {proc.stderr.read().decode()[-500:] if proc.stderr else ''}")
    return wall, usage.ru_maxrss // 1024


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100,1000,10000")
    ap.add_argument("--kinds", default="iam,terraform,cloudformation,dump")
    ap.add_argument("--unique", action="store_true")
    ap.add_argument("--estate", choices=("repeating", "distinct", "shapes"), default="repeating")
    ap.add_argument("--jobs", default="auto",
                    help="comma-separated --jobs values to run each input with (auto: the CLI's default)")
    ap.add_argument("--baseline", type=Path, help="a checkout of another pyiamguard commit to run beside this one")
    ap.add_argument("--checkov", help="auto (checkov on PATH) or the checkov executable: run on the Terraform plans")
    ap.add_argument("--prove", action="store_true", help="also time `pyiamguard prove` on each input (needs z3)")
    args = ap.parse_args()
    cli = [sys.executable, "-m", "pyiamguard"]
    base_env = None if args.baseline is None else {**os.environ, "PYTHONPATH": str(args.baseline.resolve())}
    checkov = shutil.which("checkov") if args.checkov == "auto" else args.checkov
    rows = []
    extra: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        startup, _ = measure(cli + ["--version"])
        empty = Path(tmp) / "empty"
        empty.mkdir()
        nothing, _ = measure(cli + ["scan", "--allow-empty", str(empty)])
        for kind in args.kinds.split(","):
            for size in (int(s) for s in args.sizes.split(",")):
                path = Path(tmp) / f"{kind}-{size}.json"
                if kind == "files":
                    path = Path(tmp) / f"files-{size}"
                    gen_estate.policy_files(size, path, 36 if args.estate == "shapes" else None)
                    floor, _ = measure([sys.executable, "-c", "import json, pathlib; [json.load(open(p)) for p in "
                                        f"sorted(pathlib.Path({str(path)!r}).iterdir())]"])
                else:
                    data = _generator(kind, args)(size)
                    # Plans compact, as `terraform show -json` writes them (a 100,000-role plan
                    # indented would pass the 128 MiB input limit); the rest indented.
                    path.write_text(json.dumps(data) if kind.startswith("terraform") else json.dumps(data, indent=2))
                    floor, _ = measure([sys.executable, "-c", f"import json; json.load(open({str(path)!r}))"])
                for jobs in args.jobs.split(","):
                    flags = [] if jobs == "auto" else ["--jobs", jobs]
                    wall, peak = measure(cli + ["scan", "--format", "json", *flags, str(path)])
                    rows.append((kind if jobs == "auto" else f"{kind} -j{jobs}", size, wall, size / wall, peak,
                                 wall / floor))
                    if base_env is not None:
                        base, base_peak = measure(cli + ["scan", "--format", "json", *flags, str(path)], base_env)
                        extra.append(f"{rows[-1][0]} {size}: this {wall:.2f} s, baseline {base:.2f} s "
                                     f"({base_peak} MiB), ratio this/baseline {wall / base:.3f}")
                if args.prove:
                    scanned = rows[-1][2]
                    wall, peak = measure(cli + ["prove", "--format", "json", str(path)])
                    extra.append(f"prove {kind} {size}: {wall:.2f} s, {size / wall:.0f} roles/s, {peak} MiB; "
                                 f"ratio prove/scan {wall / scanned:.1f}")
                    if base_env is not None:
                        base, _ = measure(cli + ["prove", "--format", "json", str(path)], base_env)
                        extra.append(f"prove {kind} {size}: this {wall:.2f} s, baseline {base:.2f} s, "
                                     f"ratio this/baseline {wall / base:.3f}")
                if checkov and kind == "terraform":
                    wall, peak = measure([checkov, "-f", str(path), "--framework", "terraform_plan", "-o", "json",
                                          "--quiet", "--compact", "--skip-download"])
                    ours = next(r[2] for r in rows if r[1] == size and r[0].startswith("terraform"))
                    extra.append(f"checkov terraform {size}: {wall:.2f} s, {peak} MiB; "
                                 f"checkov/pyiamguard {wall / ours:.1f}")
    estate = {"repeating": "unique" if args.unique else "repeating (a few documents verbatim)",
              "distinct": "distinct estate (own names, accounts, ExternalIds)",
              "shapes": "estate of 36 shapes"}[args.estate]
    print(f"CLI start-up: --version {startup * 1000:.0f} ms, scan of an empty folder {nothing * 1000:.0f} ms; "
          f"inputs: {estate}")
    print(f"{'kind':>18} | {'roles':>6} | {'wall s':>7} | {'roles/s':>8} | {'peak MiB':>8} | {'x json.load':>11}")
    for kind, size, wall, rate, peak, ratio in rows:
        print(f"{kind:>18} | {size:>6} | {wall:>7.2f} | {rate:>8.0f} | {peak:>8} | {ratio:>11.1f}")
    for line in extra:
        print(line)
    by = {(k, s): w for k, s, w, *_ in rows}
    for kind in args.kinds.split(","):
        if (kind, 1000) in by and (kind, 10000) in by:
            print(f"{kind}: 10,000-role time / 1,000-role time = {by[(kind, 10000)] / by[(kind, 1000)]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
