"""The OPA bundle of pyiamguard's rules: the built-in policies and, when given, custom rules
with their data, so that OPA, conftest or any OPA SDK evaluate exactly what the scan does.

Deterministic: sorted members, mtime 0, uid/gid 0, no user or group names, mode 0644, ustar
format, gzip header without name or time. The revision is the sha256 over the members in name
order, each fed as `<name>\\n<size>\\n<bytes>`. Standard library only (bundles/build.py runs it
without an install); custom rules are read by the catalogue.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from pathlib import Path
from typing import Any, Mapping

BUILT_IN_ROOT = "pyiamguard"


def bundle_files(policies: Path, custom_modules: tuple[tuple[str, str], ...] = (),
                 custom_data: Mapping[str, Any] | None = None,
                 config: Mapping[str, Any] | None = None) -> dict[str, bytes]:
    """Bundle member name (`/pyiamguard/main.rego`, `/data.json`) -> content, tests excluded.
    `custom_modules`: (package, source) of the custom rules and helpers (and the generated
    module that collects their findings), placed at their package's path; `custom_data`
    becomes `data.pyiamguard.custom`, `config` the rule parameters `data.pyiamguard.config`."""
    files: dict[str, bytes] = {}
    for path in sorted(policies.rglob("*.rego")):
        if path.name.endswith("_test.rego"):
            continue
        files["/" + path.relative_to(policies).as_posix()] = path.read_bytes()
    for package, source in custom_modules:
        base = "/" + package.replace(".", "/") + "/"
        name, n = base + "policy.rego", 1
        while name in files:  # several modules of one package
            n += 1
            name = f"{base}policy_{n}.rego"
        files[name] = source.encode("utf-8")
    data = json.loads((policies / "data.json").read_bytes())  # refuse to ship broken data
    if custom_data is None and config is None:
        files["/data.json"] = (policies / "data.json").read_bytes()
    else:
        data[BUILT_IN_ROOT]["custom"] = dict(custom_data or {})
        data[BUILT_IN_ROOT]["config"] = dict(config or data[BUILT_IN_ROOT]["config"])
        files["/data.json"] = (json.dumps(data, indent=2, sort_keys=True) + "\n").encode()
    return dict(sorted(files.items()))


def roots(files: Mapping[str, bytes]) -> list[str]:
    """The manifest's roots: pyiamguard, and the first segment of every custom package."""
    found = {BUILT_IN_ROOT}
    for name in files:
        if name.endswith(".rego"):
            found.add(name.strip("/").split("/", 1)[0])
    return sorted(found, key=lambda r: (r != BUILT_IN_ROOT, r))


def revision(files: dict[str, bytes]) -> str:
    digest = hashlib.sha256()
    for name, content in sorted(files.items()):
        digest.update(f"{name}\n{len(content)}\n".encode())
        digest.update(content)
    return digest.hexdigest()


def manifest(files: dict[str, bytes]) -> bytes:
    return (json.dumps({"revision": revision(files), "roots": roots(files)}, indent=2, sort_keys=True)
            + "\n").encode()


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


def build(policies: Path, custom_modules: tuple[tuple[str, str], ...] = (),
          custom_data: Mapping[str, Any] | None = None, config: Mapping[str, Any] | None = None) -> bytes:
    """The bundle as bytes."""
    return gzip_bytes(tar_bytes(bundle_files(policies, custom_modules, custom_data, config)))
