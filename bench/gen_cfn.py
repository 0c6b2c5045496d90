#!/usr/bin/env python3
"""Generate a CloudFormation template (JSON) with N IAM roles: the trust shapes of
bench/gen_tfplan.py, a parameter with a default in some principals, an inline policy on each role
and a ManagedPolicy attached to roles through `Roles: [!Ref ...]`.
Usage: python bench/gen_cfn.py N OUT.json
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gen_tfplan import TRUSTS, WEIGHTS  # noqa: E402  (a sibling script)


def template(count: int) -> dict:
    shapes = [i for i, w in enumerate(WEIGHTS) for _ in range(w)]
    resources: dict[str, dict] = {}
    for i in range(count):
        statement = json.loads(json.dumps(TRUSTS[shapes[i % len(shapes)]]))
        if "AWS" in statement.get("Principal", {}) and statement["Principal"]["AWS"].endswith(":root"):
            statement["Principal"]["AWS"] = {"Fn::Sub": "arn:${AWS::Partition}:iam::${PartnerAccount}:root"}
        resources[f"Role{i}"] = {"Type": "AWS::IAM::Role", "Properties": {
            "RoleName": f"role-{i}",
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [statement]},
            "Policies": [{"PolicyName": "logs", "PolicyDocument": {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": ["logs:PutLogEvents"], "Resource": "*"}]}}],
        }}
        if i % 100 == 0:
            resources[f"Shared{i}"] = {"Type": "AWS::IAM::ManagedPolicy", "Properties": {
                "Roles": [{"Ref": f"Role{j}"} for j in range(i, min(i + 100, count))],
                "PolicyDocument": {"Version": "2012-10-17", "Statement": [
                    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::shared/*"}]}}}
    return {"AWSTemplateFormatVersion": "2010-09-09",
            "Parameters": {"PartnerAccount": {"Type": "String", "Default": "999988887777"}},
            "Resources": resources}


if __name__ == "__main__":
    count, out = int(sys.argv[1]), sys.argv[2]
    with open(out, "w", encoding="utf-8") as handle:
        json.dump(template(count), handle, indent=2)
