#!/usr/bin/env python3
"""Generate estates that look like real ones: every role has its own name and path, trusts
accounts of its own (random 12-digit ids), carries its own ExternalId and CI role name, and
falls into one of six trust shapes in rotation; AdministratorAccess on every seventh role.
Repeating documents verbatim only measures the engine's memo; these do not repeat.

    python bench/gen_estate.py terraform 10000 OUT.json
    python bench/gen_estate.py terraform-update 10000 OUT.json   # a change to an existing estate
    python bench/gen_estate.py cloudformation 10000 OUT.json
    python bench/gen_estate.py iam 10000 OUT.json      # one JSON list of trust policies
    python bench/gen_estate.py files 10000 OUT_DIR      # one small trust policy per file

`shapes=N` (the functions' argument) draws the variable parts from N values only: an estate
of a few dozen shapes, for the memo's best case on the same generator.
"""
from __future__ import annotations

import json
import random
import sys
from pathlib import Path
from typing import Any, Callable

ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"


def _account(rng: random.Random) -> str:
    return f"{rng.randrange(10**11, 10**12):012d}"


def _trusts(i: int, rng: random.Random) -> dict[str, Any]:
    """The trust statement of role i: six shapes in rotation, every value its own."""
    vendor, tooling = _account(rng), _account(rng)
    external_id = f"{rng.getrandbits(64):016x}"
    shapes: list[Callable[[], dict[str, Any]]] = [
        lambda: {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"},
        lambda: {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{vendor}:root"}, "Action": "sts:AssumeRole",
                 "Condition": {"StringEquals": {"sts:ExternalId": external_id}}},
        lambda: {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{tooling}:role/ci-runner-{i}"},
                 "Action": "sts:AssumeRole"},
        lambda: {"Effect": "Allow",
                 "Principal": {"Federated": f"arn:aws:iam::{tooling}:oidc-provider/token.actions.githubusercontent.com"},
                 "Action": "sts:AssumeRoleWithWebIdentity",
                 "Condition": {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
                               "StringLike": {"token.actions.githubusercontent.com:sub": f"repo:org-{i % 97}/app-{i}:*"}}},
        lambda: {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{vendor}:role/vendor-{i}"},
                 "Action": "sts:AssumeRole",
                 "Condition": {"StringEquals": {"sts:ExternalId": external_id},
                               "Bool": {"aws:MultiFactorAuthPresent": "true"}}},
        lambda: {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole",
                 "Condition": {"StringEquals": {"aws:PrincipalOrgID": f"o-{rng.getrandbits(40):010x}"}}},
    ]
    return shapes[i % len(shapes)]()


def _roles(count: int, shapes: int | None, seed: int = 11) -> list[tuple[str, str, dict[str, Any], bool]]:
    """(name, path, trust statement, admin) per role."""
    out = []
    for i in range(count):
        rng = random.Random(seed * 1_000_003 + (i % shapes if shapes else i))
        variant = i % shapes if shapes else i
        statement = _trusts(variant, rng)
        out.append((f"svc-{i}-{rng.getrandbits(24):06x}", f"/team-{i % 23}/", statement, i % 7 == 0))
    return out


def iam_documents(count: int, shapes: int | None = None) -> list[dict[str, Any]]:
    return [{"Version": "2012-10-17", "Statement": [statement]} for _, _, statement, _ in _roles(count, shapes)]


def terraform_plan(count: int, shapes: int | None = None) -> dict[str, Any]:
    changes = []
    for name, path, statement, admin in _roles(count, shapes):
        trust = json.dumps({"Version": "2012-10-17", "Statement": [statement]}, separators=(",", ":"))
        changes.append({
            "address": f'aws_iam_role.r["{name}"]', "mode": "managed", "type": "aws_iam_role", "name": "r",
            "index": name,
            "change": {"actions": ["create"], "before": None,
                       "after": {"name": name, "path": path, "assume_role_policy": trust, "max_session_duration": 3600,
                                 "permissions_boundary": None, "tags": {"Name": name}},
                       "after_unknown": {"arn": True, "id": True, "unique_id": True, "tags_all": True}}})
        if admin:
            changes.append({
                "address": f'aws_iam_role_policy_attachment.admin["{name}"]', "mode": "managed",
                "type": "aws_iam_role_policy_attachment", "name": "admin", "index": name,
                "change": {"actions": ["create"], "before": None, "after": {"role": name, "policy_arn": ADMIN},
                           "after_unknown": {"id": True}}})
    # As `terraform show -json` writes it: the planned state beside the changes (checkov reads
    # only the planned values; pyiamguard reads both).
    planned = [{"address": c["address"], "mode": "managed", "type": c["type"], "name": c["name"], "index": c["index"],
                "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0,
                "values": c["change"]["after"], "sensitive_values": {}} for c in changes]
    return {"format_version": "1.2", "terraform_version": "1.9.5", "resource_changes": changes,
            "planned_values": {"root_module": {"resources": planned}}, "applyable": True, "complete": True,
            "errored": False}


def terraform_update_plan(count: int, shapes: int | None = None) -> dict[str, Any]:
    """The plan of a change to an estate that already exists: every role is in the prior state
    with its ARN, one in twenty has a new foreign account added to its trust (a change-aware
    scan compares every role with its previous version), the rest are unchanged."""
    created = terraform_plan(count, shapes)
    rng = random.Random(23)
    own = _account(rng)
    changes, prior = [], []
    for i, change in enumerate(created["resource_changes"]):
        before = dict(change["change"]["after"])
        if change["type"] == "aws_iam_role":
            before["arn"] = f"arn:aws:iam::{own}:role{before['path']}{before['name']}"
            before["id"] = before["unique_id"] = before["name"]
        after = dict(before)
        actions = ["no-op"]
        if change["type"] == "aws_iam_role" and i % 20 == 0:
            trust = json.loads(before["assume_role_policy"])
            trust["Statement"].append({"Effect": "Allow", "Action": "sts:AssumeRole",
                                       "Principal": {"AWS": f"arn:aws:iam::{_account(rng)}:root"}})
            after["assume_role_policy"] = json.dumps(trust, separators=(",", ":"))
            actions = ["update"]
        changes.append({**change, "change": {"actions": actions, "before": before, "after": after, "after_unknown": {},
                                             "before_sensitive": {}, "after_sensitive": {}}})
        prior.append({"address": change["address"], "mode": "managed", "type": change["type"], "name": change["name"],
                      "index": change["index"], "provider_name": "registry.terraform.io/hashicorp/aws",
                      "schema_version": 0, "values": before, "sensitive_values": {}})
    planned = [{**p, "values": c["change"]["after"]} for p, c in zip(prior, changes)]
    return {"format_version": "1.2", "terraform_version": "1.9.5", "resource_changes": changes,
            "planned_values": {"root_module": {"resources": planned}},
            "prior_state": {"format_version": "1.0", "terraform_version": "1.9.5",
                            "values": {"root_module": {"resources": prior}}},
            "applyable": True, "complete": True, "errored": False}


def cloudformation_template(count: int, shapes: int | None = None) -> dict[str, Any]:
    resources: dict[str, Any] = {}
    for i, (name, path, statement, admin) in enumerate(_roles(count, shapes)):
        properties: dict[str, Any] = {
            "RoleName": name, "Path": path, "Tags": [{"Key": "Name", "Value": name}],
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [statement]}}
        if admin:
            properties["ManagedPolicyArns"] = [ADMIN]
        resources[f"Role{i}"] = {"Type": "AWS::IAM::Role", "Properties": properties}
    return {"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources}


def policy_files(count: int, folder: Path, shapes: int | None = None) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i, document in enumerate(iam_documents(count, shapes)):
        (folder / f"trust-{i:05d}.json").write_text(json.dumps(document, indent=2), encoding="utf-8")


if __name__ == "__main__":
    kind, size, out = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
    if kind == "files":
        policy_files(size, out)
    else:
        generate = {"iam": iam_documents, "terraform": terraform_plan, "terraform-update": terraform_update_plan,
                    "cloudformation": cloudformation_template}[kind]
        out.write_text(json.dumps(generate(size), indent=2), encoding="utf-8")
