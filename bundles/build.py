#!/usr/bin/env python3
"""Build bundles/pyiamguard.tar.gz, the OPA bundle of pyiamguard's policies (stdlib only).

    python bundles/build.py                   # rebuild the committed bundle
    python bundles/build.py -o /tmp/b.tar.gz  # build elsewhere
    python bundles/build.py --policies DIR    # from another policies folder (e.g. edited data.json)

Custom rules go into a bundle with `pyiamguard bundle --policy DIR -o FILE` (README).

The bundle holds every non-test `.rego` under `policies/` at its path relative to `policies/`,
`policies/data.json` as `/data.json`, and `/.manifest` = {"revision": <sha256>, "roots":
["pyiamguard"]}. The revision is the sha256 over the members in name order, each fed as
`<name>\\n<size>\\n<bytes>`, so it changes exactly when a policy or the data changes.

The archive is deterministic: sorted members, mtime 0, uid/gid 0, no user or group names,
mode 0644, ustar format, gzip header without name or time. tests/test_bundle.py rebuilds it
and fails when the committed file is stale.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # pyiamguard/bundle.py of this checkout, installed or not

from pyiamguard.bundle import bundle_files, gzip_bytes, manifest, revision, tar_bytes  # noqa: E402

ROOTS = ["pyiamguard"]
DEFAULT_POLICIES = HERE.parent / "policies"
DEFAULT_OUTPUT = HERE / "pyiamguard.tar.gz"

__all__ = ["bundle_files", "gzip_bytes", "manifest", "revision", "tar_bytes", "build", "main", "ROOTS"]


def build(policies: Path = DEFAULT_POLICIES) -> bytes:
    """The bundle as bytes."""
    return gzip_bytes(tar_bytes(bundle_files(policies)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the pyiamguard OPA bundle.")
    parser.add_argument("--policies", type=Path, default=DEFAULT_POLICIES, help="policies folder (default: %(default)s)")
    parser.add_argument("-o", "--output", type=Path, default=DEFAULT_OUTPUT, help="bundle file (default: %(default)s)")
    args = parser.parse_args(argv)
    content = build(args.policies)
    if args.output.exists() and args.output.read_bytes() == content:
        print(f"{args.output}: up to date")
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_bytes(content)
    print(f"{args.output}: written ({len(content)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
