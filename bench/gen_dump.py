#!/usr/bin/env python3
"""An `aws iam get-account-authorization-details` dump of N roles that assume each other.

Role i trusts a service, the account of its caller, or role i-1 by ARN, and its inline policy
allows sts:AssumeRole on role i+1 (and on a role of a second account for every seventh role),
so the scan's assume graph (IAMG-501) has about N caller-role pairs; a third of them do not
match (the role after a service-trusting one), which IAMG-501 reports.

Usage: python bench/gen_dump.py N OUT.json
"""
from __future__ import annotations

import json
import sys

ACCOUNT = "111122223333"
OTHER = "444455556666"


def _arn(i: int, account: str = ACCOUNT) -> str:
    return f"arn:aws:iam::{account}:role/app-{i}"


def dump(count: int) -> dict:
    roles = []
    for i in range(count):
        principal = [{"Service": "lambda.amazonaws.com"}, {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                     {"AWS": _arn(i - 1)}][i % 3]
        targets = [_arn((i + 1) % count)] + ([_arn(i, OTHER)] if i % 7 == 0 else [])
        roles.append({
            "Path": "/", "RoleName": f"app-{i}", "Arn": _arn(i),
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}]},
            "RolePolicyList": [{"PolicyName": "assume-next", "PolicyDocument": {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": targets},
                {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": f"arn:aws:s3:::bucket-{i % 50}/*"}]}}],
            "AttachedManagedPolicies": [],
        })
    return {"RoleDetailList": roles, "UserDetailList": [], "GroupDetailList": [], "Policies": []}


if __name__ == "__main__":
    with open(sys.argv[2], "w", encoding="utf-8") as out:
        json.dump(dump(int(sys.argv[1])), out, indent=2)
