"""Terraform plan JSON end to end: fixtures in tests/fixtures/terraform/ through scanner.scan().

Each fixture is hand-built to the shape of `terraform show -json` (reference section A) and
holds one concern. The tests pin exactly which violations (rule, resource address, JSONPath,
line) and which errors a plan gives: a role that will exist after apply is always evaluated,
an unknown trust policy is IAMG-001 and never a pass, and a role that will not exist is not
reported.
"""
from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from pyiamguard.config import Config
from pyiamguard.loaders.json_source import load_json
from pyiamguard.loaders.terraform import terraform_sources
from pyiamguard.model import Report
from pyiamguard.scanner import scan

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "terraform"

AFTER = "$.resource_changes[{}].change.after"
TRUST = AFTER + ".assume_role_policy"
WILDCARD_101 = ("Statement 1 lets any AWS principal ('*') assume the role: no condition on aws:PrincipalAccount, "
                "aws:PrincipalArn or aws:PrincipalOrgID confines it")


def _scan(name: str | Path, config: Any = None) -> Report:
    return scan([name if isinstance(name, Path) else FIXTURES / name], config)


def _found(report: Report) -> list[tuple[str, str, str, int | None]]:
    return [(v.rule_id, v.resource, v.path, v.line) for v in report.violations]


def _load(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def _write(path: Path, plan: dict[str, Any]) -> Path:
    path.write_text(json.dumps(plan, indent=2), encoding="utf-8")
    return path


# --- actions ----------------------------------------------------------------------------------


def test_every_role_that_exists_after_apply_is_reported_and_deletions_are_not() -> None:
    report = _scan("actions.json")
    assert report.errors == ()
    assert _found(report) == [
        ("IAMG-101", "aws_iam_role.created", TRUST.format(0) + ".Statement[0].Principal.AWS", 15),
        ("IAMG-101", "aws_iam_role.updated", TRUST.format(1) + ".Statement[0].Principal.AWS", 38),
        ("IAMG-101", "aws_iam_role.unchanged", TRUST.format(2) + ".Statement[0].Principal.AWS", 61),
        ("IAMG-101", "aws_iam_role.replaced", TRUST.format(3) + ".Statement[0].Principal.AWS", 84),  # delete, create
        ("IAMG-101", "aws_iam_role.replaced_first", TRUST.format(4) + ".Statement[0].Principal.AWS", 108),  # create, delete
    ]
    # delete, forget and the deposed object (all with `Principal: "*"` in `before`) give nothing,
    # and are not even evaluated.
    assert report.documents == 5


def test_new_and_replaced_roles_carry_no_note_existing_ones_say_they_exist() -> None:
    messages = {v.resource: v.message for v in _scan("actions.json").violations}
    assert messages["aws_iam_role.created"] == WILDCARD_101
    assert messages["aws_iam_role.replaced"] == WILDCARD_101
    assert messages["aws_iam_role.replaced_first"] == WILDCARD_101
    assert messages["aws_iam_role.unchanged"] == WILDCARD_101 + " (existing resource, unchanged by this plan)"
    assert messages["aws_iam_role.updated"] == WILDCARD_101 + " (existing resource, updated by this plan)"


def test_a_deposed_object_is_skipped_whatever_its_change_says(tmp_path: Path) -> None:
    plan = _load("actions.json")
    deposed = next(c for c in plan["resource_changes"] if c.get("deposed"))
    # Not something Terraform writes (a deposed object is always deleted), but the `deposed`
    # key alone must be enough to skip the entry.
    deposed["change"]["actions"] = ["no-op"]
    deposed["change"]["after"] = copy.deepcopy(deposed["change"]["before"])
    report = _scan(_write(tmp_path / "plan.json", plan))
    assert "aws_iam_role.rotated" not in {v.resource for v in report.violations}
    assert report.documents == 5


# --- unknown trust policies -------------------------------------------------------------------


def test_a_trust_policy_known_only_after_apply_is_iamg_001_never_a_pass() -> None:
    report = _scan("unknown_trust.json")
    assert report.errors == ()
    assert _found(report) == [("IAMG-001", "aws_iam_role.deployer", TRUST.format(1), 62)]
    assert report.violations[0].message == (
        "The trust policy 'aws_iam_role.deployer.assume_role_policy' cannot be known before deployment, "
        "so who may assume the role could not be verified; review the deployed value")


def test_the_loader_reads_resource_changes_not_planned_values(tmp_path: Path) -> None:
    plan = _load("unknown_trust.json")
    # planned_values drops unknown values: there the deployer looks like a role without trust.
    planned = {r["address"]: r["values"] for r in plan["planned_values"]["root_module"]["resources"]}
    assert "assume_role_policy" not in planned["aws_iam_role.deployer"]

    without = copy.deepcopy(plan)
    del without["planned_values"]
    assert [(v.rule_id, v.resource, v.path) for v in _scan(_write(tmp_path / "without.json", without)).violations] == [
        ("IAMG-001", "aws_iam_role.deployer", TRUST.format(1))]

    # A (wrong) wildcard in planned_values changes nothing: it is never read.
    poisoned = copy.deepcopy(plan)
    for resource in poisoned["planned_values"]["root_module"]["resources"]:
        resource["values"]["assume_role_policy"] = json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}]})
    assert [(v.rule_id, v.resource, v.path) for v in _scan(_write(tmp_path / "poisoned.json", poisoned)).violations] == [
        ("IAMG-001", "aws_iam_role.deployer", TRUST.format(1))]


def test_identity_policies_known_only_after_apply_are_iamg_001() -> None:
    report = _scan("unknown_policy.json")
    assert report.errors == ()
    assert _found(report) == [
        ("IAMG-001", "aws_iam_policy.deploy", AFTER.format(0) + ".policy", 14),
        ("IAMG-001", "aws_iam_role_policy.deploy", AFTER.format(1) + ".policy", 31),
    ]
    assert report.documents == 3  # the known aws_iam_role_policy is evaluated, and is clean


# --- aws_iam_policy_document data sources -----------------------------------------------------


def test_a_policy_document_read_at_plan_time_is_evaluated_once_through_its_role() -> None:
    report = _scan("data_source_read.json")
    assert report.errors == ()
    assert _found(report) == [
        ("IAMG-101", "aws_iam_role.app", TRUST.format(0) + ".Statement[0].Principal.AWS", 15),
        # Not referenced by any role: evaluated on its own, at its place in prior_state.
        ("IAMG-101", "data.aws_iam_policy_document.spare",
         "$.prior_state.values.root_module.resources[1].values.json.Statement[0].Principal", 66),
    ]
    # data.aws_iam_policy_document.trust feeds aws_iam_role.app: not reported a second time.
    assert report.documents == 2


def test_a_deferred_policy_document_is_rebuilt_from_its_statement_blocks_for_its_role() -> None:
    report = _scan("data_source_deferred.json")
    assert report.errors == ()
    assert _found(report) == [
        # Known "*" in the statement blocks: the partial rebuild is enough to see the wildcard.
        ("IAMG-101", "aws_iam_role.open", TRUST.format(1) + ".Statement[0].Principal.AWS[0]", 31),
        # Unknown identifiers: unresolved, never a pass.
        ("IAMG-001", "aws_iam_role.partner", TRUST.format(2) + ".Statement[0].Principal.AWS[0]", 47),
    ]
    messages = {v.resource: v.message for v in report.violations}
    assert messages["aws_iam_role.open"] == (
        WILDCARD_101 + " (trust policy from data.aws_iam_policy_document.open, read only at apply)")
    assert messages["aws_iam_role.partner"].endswith(
        "(trust policy from data.aws_iam_policy_document.partner, read only at apply)")
    # The two data sources are consumed by their roles (and the stale prior_state copy of
    # `open`, which trusted only ec2, loses to the deferred read): 3 roles, nothing else.
    assert report.documents == 3


def test_a_deferred_policy_document_in_a_module_instance_feeds_the_role_of_that_instance() -> None:
    # module.a["x"] and module.a["y"] each hold module b with a deferred trust document and a
    # role using it; x trusts ec2 only, y trusts "*".
    report = _scan("data_source_module_instances.json")
    assert report.errors == ()
    assert [(v.rule_id, v.resource) for v in report.violations] == [
        ("IAMG-101", 'module.a["y"].module.b.aws_iam_role.r')]


def test_a_reference_to_one_keyed_policy_document_uses_that_instance() -> None:
    # The role references data.aws_iam_policy_document.trust["vendor.example.com"] (a for_each
    # key with dots), which trusts "*"; trust["batch"] trusts a service only.
    report = _scan("data_source_keyed_reference.json")
    assert report.errors == ()
    assert [(v.rule_id, v.resource) for v in report.violations] == [("IAMG-101", "aws_iam_role.vendor")]


# --- addresses --------------------------------------------------------------------------------


def test_violations_name_the_address_exactly_as_terraform_prints_it() -> None:
    report = _scan("modules.json")
    assert report.errors == ()
    assert _found(report) == [
        ("IAMG-101",
         'module.a["x"].module.b.aws_iam_role.r["alex1.arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryFullAccess"]',
         TRUST.format(1) + ".Statement[0].Principal.AWS", 33),
        ("IAMG-101", 'module.a["x"].module.b.aws_iam_role.r["say \\"hi\\"]"]',
         TRUST.format(2) + ".Statement[0].Principal.AWS", 51),
        ("IAMG-101", 'module.a["x"].module.b.aws_iam_role.counted[0]',
         TRUST.format(3) + ".Statement[0].Principal.AWS", 69),
        ("IAMG-101", "module.c[0].aws_iam_role.r", TRUST.format(5) + ".Statement[0].Principal.AWS", 104),
    ]
    # The root aws_iam_role.r (ec2) and counted[1] (ec2) are clean, and evaluated.
    assert report.documents == 6


# --- policy text ------------------------------------------------------------------------------


def test_every_policy_formatting_gives_the_same_verdict() -> None:
    report = _scan("formatting.json")
    assert report.errors == ()
    verdicts: dict[str, list[tuple[str, int, str]]] = {}
    for v in report.violations:
        statement = int(v.path.split(".assume_role_policy.Statement[")[1].split("]")[0])
        verdicts.setdefault(v.resource, []).append((v.rule_id, statement, v.message))
    expected = [
        ("IAMG-101", 0, WILDCARD_101),
        ("IAMG-102", 1, "Statement 2 trusts 'arn:aws:iam::444455556666:root' of account 444455556666, which is "
                        "neither one of your accounts (the role's own, own_accounts, internal_accounts) nor in "
                        "trusted_accounts (account of the role unknown: set own_accounts)"),
        ("IAMG-103", 1, "Statement 2 lets 'arn:aws:iam::444455556666:root' of account 444455556666 call "
                        "sts:AssumeRole without a restricting sts:ExternalId condition "
                        "(account of the role unknown: set own_accounts)"),
    ]
    assert verdicts == {
        "aws_iam_role.jsonencoded": expected,  # minified, sorted keys, \u003c \u003e \u0026
        "aws_iam_role.heredoc": expected,  # CRLF, author indentation, one-element lists
        "aws_iam_role.policy_document": expected,  # data source json: MarshalIndent, Sid ""
    }
    assert [(v.resource, v.line) for v in report.violations if v.rule_id == "IAMG-101"] == [
        ("aws_iam_role.jsonencoded", 15), ("aws_iam_role.heredoc", 32), ("aws_iam_role.policy_document", 49)]


def test_jsonencode_escapes_are_decoded_before_the_rules_see_the_policy() -> None:
    # The PrincipalArn condition names role "<team>-deployer" written as \u003cteam\u003e: decoded,
    # it is a concrete condition naming one role, so IAMG-105 (whole account without
    # aws:PrincipalArn narrowing it to named principals) stays quiet.
    report = _scan("formatting.json")
    assert "IAMG-105" not in {v.rule_id for v in report.violations}


def test_duplicate_keys_in_a_heredoc_policy_are_iamg_002_on_the_role() -> None:
    report = _scan("duplicate_keys.json")
    assert report.errors == ()
    # The aud block is the one the duplicate silently dropped: IAMG-203 sees it missing.
    assert _found(report) == [
        ("IAMG-002", "aws_iam_role.github_deploy", TRUST.format(0) + ".Statement[0].Condition.StringEquals", 15),
        ("IAMG-203", "aws_iam_role.github_deploy", TRUST.format(0) + ".Statement[0].Principal.Federated", 15)]
    assert report.violations[0].message == (
        "Invalid policy: the key appears more than once; only the last one takes effect, the others are "
        "silently dropped ('StringEquals')")


# --- file formats and producers ---------------------------------------------------------------


def test_a_utf16_plan_written_by_powershell_loads() -> None:
    raw = (FIXTURES / "powershell_utf16.json").read_bytes()
    assert raw[:2] == b"\xff\xfe" and b"\r\x00\n\x00" in raw  # UTF-16 LE, BOM, CRLF
    report = _scan("powershell_utf16.json")
    assert report.errors == ()
    assert _found(report) == [
        ("IAMG-101", "aws_iam_role.windows", TRUST.format(0) + ".Statement[0].Principal.AWS", 15)]


def test_an_opentofu_plan_loads_and_forget_create_is_a_create() -> None:
    plan = _load("opentofu.json")
    assert "applyable" not in plan and "complete" not in plan and plan["terraform_version"] == "1.8.0"
    report = _scan("opentofu.json")
    assert report.errors == ()
    # ["forget", "create"]: the new object exists after apply; ["forget"] alone does not.
    assert _found(report) == [
        ("IAMG-101", "aws_iam_role.adopted", TRUST.format(0) + ".Statement[0].Principal.AWS", 21)]
    assert report.violations[0].message == WILDCARD_101


def test_terraform_show_json_of_a_state_is_scanned() -> None:
    report = _scan("state.json")
    assert report.errors == ()
    root = "$.values.root_module.resources[0].values.assume_role_policy"
    child = "$.values.root_module.child_modules[0].resources[0].values.assume_role_policy"
    assert _found(report) == [
        ("IAMG-101", "aws_iam_role.legacy", root + ".Statement[0].Principal.AWS", 17),
        ("IAMG-102", "module.vendor.aws_iam_role.access", child + ".Statement[0].Principal.AWS", 38),
        ("IAMG-103", "module.vendor.aws_iam_role.access", child + ".Statement[0].Principal.AWS", 38),
        ("IAMG-104", "module.vendor.aws_iam_role.access", child + ".Statement[0].Principal.AWS", 38),
        ("IAMG-105", "module.vendor.aws_iam_role.access", child + ".Statement[0].Principal.AWS", 38),
    ]
    # The role ARN in state tells the own account: no "account of the role unknown" note.
    assert not any("account of the role unknown" in v.message for v in report.violations)


@pytest.mark.parametrize(("fixture", "message"), [
    ("errored.json", "the plan is marked errored: Terraform could not finish planning"),
    ("format_v2.json", "unsupported Terraform JSON format_version '2.0'"),
])
def test_plans_that_cannot_be_trusted_are_errors_not_scans(fixture: str, message: str) -> None:
    report = _scan(fixture)
    assert [(e.file, e.message) for e in report.errors] == [(str(FIXTURES / fixture), message)]
    assert report.violations == ()
    assert report.documents == 0


def test_terraform_plan_json_stream_is_an_error_when_named_and_a_skip_in_a_walk(tmp_path: Path) -> None:
    report = _scan("plan_stream.json")
    assert [e.file for e in report.errors] == [str(FIXTURES / "plan_stream.json")]
    assert report.violations == () and report.documents == 0

    shutil.copy(FIXTURES / "plan_stream.json", tmp_path / "plan.json")
    walked = scan([tmp_path], Config(allow_empty=True))
    assert walked.errors == () and walked.violations == ()
    assert [file for file, _ in walked.skipped_files] == [str(tmp_path / "plan.json")]

    # One line of the stream is a valid JSON object: still an error, not a crash.
    first = (FIXTURES / "plan_stream.json").read_text(encoding="utf-8").splitlines()[0]
    (tmp_path / "one.json").write_text(first + "\n", encoding="utf-8")
    single = scan([tmp_path / "one.json"])
    assert [e.file for e in single.errors] == [str(tmp_path / "one.json")]


def test_terraform_plan_json_stream_error_says_what_the_file_is() -> None:
    # Reference A.1: `terraform plan -json` is a stream of UI messages, not the plan; input
    # whose first object has "type"/"@message" is to be rejected as such. The user must learn
    # to run `terraform show -json PLANFILE`, not read a JSON syntax error.
    [error] = _scan("plan_stream.json").errors
    assert "terraform show -json" in error.message, error.message


# --- own account ------------------------------------------------------------------------------


def test_own_account_comes_from_the_caller_identity_of_the_same_provider_or_the_role_arn() -> None:
    report = _scan("own_account.json")
    assert report.errors == ()
    # default_provider (aws) trusts 111122223333 = data.aws_caller_identity.current: clean.
    # prod_existing (aws.prod) has a known ARN in 444455556666 and trusts that account: clean.
    # prod_provider (aws.prod) does not inherit the default provider's account.
    path = TRUST.format(1) + ".Statement[0].Principal.AWS"
    assert _found(report) == [
        ("IAMG-102", "aws_iam_role.prod_provider", path, 31),
        ("IAMG-103", "aws_iam_role.prod_provider", path, 31),
    ]
    assert all(v.message.endswith("(account of the role unknown: set own_accounts)") for v in report.violations)
    assert report.documents == 3


# --- sensitive values -------------------------------------------------------------------------


def test_a_sensitive_trust_policy_is_evaluated_but_not_quoted() -> None:
    # Reference A.13 / D.1.16: after_sensitive marks the policy; the finding is reported, and
    # its text does not repeat the value (the principal ARN).
    report = _scan("sensitive.json")
    assert report.errors == ()
    assert [(v.rule_id, v.resource) for v in report.violations] == [
        ("IAMG-102", "aws_iam_role.vendor"), ("IAMG-103", "aws_iam_role.vendor")]
    assert not any("acme-secret-integration" in v.message for v in report.violations)


def test_an_oidc_provider_created_by_the_plan_names_the_issuer_of_a_deferred_trust() -> None:
    # The provider's ARN is unknown on create, but its url is known: the trust rebuilt from the
    # deferred policy document names the GitHub issuer, so the missing sub condition is found.
    report = _scan("oidc_provider_in_plan.json")
    assert report.errors == ()
    assert [(v.rule_id, v.resource, v.path, v.line) for v in report.violations] == [(
        "IAMG-201", "aws_iam_role.deploy",
        "$.resource_changes[2].change.after.assume_role_policy.Statement[0].Principal.Federated[0]", 97)]
    assert "token.actions.githubusercontent.com" in report.violations[0].message


# --- boundaries and policies created by the plan --------------------------------------------------


def test_a_boundary_or_managed_policy_created_by_the_plan_is_linked_by_reference() -> None:
    # permissions_boundary = aws_iam_policy.x.arn and managed_policy_arns = [aws_iam_policy.x.arn]
    # are known only after apply; the plan's policy is what reaches the role. capped (and the
    # module's admin role) are capped by a read-only boundary: no IAMG-301. uncapped's boundary
    # is admin itself: IAMG-301, at the attachment that reaches the role. late's boundary has a
    # document known only after apply: it stays unknown.
    report = _scan("boundary_in_plan.json", Config(trusted_accounts=("444455556666",)))
    assert report.errors == ()
    assert _found(report) == [
        # The admin policy used as a boundary also allows assuming every role (Amendments, IAMG-304).
        ("IAMG-304", "aws_iam_policy.admin_cap", AFTER.format(1) + ".policy.Statement[0].Resource", 50),
        ("IAMG-301", "aws_iam_role.uncapped", AFTER.format(4) + ".policy_arn", 162),
        # Where the policy reaches the role (Amendments, Locations).
        ("IAMG-302", "aws_iam_role.escalating", AFTER.format(6) + ".managed_policy_arns[0]", 224),
        ("IAMG-001", "aws_iam_policy.later_cap", AFTER.format(7) + ".policy", 258),
        ("IAMG-001", "aws_iam_role.late", AFTER.format(8) + ".permissions_boundary", 289),
        ("IAMG-301", "aws_iam_role.late", AFTER.format(8) + ".managed_policy_arns[0]", 298),
    ]
    plan = load_json(str(FIXTURES / "boundary_in_plan.json"), (FIXTURES / "boundary_in_plan.json").read_text())
    roles = {s.resource: s.role for s in terraform_sources(plan) if s.role is not None}
    capped = roles["aws_iam_role.capped"].boundary
    assert capped is not None
    assert (capped.origin, capped.arn, capped.base, capped.attached_at, capped.reported_elsewhere) == (
        "boundary", "arn:aws:iam::111122223333:policy/read-only-cap", ("resource_changes", 0, "change", "after", "policy"),
        ("resource_changes", 2, "change", "after", "permissions_boundary"), False)
    assert capped.document == {"Version": "2012-10-17",
                               "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
    team = roles["module.team.aws_iam_role.admin"].boundary
    assert team is not None and team.arn == "arn:aws:iam::111122223333:policy/team-cap"
    (escalating,) = roles["aws_iam_role.escalating"].permissions
    assert escalating.base == ("resource_changes", 5, "change", "after", "policy")
    assert escalating.attached_at == ("resource_changes", 6, "change", "after", "managed_policy_arns", 0)


def test_a_shared_policy_not_known_statically_is_iamg_001_on_each_role_where_it_reaches_it(tmp_path: Path) -> None:
    # Two roles name aws_iam_policy.later_cap (whose document is known only after apply) in
    # managed_policy_arns: one IAMG-001 on the policy, and one per role at its own reference
    # (rules spec, Amendments, Locations), not all of them at the shared policy.
    plan = json.loads((FIXTURES / "boundary_in_plan.json").read_text())
    changes = plan["resource_changes"]
    config = plan["configuration"]["root_module"]["resources"]
    escalating = next(i for i, rc in enumerate(changes) if rc["address"] == "aws_iam_role.escalating")
    for address in ("aws_iam_role.escalating", "aws_iam_role.escalating_too"):
        if address != "aws_iam_role.escalating":
            change = copy.deepcopy(changes[escalating])
            change["address"], change["name"] = address, address.split(".")[1]
            change["change"]["after"]["name"] = "escalating-too"
            changes.append(change)
            block = copy.deepcopy(next(r for r in config if r["address"] == "aws_iam_role.escalating"))
            block["address"], block["name"] = address, address.split(".")[1]
            config.append(block)
        expressions = next(r for r in config if r["address"] == address)["expressions"]
        expressions["managed_policy_arns"] = {"references": ["aws_iam_policy.later_cap.arn", "aws_iam_policy.later_cap"]}
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan, indent=2))
    report = scan([path], Config(trusted_accounts=("444455556666",)))
    assert report.errors == ()
    unknown = [(v.resource, v.path) for v in report.violations if v.rule_id == "IAMG-001"]
    assert unknown == [
        ("aws_iam_role.escalating", AFTER.format(escalating) + ".managed_policy_arns[0]"),
        ("aws_iam_policy.later_cap", AFTER.format(7) + ".policy"),
        ("aws_iam_role.late", AFTER.format(8) + ".permissions_boundary"),
        ("aws_iam_role.escalating_too", AFTER.format(len(changes) - 1) + ".managed_policy_arns[0]"),
    ]


# --- the resource section (what custom rules read: kind, address, name, path, tags) -------------------------


def _change(address: str, after: dict[str, Any], unknown: dict[str, Any] | None = None,
            sensitive: dict[str, Any] | None = None, mode: str = "managed") -> dict[str, Any]:
    segments = address.split(".")
    kind = segments[-2]
    return {"address": address, "mode": mode, "type": kind, "name": segments[-1],
            "change": {"actions": ["read" if mode == "data" else "create"], "before": None, "after": after,
                       "after_unknown": unknown or {}, "after_sensitive": sensitive or {}}}


_TRUST_TEXT = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
_POLICY_TEXT = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                                                                    "Resource": "*"}]})


def _role(name: Any = "ci", **attributes: Any) -> dict[str, Any]:
    return {"name": name, "path": "/", "assume_role_policy": _TRUST_TEXT, "max_session_duration": 3600,
            "tags": None, "tags_all": {}, **attributes}


def _resource_sections(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per address, the `resource` section of its documents (every document of a resource has
    the same)."""
    from pyiamguard.normalize.policy import normalize_policy

    out: dict[str, dict[str, Any]] = {}
    for policy in terraform_sources(load_json("plan.json", json.dumps(plan))):
        section = normalize_policy(policy.document, kind=policy.kind, base=policy.base, role=policy.role,
                                   resource=policy.facts).engine_input["resource"]
        assert out.setdefault(policy.resource, section) == section
    return out


def _plan(*changes: dict[str, Any], providers: dict[str, Any] | None = None) -> dict[str, Any]:
    plan: dict[str, Any] = {"format_version": "1.2", "resource_changes": list(changes)}
    if providers is not None:
        plan["configuration"] = {"provider_config": providers, "root_module": {"resources": [
            {"address": c["address"], "mode": c["mode"], "type": c["type"], "name": c["name"],
             "provider_config_key": "aws", "expressions": {}} for c in changes]}}
    return plan


def test_a_role_of_a_plan_has_its_type_address_name_path_and_tags_all() -> None:
    # tags_all holds the provider's default_tags (Env) beside the role's own tags.
    plan = _plan(_change("module.ci.aws_iam_role.deploy", _role("deployer", path="/ci/", tags={"Team": "platform"},
                                                                tags_all={"Team": "platform", "Env": "prod"})))
    assert _resource_sections(plan) == {"module.ci.aws_iam_role.deploy": {
        "format": "terraform_plan", "kind": "aws_iam_role", "address": "module.ci.aws_iam_role.deploy",
        "name": "deployer", "path": "/ci/", "tags": {"Team": "platform", "Env": "prod"}, "unresolved": []}}


def test_a_name_from_name_prefix_and_a_tag_known_only_after_apply_are_unresolved() -> None:
    plan = _plan(_change("aws_iam_role.prefixed", _role(None, name_prefix="ci-", tags={"Team": "platform"},
                                                        tags_all={"Team": "platform"}),
                         {"name": True, "tags": {"Owner": True}, "tags_all": {"Owner": True}}))
    assert _resource_sections(plan)["aws_iam_role.prefixed"] == {
        "format": "terraform_plan", "kind": "aws_iam_role", "address": "aws_iam_role.prefixed", "name": "",
        "path": "/", "tags": {"Team": "platform", "Owner": ""}, "unresolved": ["name", "tags.Owner"]}


def test_tags_known_only_after_apply_as_a_whole_are_an_unknown_tag_set() -> None:
    # `tags = var.tags` with an unknown value: tags and tags_all wholly unknown.
    role = _role("ci", tags=None, tags_all=None, path=None)
    plan = _plan(_change("aws_iam_role.r", role, {"tags": True, "tags_all": True, "path": True}))
    section = _resource_sections(plan)["aws_iam_role.r"]
    assert (section["name"], section["path"], section["tags"], section["unresolved"]) == ("ci", "", {}, ["path", "tags"])


def test_without_a_known_tags_all_the_tags_merge_over_the_providers_constant_default_tags() -> None:
    providers = {"aws": {"name": "aws", "expressions": {"default_tags": [{"tags": {"constant_value": {
        "Env": "prod", "Team": "default"}}}]}}}
    plan = _plan(_change("aws_iam_role.r", _role("r", tags={"Team": "platform"}, tags_all=None), {"tags_all": True}),
                 providers=providers)
    assert _resource_sections(plan)["aws_iam_role.r"]["tags"] == {"Env": "prod", "Team": "platform"}
    # No default_tags: the role's own tags (or none) are the whole set.
    plan = _plan(_change("aws_iam_role.r", _role("r", tags=None, tags_all=None), {"tags_all": True}),
                 providers={"aws": {"name": "aws", "expressions": {}}})
    section = _resource_sections(plan)["aws_iam_role.r"]
    assert (section["tags"], section["unresolved"]) == ({}, [])
    # default_tags from a variable: which tags the role gets is not known.
    providers = {"aws": {"name": "aws", "expressions": {"default_tags": [{"tags": {"references": ["var.tags"]}}]}}}
    plan = _plan(_change("aws_iam_role.r", _role("r", tags={"Team": "platform"}, tags_all=None), {"tags_all": True}),
                 providers=providers)
    section = _resource_sections(plan)["aws_iam_role.r"]
    assert (section["tags"], section["unresolved"]) == ({}, ["tags"])


def test_policies_and_documents_of_a_plan_have_their_own_type_address_and_name() -> None:
    plan = _plan(
        _change("aws_iam_role_policy.inline", {"name": "s3-read", "role": "ci", "policy": _POLICY_TEXT}),
        _change("aws_iam_role_policy.unnamed", {"role": "ci", "policy": _POLICY_TEXT}, {"name": True}),
        _change("aws_iam_policy.shared", {"name": "shared", "path": "/team/", "policy": _POLICY_TEXT, "tags": None,
                                          "tags_all": {"CostCenter": "42"}}),
        _change("aws_iam_user_policy.alice", {"name": "alice-s3", "user": "alice", "policy": _POLICY_TEXT}),
        _change("data.aws_iam_policy_document.doc", {"json": _POLICY_TEXT}, mode="data"),
    )
    sections = _resource_sections(plan)
    assert {a: (s["kind"], s["name"], s["path"], s["tags"], s["unresolved"]) for a, s in sections.items()} == {
        "aws_iam_role_policy.inline": ("aws_iam_role_policy", "s3-read", "", {}, []),
        "aws_iam_role_policy.unnamed": ("aws_iam_role_policy", "", "", {}, ["name"]),
        "aws_iam_policy.shared": ("aws_iam_policy", "shared", "/team/", {"CostCenter": "42"}, []),
        "aws_iam_user_policy.alice": ("aws_iam_user_policy", "alice-s3", "", {}, []),
        "data.aws_iam_policy_document.doc": ("aws_iam_policy_document", "", "", {}, []),
    }
    assert {s["format"] for s in sections.values()} == {"terraform_plan"}
    assert all(s["address"] == a for a, s in sections.items())


def test_tag_values_that_are_not_engine_safe_or_sensitive_never_reach_the_engine_as_written() -> None:
    from pyiamguard.normalize.values import engine_token

    tags = {"Owner": "José \"Pepe\" Núñez", "Secret": "hunter2", "Plain": "ok"}
    plan = _plan(_change("aws_iam_role.r", _role("r", tags=tags, tags_all=tags), {},
                         {"tags": {"Secret": True}, "tags_all": {"Secret": True}}))
    section = _resource_sections(plan)["aws_iam_role.r"]
    assert section["tags"] == {"Owner": engine_token(tags["Owner"]), "Secret": "", "Plain": "ok"}
    assert section["tags"]["Owner"].startswith("~") and section["unresolved"] == ["tags.Secret"]


def test_the_scanner_gives_the_engine_each_documents_resource_section(monkeypatch: pytest.MonkeyPatch,
                                                                      tmp_path: Path) -> None:
    import pyiamguard.scanner as scanner_module

    seen: list[dict[str, Any]] = []
    original = scanner_module.normalize_policy

    def recording(*args: Any, **kwargs: Any) -> Any:
        normalized = original(*args, **kwargs)
        seen.append(normalized.engine_input["resource"])
        return normalized

    monkeypatch.setattr(scanner_module, "normalize_policy", recording)
    plan = _plan(_change("aws_iam_role.r", _role("r", tags={"Team": "a"}, tags_all={"Team": "a"})))
    scan([_write(tmp_path / "plan.json", plan)])
    assert seen == [{"format": "terraform_plan", "kind": "aws_iam_role", "address": "aws_iam_role.r", "name": "r",
                     "path": "/", "tags": {"Team": "a"}, "unresolved": []}]


# --- deferred documents whose lists are unknown as a whole -------------------------------------


def _deferred_plan(statement: dict[str, Any], statement_unknown: dict[str, Any],
                   extra_after: dict[str, Any] | None = None, extra_unknown: dict[str, Any] | None = None) -> dict[str, Any]:
    """A role whose trust is a policy document read only at apply (its `json` unknown)."""
    after = {"statement": [statement], "override_policy_documents": None, "source_policy_documents": None}
    after.update(extra_after or {})
    unknown = {"json": True, "statement": [statement_unknown]}
    unknown.update(extra_unknown or {})
    return {
        "format_version": "1.2",
        "resource_changes": [
            {"address": "data.aws_iam_policy_document.d", "mode": "data", "type": "aws_iam_policy_document", "name": "d",
             "change": {"actions": ["read"], "before": None, "after": after, "after_unknown": unknown}},
            {"address": "aws_iam_role.r", "mode": "managed", "type": "aws_iam_role", "name": "r",
             "change": {"actions": ["create"], "before": None, "after": {"name": "r", "path": "/"},
                        "after_unknown": {"arn": True, "assume_role_policy": True}}},
        ],
        "configuration": {"root_module": {"resources": [
            {"address": "aws_iam_role.r", "mode": "managed", "type": "aws_iam_role", "name": "r",
             "expressions": {"assume_role_policy": {"references": ["data.aws_iam_policy_document.d.json",
                                                                   "data.aws_iam_policy_document.d"]}}},
            {"address": "data.aws_iam_policy_document.d", "mode": "data", "type": "aws_iam_policy_document",
             "name": "d", "expressions": {}}]}},
    }


FOREIGN_ROLE = "arn:aws:iam::111122223333:role/x"


def test_unknown_identifiers_of_a_deferred_document_are_iamg_001_not_an_empty_list(tmp_path: Path) -> None:
    plan = _deferred_plan({"actions": ["sts:AssumeRole"], "principals": [{"type": "AWS", "identifiers": None}]},
                          {"principals": [{"identifiers": True}]})
    report = _scan(_write(tmp_path / "plan.json", plan))
    assert [(v.rule_id, v.resource) for v in report.violations] == [("IAMG-001", "aws_iam_role.r")]
    assert "'data.aws_iam_policy_document.d.statement[0].principals'" in report.violations[0].message


def test_unknown_principals_blocks_of_a_deferred_document_are_iamg_001(tmp_path: Path) -> None:
    plan = _deferred_plan({"actions": ["sts:AssumeRole"], "principals": None}, {"principals": True})
    report = _scan(_write(tmp_path / "plan.json", plan))
    assert [(v.rule_id, v.resource) for v in report.violations] == [("IAMG-001", "aws_iam_role.r")]


def test_unknown_condition_blocks_leave_the_external_id_undecided(tmp_path: Path) -> None:
    # `dynamic "condition"` over an unknown list: the ExternalId condition may be there.
    plan = _deferred_plan({"actions": ["sts:AssumeRole"], "condition": None,
                           "principals": [{"type": "AWS", "identifiers": [FOREIGN_ROLE]}]},
                          {"condition": True})
    report = _scan(_write(tmp_path / "plan.json", plan))
    assert sorted((v.rule_id, v.resource) for v in report.violations) == [
        ("IAMG-001", "aws_iam_role.r"), ("IAMG-102", "aws_iam_role.r")]


def test_unknown_override_documents_make_the_whole_deferred_document_unknown(tmp_path: Path) -> None:
    # An override may replace any statement by Sid: the blocks alone say nothing certain.
    plan = _deferred_plan({"actions": ["sts:AssumeRole"], "principals": [{"type": "AWS", "identifiers": ["*"]}]},
                          {}, extra_unknown={"override_policy_documents": True})
    report = _scan(_write(tmp_path / "plan.json", plan))
    assert [(v.rule_id, v.resource) for v in report.violations] == [("IAMG-001", "aws_iam_role.r")]
    assert "'data.aws_iam_policy_document.d.json'" in report.violations[0].message


def test_a_policy_document_alone_is_judged_in_the_account_of_its_provider(tmp_path: Path) -> None:
    own = "123456789012"
    document = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": f"arn:aws:iam::{own}:root"}}]}
    plan = {
        "format_version": "1.2",
        "resource_changes": [],
        "prior_state": {"format_version": "1.0", "values": {"root_module": {"resources": [
            {"address": "data.aws_caller_identity.current", "mode": "data", "type": "aws_caller_identity",
             "name": "current", "values": {"account_id": own}},
            {"address": "data.aws_iam_policy_document.d", "mode": "data", "type": "aws_iam_policy_document",
             "name": "d", "values": {"json": json.dumps(document)}}]}}},
    }
    report = _scan(_write(tmp_path / "plan.json", plan))
    # The own account as a whole (IAMG-105, LOW for one's own account), never cross-account.
    assert [(v.rule_id, v.resource, v.severity.name) for v in report.violations] == [
        ("IAMG-105", "data.aws_iam_policy_document.d", "LOW")]
