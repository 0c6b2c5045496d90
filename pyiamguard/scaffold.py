"""`pyiamguard new-rule`: a custom rule folder that passes `pyiamguard test` as written.

The rule it writes is a real guardrail (no trust of whole accounts: name the role that may
come in), so the scaffold shows every part a rule needs: METADATA with the message template,
the lib helpers, facts that name nodes, a Rego test of a finding and of a clean document, and
examples with expected.yaml.
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

from .errors import PyiamguardError
from .model import BUILT_IN_PREFIX, RULE_ID, Severity

_NAME = re.compile(r"[a-z][a-z0-9_]*")
_PACKAGE = re.compile(r"[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*")


class ScaffoldError(PyiamguardError):
    """The rule cannot be written (a bad name or id, or the folder exists)."""


def write_rule(directory: str | os.PathLike[str], name: str, *, rule_id: str, package: str | None = None,
               severity: str = "HIGH") -> list[Path]:
    """Write DIR/NAME/{policy.rego, policy_test.rego, examples/...}; the paths written."""
    if not _NAME.fullmatch(name):
        raise ScaffoldError(f"rule name {name!r}: use lower_snake_case letters, digits and _ (vendor_trust)")
    rule_id = rule_id.strip().upper()
    if rule_id.startswith(BUILT_IN_PREFIX):
        raise ScaffoldError(f"--id {rule_id}: the {BUILT_IN_PREFIX} prefix is reserved for built-in rules; use your "
                            "own (ACME-001)")
    if not RULE_ID.fullmatch(rule_id):
        raise ScaffoldError(f"--id {rule_id!r} is not an id like ACME-001")
    package = package or f"custom.{name}"
    if not _PACKAGE.fullmatch(package) or package == "pyiamguard" or package.startswith("pyiamguard."):
        raise ScaffoldError(f"--package {package!r}: a lower-case dotted Rego package outside pyiamguard.*")
    try:
        level = Severity.parse(severity).value
    except ValueError as exc:
        raise ScaffoldError(f"--severity: {exc}") from None
    folder = Path(directory) / name
    if folder.exists():
        raise ScaffoldError(f"{folder} already exists; choose another name or remove it")
    short = package.rsplit(".", 1)[-1]
    files = {
        folder / "policy.rego": _POLICY.format(id=rule_id, severity=level, package=package),
        folder / "policy_test.rego": _TEST.format(package=package, short=short),
        folder / "examples" / "violating_whole_account.json": json.dumps(_trust("arn:aws:iam::444455556666:root"),
                                                                         indent=2) + "\n",
        folder / "examples" / "clean_named_role.json": json.dumps(
            _trust("arn:aws:iam::444455556666:role/deployer"), indent=2) + "\n",
        folder / "examples" / "expected.yaml": _EXPECTED.format(id=rule_id, severity=level),
    }
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return list(files)


def _trust(principal: str) -> dict[str, object]:
    return {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"sts:ExternalId": "example-external-id"}}}]}


_POLICY = '''\
# METADATA
# title: Trust names a whole account
# description: |
#   A trust statement lets a whole AWS account (its root, or a bare account id) assume the
#   role: every role and user that account's administrators allow may come in. Name the role
#   that needs access instead.
# custom:
#   id: {id}
#   severity: {severity}
#   remediation: Replace the account principal with the ARN of the role that needs access.
#   message: "{{statement}} trusts the whole account {{account}} ({{principal}})"
package {package}

import rego.v1

import data.pyiamguard.lib.result
import data.pyiamguard.lib.trust

# input: one normalized document (docs/model.md; `pyiamguard inspect FILE` prints it).
# The rule is a function of the document (and of data.pyiamguard.custom when it needs data):
# its tests call the function, because the embedded engine cannot run `with input as`.
deny contains found if some found in violations(input)

# A finding points at a ref; its facts fill the message's {{placeholders}} (a ref reads as
# the node's text as written).
violations(doc) := {{result.finding(p.ref, {{"statement": stmt.ref, "account": p.account, "principal": p.ref}}) |
	doc.kind == "trust"
	some stmt in doc.statements
	trust.allows_assume(stmt)
	some p in stmt.principals
	p.kind == "aws"
	p.whole_account
}}
'''

_TEST = '''\
package {package}_test

import rego.v1

import data.{package}

account_principal := {{"kind": "trust", "statements": [{{
	"ref": "s0", "effect": "Allow", "principal_element": "Principal",
	"actions": {{"assume_role": true, "web_identity": false, "saml": false}},
	"principals": [{{"ref": "p1", "kind": "aws", "account": "444455556666", "whole_account": true}}],
	"conditions": [],
}}]}}

role_principal := {{"kind": "trust", "statements": [{{
	"ref": "s0", "effect": "Allow", "principal_element": "Principal",
	"actions": {{"assume_role": true, "web_identity": false, "saml": false}},
	"principals": [{{"ref": "p1", "kind": "aws", "account": "444455556666", "whole_account": false}}],
	"conditions": [],
}}]}}

test_whole_account_is_reported if {{
	{short}.violations(account_principal) == {{{{"ref": "p1", "facts": {{"statement": "s0", "account": "444455556666", "principal": "p1"}}}}}}
}}

test_named_role_is_clean if {{
	count({short}.violations(role_principal)) == 0
}}
'''

_EXPECTED = '''\
# Every violation of this folder's rules each example must produce, and nothing else:
# [rule, severity, JSONPath, line]. `pyiamguard test` checks them.
examples:
- file: violating_whole_account.json
  violations:
  - [{id}, {severity}, '$.Statement[0].Principal.AWS', 7]
- file: clean_named_role.json
  violations: []
'''
