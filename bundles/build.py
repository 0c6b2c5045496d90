#!/usr/bin/env python3
"""Build bundles/pyiamguard.tar.gz, the OPA bundle of pyiamguard's policies (stdlib only).

    python bundles/build.py                   # rebuild the committed bundle
    python bundles/build.py -o /tmp/b.tar.gz  # build elsewhere
    python bundles/build.py --policies DIR    # from another policies folder (e.g. edited data.json)

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
import gzip
import hashlib
import io
import json
import sys
import tarfile
from pathlib import Path

ROOTS = ["pyiamguard"]
HERE = Path(__file__).resolve().parent
DEFAULT_POLICIES = HERE.parent / "policies"
DEFAULT_OUTPUT = HERE / "pyiamguard.tar.gz"


def bundle_files(policies: Path) -> dict[str, bytes]:
    """Bundle member name (`/pyiamguard/main.rego`, `/data.json`) -> content, tests excluded."""
    files: dict[str, bytes] = {}
    for path in sorted(policies.rglob("*.rego")):
        if path.name.endswith("_test.rego"):
            continue
        files["/" + path.relative_to(policies).as_posix()] = path.read_bytes()
    data = policies / "data.json"
    json.loads(data.read_bytes())  # refuse to ship broken data
    files["/data.json"] = data.read_bytes()
    return dict(sorted(files.items()))


def revision(files: dict[str, bytes]) -> str:
    digest = hashlib.sha256()
    for name, content in sorted(files.items()):
        digest.update(f"{name}\n{len(content)}\n".encode())
        digest.update(content)
    return digest.hexdigest()


def manifest(files: dict[str, bytes]) -> bytes:
    return (json.dumps({"revision": revision(files), "roots": ROOTS}, indent=2, sort_keys=True) + "\n").encode()


def tar_bytes(files: dict[str, bytes]) -> bytes:
    """The uncompressed tar stream: /.manifest first, then the files in name order."""
    members = {"/.manifest": manifest(files), **files}
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, content in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            info.mtime = 0
            info.mode = 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            info.type = tarfile.REGTYPE
            tar.addfile(info, io.BytesIO(content))
    return out.getvalue()


def gzip_bytes(payload: bytes) -> bytes:
    out = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, compresslevel=9, mtime=0) as gz:
        gz.write(payload)
    return out.getvalue()


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
