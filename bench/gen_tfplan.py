#!/usr/bin/env python3
"""Generate a Terraform plan JSON (`terraform show -json` shape) with N roles.

A realistic estate: a few trust-policy shapes repeated across many roles (service roles,
CI roles trusted from a tooling account with an ExternalId, OIDC deploy roles, a few wildcard
and cross-account mistakes), each role with an inline policy, a managed policy attachment
through a separate resource linked by reference, and roles spread over module instances.
Usage: python bench/gen_tfplan.py N OUT.json
"""
from __future__ import annotations

import json
import sys

TRUSTS = [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"},
    {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:role/ci"}, "Action": "sts:AssumeRole",
     "Condition": {"StringEquals": {"sts:ExternalId": "b7f1"}}},
    {"Effect": "Allow", "Principal": {"Federated": "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"},
     "Action": "sts:AssumeRoleWithWebIdentity",
     "Condition": {"StringLike": {"token.actions.githubusercontent.com:sub": "repo:org/app:*"}}},
    {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"},
    {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999988887777:root"}, "Action": "sts:AssumeRole"},
]
WEIGHTS = [40, 30, 25, 1, 4]


def plan(count: int) -> dict:
    changes, config = [], []
    shapes = [i for i, w in enumerate(WEIGHTS) for _ in range(w)]
    for i in range(count):
        module = f'module.team["t{i % 50}"].'
        trust = {"Version": "2012-10-17", "Statement": [TRUSTS[shapes[i % len(shapes)]]]}
        name = f"role-{i}"
        changes.append({
            "address": f'{module}aws_iam_role.r["{name}"]', "module_address": module[:-1], "mode": "managed",
            "type": "aws_iam_role", "name": "r", "index": name,
            "change": {"actions": ["create"], "before": None,
                       "after": {"name": name, "assume_role_policy": json.dumps(trust, separators=(",", ":")),
                                 "max_session_duration": 3600, "path": "/", "permissions_boundary": None,
                                 "inline_policy": [{"name": "logs", "policy": json.dumps({"Version": "2012-10-17", "Statement": [
                                     {"Effect": "Allow", "Action": ["logs:PutLogEvents"], "Resource": "*"}]})}]},
                       "after_unknown": {"arn": True, "id": True, "unique_id": True, "managed_policy_arns": True,
                                         "inline_policy": [{}]}},
        })
        changes.append({
            "address": f'{module}aws_iam_role_policy_attachment.ro["{name}"]', "module_address": module[:-1],
            "mode": "managed", "type": "aws_iam_role_policy_attachment", "name": "ro", "index": name,
            "change": {"actions": ["create"], "before": None,
                       "after": {"role": name, "policy_arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"},
                       "after_unknown": {"id": True}},
        })
    config = [
        {"address": "aws_iam_role.r", "mode": "managed", "type": "aws_iam_role", "name": "r", "provider_config_key": "aws",
         "expressions": {"name": {"references": ["each.key"]}, "assume_role_policy": {"references": ["each.value"]},
                         "inline_policy": [{"name": {"constant_value": "logs"}, "policy": {"references": ["each.value"]}}]}},
        {"address": "aws_iam_role_policy_attachment.ro", "mode": "managed", "type": "aws_iam_role_policy_attachment",
         "name": "ro", "provider_config_key": "aws",
         "expressions": {"role": {"references": ["aws_iam_role.r[each.key].name", "aws_iam_role.r"]},
                         "policy_arn": {"constant_value": "arn:aws:iam::aws:policy/ReadOnlyAccess"}}},
    ]
    return {"format_version": "1.2", "terraform_version": "1.9.5", "resource_changes": changes,
            "configuration": {"root_module": {"module_calls": {"team": {"source": "./team", "module": {"resources": config}}}}},
            "planned_values": {"root_module": {}}, "applyable": True, "complete": True, "errored": False}


if __name__ == "__main__":
    count, out = int(sys.argv[1]), sys.argv[2]
    with open(out, "w", encoding="utf-8") as handle:
        json.dump(plan(count), handle, indent=2)
