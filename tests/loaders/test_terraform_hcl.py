"""Terraform sources (`.tf`) end to end: module directories written in tmp_path, scanned through
the public API (`pyiamguard.scanner.scan`) or the CLI.

pyiamguard evaluates the module into the plan `terraform plan` would show and reads it with the
plan loader: the tests pin exactly which rule fires on which resource address, at which file,
line and column, for each way a policy can be written in HCL; what Terraform knows only at
apply is IAMG-001, never a silent pass.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pyiamguard.cli import main
from pyiamguard.config import Config
from pyiamguard.model import Report
from pyiamguard.scanner import scan

Found = tuple[str, str, str, int | None, int | None]

TRUST_PARTNER = '''jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { AWS = "arn:aws:iam::999988887777:root" }
      Condition = { StringEquals = { "sts:ExternalId" = "x" } }
    }]
  })'''


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def _scan(root: Path, files: dict[str, str], **config: Any) -> Report:
    _write(root, files)
    return scan([root], Config(**config))


def _found(report: Report, root: Path) -> list[Found]:
    return sorted((v.rule_id, v.resource, str(Path(v.file).relative_to(root)), v.line, v.column)
                  for v in report.violations)


def _paths(report: Report) -> dict[tuple[str, str], str]:
    return {(v.rule_id, v.resource): v.location.path for v in report.violations}


def _errors(report: Report, root: Path) -> list[tuple[str, str]]:
    return sorted((str(Path(e.file).relative_to(root)), e.message) for e in report.errors)


# --- how a policy is written ------------------------------------------------------------------

def test_jsonencode_of_a_literal_object(tmp_path: Path) -> None:
    report = _scan(tmp_path, {"main.tf": '''resource "aws_iam_role" "r" {
  name = "r"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { AWS = "*" }
    }]
  })
}
'''})
    assert _found(report, tmp_path) == [("IAMG-101", "aws_iam_role.r", "main.tf", 8, 27)]
    assert _paths(report) == {("IAMG-101", "aws_iam_role.r"): "$['aws_iam_role.r'].assume_role_policy.Statement[0].Principal.AWS"}
    assert report.errors == ()


def test_heredoc_json_is_located_inside_the_heredoc(tmp_path: Path) -> None:
    report = _scan(tmp_path, {"main.tf": '''resource "aws_iam_role" "r" {
  name               = "r"
  assume_role_policy = <<-EOF
    {
      "Version": "2012-10-17",
      "Statement": [
        {
          "Effect": "Allow",
          "Action": "sts:AssumeRole",
          "Principal": {"AWS": "*"}
        }
      ]
    }
  EOF
}
'''})
    assert _found(report, tmp_path) == [("IAMG-101", "aws_iam_role.r", "main.tf", 10, 25)]


def test_a_json_string(tmp_path: Path) -> None:
    report = _scan(tmp_path, {"main.tf": '''resource "aws_iam_role" "r" {
  name = "r"
  assume_role_policy = "{\\"Version\\":\\"2012-10-17\\",\\"Statement\\":[{\\"Effect\\":\\"Allow\\",\\"Action\\":\\"sts:AssumeRole\\",\\"Principal\\":{\\"AWS\\":\\"*\\"}}]}"
}
'''})
    # a string written in one line: the finding is at the string
    assert _found(report, tmp_path) == [("IAMG-101", "aws_iam_role.r", "main.tf", 3, 24)]


def test_file_of_a_json_file_is_located_in_that_file(tmp_path: Path) -> None:
    report = _scan(tmp_path, {
        "main.tf": '''resource "aws_iam_role" "r" {
  name               = "r"
  assume_role_policy = file("${path.module}/policies/trust.json")
}
''',
        "policies/trust.json": '''{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": "sts:AssumeRole",
      "Principal": {"AWS": "*"}
    }
  ]
}
'''})
    # The role's finding points into trust.json; the walk also reads trust.json as a bare policy.
    assert _found(report, tmp_path) == [
        ("IAMG-101", "aws_iam_role.r", "policies/trust.json", 7, 21),
        ("IAMG-101", "trust.json", "policies/trust.json", 7, 21),
    ]
    assert _paths(report)[("IAMG-101", "aws_iam_role.r")] == "$['aws_iam_role.r'].assume_role_policy.Statement[0].Principal.AWS"


def test_templatefile_with_known_variables(tmp_path: Path) -> None:
    report = _scan(tmp_path, {
        "main.tf": '''resource "aws_iam_role" "r" {
  name               = "r"
  assume_role_policy = templatefile("${path.module}/trust.tpl", { account = "999988887777" })
}
''',
        "trust.tpl": '''{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Action": "sts:AssumeRole",
    "Principal": {"AWS": "arn:aws:iam::${account}:root"},
    "Condition": {"StringEquals": {"sts:ExternalId": "x"}}
  }]
}
'''}, own_accounts=("111122223333",))
    # rendered with the account, located at the templatefile() call
    assert _found(report, tmp_path) == [
        ("IAMG-102", "aws_iam_role.r", "main.tf", 3, 24),
        ("IAMG-105", "aws_iam_role.r", "main.tf", 3, 24),
    ]
    assert "'arn:aws:iam::999988887777:root'" in report.violations[0].message


# --- aws_iam_policy_document -----------------------------------------------------------------

DOCUMENTS = '''data "aws_iam_policy_document" "partner" {
  statement {
    sid     = "Partner"
    actions = ["sts:AssumeRole"]
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::999988887777:root"]
    }
    condition {
      test     = "StringEquals"
      variable = "sts:ExternalId"
      values   = ["secret-123"]
    }
  }
}

data "aws_iam_policy_document" "star" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
  }
}

data "aws_iam_policy_document" "overridden" {
  source_policy_documents = [data.aws_iam_policy_document.partner.json]
  override_policy_documents = [jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "Partner"
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { AWS = "arn:aws:iam::999988887777:root" }
    }]
  })]
}

data "aws_iam_policy_document" "heredoc_override" {
  source_policy_documents = [data.aws_iam_policy_document.partner.json]
  override_policy_documents = [<<-EOF
    {
      "Statement": {
        "Sid": "Partner",
        "Effect": "Allow",
        "Action": "sts:AssumeRole",
        "Principal": {"AWS": "*"}
      }
    }
  EOF
  ]
}

resource "aws_iam_role" "partner" {
  name               = "partner"
  assume_role_policy = data.aws_iam_policy_document.partner.json
}

resource "aws_iam_role" "star" {
  name               = "star"
  assume_role_policy = data.aws_iam_policy_document.star.json
}

resource "aws_iam_role" "overridden" {
  name               = "overridden"
  assume_role_policy = data.aws_iam_policy_document.overridden.json
}

resource "aws_iam_role" "heredoc_override" {
  name               = "heredoc_override"
  assume_role_policy = data.aws_iam_policy_document.heredoc_override.json
}
'''


def test_policy_documents_are_rendered_and_reported_on_the_role(tmp_path: Path) -> None:
    report = _scan(tmp_path, {"main.tf": DOCUMENTS}, own_accounts=("111122223333",))
    assert _found(report, tmp_path) == [
        # the ExternalId condition of the partner statement holds: only the account findings
        ("IAMG-101", "aws_iam_role.heredoc_override", "main.tf", 48, 23),  # the override's Principal
        ("IAMG-101", "aws_iam_role.star", "main.tf", 20, 5),  # type "*" renders "Principal": "*"
        # the override replaces the restrictive statement (same Sid): no ExternalId any more
        ("IAMG-102", "aws_iam_role.overridden", "main.tf", 35, 27),
        ("IAMG-102", "aws_iam_role.partner", "main.tf", 7, 22),
        ("IAMG-103", "aws_iam_role.overridden", "main.tf", 35, 27),
        ("IAMG-104", "aws_iam_role.overridden", "main.tf", 35, 27),
        ("IAMG-105", "aws_iam_role.overridden", "main.tf", 35, 27),
        ("IAMG-105", "aws_iam_role.partner", "main.tf", 7, 22),
    ]
    # reported on the role that uses the document, never a second time on the data source
    assert not [v for v in report.violations if v.resource.startswith("data.")]
    assert _paths(report)[("IAMG-101", "aws_iam_role.star")] == "$['aws_iam_role.star'].assume_role_policy.Statement[0].Principal"
    assert report.errors == ()


def test_an_unused_policy_document_is_reported_on_itself(tmp_path: Path) -> None:
    report = _scan(tmp_path, {"main.tf": '''data "aws_iam_policy_document" "unused" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "AWS"
      identifiers = ["*"]
    }
  }
}
'''})
    assert _found(report, tmp_path) == [("IAMG-101", "data.aws_iam_policy_document.unused", "main.tf", 6, 22)]
    assert _paths(report) == {("IAMG-101", "data.aws_iam_policy_document.unused"):
                              "$['data.aws_iam_policy_document.unused'].json.Statement[0].Principal.AWS"}


def test_an_unknown_policy_document_argument_is_an_error(tmp_path: Path) -> None:
    report = _scan(tmp_path, {"main.tf": '''data "aws_iam_policy_document" "d" {
  statement {
    action = ["sts:AssumeRole"]
    principals {
      type        = "AWS"
      identifiers = ["*"]
    }
  }
}
'''})
    assert _errors(report, tmp_path) == [
        ("main.tf", "data.aws_iam_policy_document.d: statement block has no argument action (did you mean actions?) "
                    "(line 3); Terraform rejects this configuration")]


def test_a_missing_required_argument_is_an_error(tmp_path: Path) -> None:
    report = _scan(tmp_path, {"main.tf": 'resource "aws_iam_role" "r" {\n  name = "r"\n}\n'})
    assert _errors(report, tmp_path) == [
        ("main.tf", "aws_iam_role.r: the required argument assume_role_policy is missing (line 1); "
                    "Terraform rejects this configuration")]
    assert report.violations == ()


# --- what a role can do ----------------------------------------------------------------------

PERMISSIONS = f'''locals {{
  admin = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Action = "*", Resource = "*" }}]
  }})
}}

resource "aws_iam_role" "inline" {{
  name               = "inline"
  assume_role_policy = {TRUST_PARTNER}
  inline_policy {{
    name   = "admin"
    policy = local.admin
  }}
}}

resource "aws_iam_role" "attached" {{
  name                 = "attached"
  assume_role_policy   = {TRUST_PARTNER}
  max_session_duration = 43200
}}

resource "aws_iam_policy" "admin" {{
  name   = "admin"
  policy = local.admin
}}

resource "aws_iam_role_policy_attachment" "a" {{
  role       = aws_iam_role.attached.name
  policy_arn = aws_iam_policy.admin.arn
}}

resource "aws_iam_role" "rp" {{
  name               = "rp"
  assume_role_policy = {TRUST_PARTNER}
}}

resource "aws_iam_role_policy" "rp" {{
  name   = "rp"
  role   = aws_iam_role.rp.id
  policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Action = "iam:PassRole", Resource = "*" }}]
  }})
}}

resource "aws_iam_role" "managed" {{
  name                = "managed"
  assume_role_policy  = {TRUST_PARTNER}
  managed_policy_arns = ["arn:aws:iam::aws:policy/AdministratorAccess"]
}}

resource "aws_iam_role" "bounded" {{
  name                 = "bounded"
  assume_role_policy   = {TRUST_PARTNER}
  managed_policy_arns  = ["arn:aws:iam::aws:policy/AdministratorAccess"]
  permissions_boundary = aws_iam_policy.boundary.arn
}}

resource "aws_iam_policy" "boundary" {{
  name   = "boundary"
  policy = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Effect = "Allow", Action = ["s3:GetObject"], Resource = "*" }}]
  }})
}}
'''


def test_role_permissions_inline_attached_role_policy_managed_and_boundary(tmp_path: Path) -> None:
    report = _scan(tmp_path, {"main.tf": PERMISSIONS}, own_accounts=("111122223333",),
                   trusted_accounts=("999988887777",))
    assert _found(report, tmp_path) == [
        ("IAMG-105", "aws_iam_role.attached", "main.tf", 32, 27),
        ("IAMG-105", "aws_iam_role.bounded", "main.tf", 92, 27),
        ("IAMG-105", "aws_iam_role.inline", "main.tf", 15, 27),
        ("IAMG-105", "aws_iam_role.managed", "main.tf", 78, 27),
        ("IAMG-105", "aws_iam_role.rp", "main.tf", 56, 27),
        ("IAMG-301", "aws_iam_role.attached", "main.tf", 46, 16),  # the attachment's policy_arn
        ("IAMG-301", "aws_iam_role.inline", "main.tf", 2, 11),  # the inline policy, where it is written (the local)
        ("IAMG-301", "aws_iam_role.managed", "main.tf", 82, 26),  # the managed_policy_arns entry
        ("IAMG-302", "aws_iam_role.rp", "main.tf", 65, 12),
        ("IAMG-304", "aws_iam_policy.admin", "main.tf", 4, 63),
        ("IAMG-304", "aws_iam_role.inline", "main.tf", 2, 11),
        ("IAMG-401", "aws_iam_role.attached", "main.tf", 36, 26),
    ]
    paths = _paths(report)
    assert paths[("IAMG-301", "aws_iam_role.attached")] == "$['aws_iam_role_policy_attachment.a'].policy_arn"
    assert paths[("IAMG-301", "aws_iam_role.inline")] == "$['aws_iam_role.inline'].inline_policy[0].policy"
    assert paths[("IAMG-401", "aws_iam_role.attached")] == "$['aws_iam_role.attached'].max_session_duration"
    # the boundary policy of the module (its ARN known only after apply, linked by reference) is
    # not admin-equivalent and caps the bounded role: no IAMG-301 on it


def test_a_boundary_outside_the_scan_does_not_cap(tmp_path: Path) -> None:
    report = _scan(tmp_path, {"main.tf": f'''resource "aws_iam_role" "r" {{
  name                 = "r"
  assume_role_policy   = {TRUST_PARTNER}
  managed_policy_arns  = ["arn:aws:iam::aws:policy/AdministratorAccess"]
  permissions_boundary = "arn:aws:iam::111122223333:policy/ReadOnlyBoundary"
}}
'''}, own_accounts=("111122223333",), trusted_accounts=("999988887777",), disabled_rules=("IAMG-105",))
    assert _found(report, tmp_path) == [("IAMG-301", "aws_iam_role.r", "main.tf", 12, 27)]
    assert report.violations[0].message.endswith("; its permissions boundary is defined outside this scan")


def test_missing_permissions_boundary_when_required(tmp_path: Path) -> None:
    report = _scan(tmp_path, {"main.tf": f'''resource "aws_iam_role" "r" {{
  name               = "r"
  assume_role_policy = {TRUST_PARTNER}
}}

resource "aws_iam_role" "b" {{
  name                 = "b"
  assume_role_policy   = {TRUST_PARTNER}
  permissions_boundary = "arn:aws:iam::111122223333:policy/Boundary"
}}
'''}, own_accounts=("111122223333",), trusted_accounts=("999988887777",), require_permissions_boundary=True,
        disabled_rules=("IAMG-105",))
    assert _found(report, tmp_path) == [("IAMG-402", "aws_iam_role.r", "main.tf", 1, 1)]


# --- count, for_each, variables, modules -----------------------------------------------------

def test_count_and_for_each_over_literal_collections(tmp_path: Path) -> None:
    report = _scan(tmp_path, {"main.tf": '''variable "accounts" {
  default = ["999988887777", "444455556666"]
}

resource "aws_iam_role" "counted" {
  count              = 2
  name               = "counted-${count.index}"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { AWS = "arn:aws:iam::${var.accounts[count.index]}:role/ci" }
      Condition = { StringEquals = { "sts:ExternalId" = "x" } }
    }]
  })
}

resource "aws_iam_role" "each" {
  for_each           = { a = "999988887777", b = "*" }
  name               = "each-${each.key}"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { AWS = each.value }
      Condition = { StringEquals = { "sts:ExternalId" = "x" } }
    }]
  })
}
'''}, own_accounts=("111122223333",))
    assert _found(report, tmp_path) == [
        ("IAMG-101", 'aws_iam_role.each["b"]', "main.tf", 20, 50),  # where each.value was written
        ("IAMG-102", "aws_iam_role.counted[0]", "main.tf", 13, 27),
        ("IAMG-102", "aws_iam_role.counted[1]", "main.tf", 13, 27),
        ("IAMG-102", 'aws_iam_role.each["a"]', "main.tf", 20, 30),
        ("IAMG-105", 'aws_iam_role.each["a"]', "main.tf", 20, 30),
    ]
    messages = {v.resource: v.message for v in report.violations if v.rule_id == "IAMG-102"}
    assert "'arn:aws:iam::444455556666:role/ci'" in messages["aws_iam_role.counted[1]"]


def test_interpolation_from_a_variable_default(tmp_path: Path) -> None:
    report = _scan(tmp_path, {"main.tf": '''variable "partner" {
  type    = string
  default = "999988887777"
}

resource "aws_iam_role" "r" {
  name = "r"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { AWS = "arn:aws:iam::${var.partner}:root" }
    }]
  })
}
'''}, own_accounts=("111122223333",))
    assert _found(report, tmp_path) == [
        ("IAMG-102", "aws_iam_role.r", "main.tf", 13, 27),
        ("IAMG-103", "aws_iam_role.r", "main.tf", 13, 27),
        ("IAMG-104", "aws_iam_role.r", "main.tf", 13, 27),
        ("IAMG-105", "aws_iam_role.r", "main.tf", 13, 27),
    ]
    assert "'arn:aws:iam::999988887777:root'" in report.violations[0].message


def test_a_variable_without_default_is_unresolved(tmp_path: Path) -> None:
    report = _scan(tmp_path, {"main.tf": '''variable "partner" {}

resource "aws_iam_role" "r" {
  name = "r"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { AWS = "arn:aws:iam::${var.partner}:root" }
    }]
  })
}
'''})
    assert _found(report, tmp_path) == [("IAMG-001", "aws_iam_role.r", "main.tf", 5, 24)]
    message = report.violations[0].message
    assert message.startswith("The trust policy 'aws_iam_role.r.assume_role_policy'")
    assert "cannot be known before deployment, so who may assume the role could not be verified" in message
    assert "var.partner" in message and "no default" in message  # what it depends on, and why


def test_a_module_input_overrides_the_default(tmp_path: Path) -> None:
    report = _scan(tmp_path, {
        "main.tf": '''module "partner" {
  source  = "./mod"
  account = "999988887777"
}

module "defaulted" {
  source = "./mod"
}
''',
        "mod/main.tf": '''variable "account" {
  default = "111122223333"
}

resource "aws_iam_role" "r" {
  name = "r"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { AWS = "arn:aws:iam::${var.account}:role/ci" }
      Condition = { StringEquals = { "sts:ExternalId" = "x" } }
    }]
  })
}
'''}, own_accounts=("111122223333",))
    # only the instance given another account is cross-account; the module is scanned through
    # its callers, with the values they pass, never on its own
    assert _found(report, tmp_path) == [("IAMG-102", "module.partner.aws_iam_role.r", "mod/main.tf", 12, 27)]
    assert _paths(report) == {("IAMG-102", "module.partner.aws_iam_role.r"):
                              "$['module.partner.aws_iam_role.r'].assume_role_policy.Statement[0].Principal.AWS"}


def test_a_remote_module_is_noted_as_not_scanned_not_an_error(tmp_path: Path) -> None:
    report = _scan(tmp_path, {"main.tf": '''module "iam" {
  source  = "terraform-aws-modules/iam/aws"
  version = "5.0.0"
}

resource "aws_iam_role" "r" {
  name               = "r"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ec2.amazonaws.com" } }]
  })
}
'''}, own_accounts=("111122223333",))
    assert report.errors == ()
    assert report.violations == ()
    assert [(Path(f).name, why) for f, why in report.skipped_files] == [
        ("main.tf", "module.iam (line 1): source 'terraform-aws-modules/iam/aws' is not a local directory and "
                    "`terraform init` has not installed it (.terraform/modules), so its resources are not scanned "
                    "and its outputs are unknown")]


def test_a_remote_module_that_terraform_init_installed_is_followed(tmp_path: Path) -> None:
    installed = """variable "partner" {}

resource "aws_iam_role" "this" {
  name = "vendor"
  assume_role_policy = jsonencode({
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { AWS = "arn:aws:iam::${var.partner}:root" } }]
  })
}
"""
    report = _scan(tmp_path, {
        "main.tf": 'module "vendor" {\n  source  = "acme/vendor-role/aws"\n  version = "1.2.0"\n  partner = "999988887777"\n}\n',
        ".terraform/modules/modules.json": json.dumps({"Modules": [
            {"Key": "", "Source": "", "Dir": "."},
            {"Key": "vendor", "Source": "registry.terraform.io/acme/vendor-role/aws", "Version": "1.2.0",
             "Dir": ".terraform/modules/vendor"}]}),
        ".terraform/modules/vendor/main.tf": installed,
    })
    assert report.errors == () and report.skipped_files == ()
    assert _found(report, tmp_path) == [
        ("IAMG-102", "module.vendor.aws_iam_role.this", ".terraform/modules/vendor/main.tf", 6, 85),
        ("IAMG-103", "module.vendor.aws_iam_role.this", ".terraform/modules/vendor/main.tf", 6, 85),
        ("IAMG-104", "module.vendor.aws_iam_role.this", ".terraform/modules/vendor/main.tf", 6, 85),
        ("IAMG-105", "module.vendor.aws_iam_role.this", ".terraform/modules/vendor/main.tf", 6, 85),
    ]


def test_an_unknown_remote_module_output_is_unresolved(tmp_path: Path) -> None:
    report = _scan(tmp_path, {"main.tf": '''module "accounts" {
  source = "git::https://example.com/accounts.git"
}

resource "aws_iam_role" "r" {
  name = "r"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { AWS = module.accounts.partner_arn }
    }]
  })
}
'''})
    assert _found(report, tmp_path) == [("IAMG-001", "aws_iam_role.r", "main.tf", 7, 24)]


# --- the own account -------------------------------------------------------------------------

CALLER = '''data "aws_caller_identity" "me" {}

resource "aws_iam_role" "own" {
  name = "own"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { AWS = "arn:aws:iam::${data.aws_caller_identity.me.account_id}:root" }
    }]
  })
}

resource "aws_iam_role" "own_role" {
  name = "own_role"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { AWS = "arn:aws:iam::${data.aws_caller_identity.me.account_id}:role/admin" }
    }]
  })
}
'''


def test_caller_identity_is_this_modules_own_account(tmp_path: Path) -> None:
    report = _scan(tmp_path, {"main.tf": CALLER})
    # never cross-account (no IAMG-102/103/104); a whole own account is IAMG-105 only
    assert _found(report, tmp_path) == [("IAMG-105", "aws_iam_role.own", "main.tf", 10, 27)]
    message = report.violations[0].message
    assert "this module's own account" in message
    assert "999988887777" not in message and "000000000000" not in message


def test_caller_identity_is_the_configured_own_account(tmp_path: Path) -> None:
    report = _scan(tmp_path, {"main.tf": CALLER}, own_accounts=("111122223333",))
    assert _found(report, tmp_path) == [("IAMG-105", "aws_iam_role.own", "main.tf", 10, 27)]
    assert "the whole account 111122223333, 'arn:aws:iam::111122223333:root'" in report.violations[0].message


def test_github_oidc_trust_without_sub(tmp_path: Path) -> None:
    report = _scan(tmp_path, {"main.tf": '''data "aws_caller_identity" "me" {}

data "aws_iam_policy_document" "gha" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = ["arn:aws:iam::${data.aws_caller_identity.me.account_id}:oidc-provider/token.actions.githubusercontent.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:aud"
      values   = ["sts.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "gha" {
  name               = "gha"
  assume_role_policy = data.aws_iam_policy_document.gha.json
}
'''}, own_accounts=("111122223333",))
    assert _found(report, tmp_path) == [("IAMG-201", "aws_iam_role.gha", "main.tf", 8, 22)]
    assert "token.actions.githubusercontent.com:sub" in report.violations[0].message


# --- dynamic blocks and unknown collections --------------------------------------------------

def test_dynamic_statement_principals_and_condition_blocks(tmp_path: Path) -> None:
    report = _scan(tmp_path, {"main.tf": '''variable "principals" {
  default = {
    AWS = ["arn:aws:iam::999988887777:root"]
  }
}

data "aws_iam_policy_document" "dyn" {
  dynamic "statement" {
    for_each = ["One"]
    content {
      sid     = statement.value
      actions = ["sts:AssumeRole"]
      dynamic "principals" {
        for_each = var.principals
        content {
          type        = principals.key
          identifiers = principals.value
        }
      }
      dynamic "condition" {
        for_each = { "aws:MultiFactorAuthPresent" = "true" }
        iterator = c
        content {
          test     = "Bool"
          variable = c.key
          values   = [c.value]
        }
      }
    }
  }
}

resource "aws_iam_role" "dyn" {
  name               = "dyn"
  assume_role_policy = data.aws_iam_policy_document.dyn.json
}
'''}, own_accounts=("111122223333",))
    # the MFA condition from the dynamic block holds (no IAMG-104); the principal is located in
    # the variable's default
    assert _found(report, tmp_path) == [
        ("IAMG-102", "aws_iam_role.dyn", "main.tf", 3, 12),
        ("IAMG-103", "aws_iam_role.dyn", "main.tf", 3, 12),
        ("IAMG-105", "aws_iam_role.dyn", "main.tf", 3, 12),
    ]
    assert report.violations[0].message.startswith("Statement 1 (Sid 'One') trusts 'arn:aws:iam::999988887777:root'")


def test_an_unknown_for_each_is_unresolved(tmp_path: Path) -> None:
    report = _scan(tmp_path, {"main.tf": '''variable "partners" {
  type = map(string)
}

resource "aws_iam_role" "r" {
  for_each           = var.partners
  name               = each.key
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { AWS = "arn:aws:iam::${each.value}:root" } }]
  })
}
'''})
    assert _found(report, tmp_path) == [("IAMG-001", 'aws_iam_role.r["(unknown)"]', "main.tf", 8, 24)]


def test_an_unknown_dynamic_for_each_is_unresolved(tmp_path: Path) -> None:
    report = _scan(tmp_path, {"main.tf": '''variable "ids" {
  type = list(string)
}

data "aws_iam_policy_document" "d" {
  statement {
    actions = ["sts:AssumeRole"]
    dynamic "principals" {
      for_each = var.ids
      content {
        type        = "AWS"
        identifiers = [principals.value]
      }
    }
  }
}

resource "aws_iam_role" "r" {
  name               = "r"
  assume_role_policy = data.aws_iam_policy_document.d.json
}
'''})
    # the principals block list is unknown as a whole (not empty: no IAMG-002)
    assert _found(report, tmp_path) == [("IAMG-001", "aws_iam_role.r", "main.tf", 5, 1)]
    assert _paths(report) == {("IAMG-001", "aws_iam_role.r"): "$['aws_iam_role.r'].assume_role_policy.Statement[0].Principal"}
    assert "for_each is unknown" in report.violations[0].message


# --- errors, suppressions, walks, reports ----------------------------------------------------

def test_broken_hcl_is_one_error_and_the_rest_is_scanned(tmp_path: Path) -> None:
    report = _scan(tmp_path, {
        "a/bad.tf": 'resource "aws_iam_role" "x" {\n  name = "x"\n  assume_role_policy = {\n}\n',
        "a/good.tf": '''resource "aws_iam_role" "y" {
  name               = "y"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { AWS = "*" } }]
  })
}
''',
        "b/main.tf": '''resource "aws_iam_role" "z" {
  name               = "z"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { AWS = "*" } }]
  })
}
'''})
    assert _errors(report, tmp_path) == [
        ("a/bad.tf", "invalid HCL at line 5, column 1: unexpected end of file (an unclosed block, bracket or string?)")]
    assert _found(report, tmp_path) == [
        ("IAMG-101", "aws_iam_role.y", "a/good.tf", 5, 85),
        ("IAMG-101", "aws_iam_role.z", "b/main.tf", 5, 85),
    ]


SUPPRESSED = '''# pyiamguard:ignore IAMG-105 the partner account is ours, audited
resource "aws_iam_role" "valid" {
  name               = "valid"
  assume_role_policy = %(trust)s
}

resource "aws_iam_role" "no_reason" {
  # pyiamguard:ignore IAMG-105
  name               = "no_reason"
  assume_role_policy = %(trust)s
}

resource "aws_iam_role" "bad_id" {
  # pyiamguard:ignore IAMG-1O5 typo in the id
  name               = "bad_id"
  assume_role_policy = %(trust)s
}
''' % {"trust": TRUST_PARTNER}


def test_suppression_comments(tmp_path: Path) -> None:
    report = _scan(tmp_path, {"main.tf": SUPPRESSED}, own_accounts=("111122223333",), trusted_accounts=("999988887777",))
    assert _found(report, tmp_path) == [
        ("IAMG-105", "aws_iam_role.bad_id", "main.tf", 37, 27),
        ("IAMG-105", "aws_iam_role.no_reason", "main.tf", 23, 27),
    ]
    assert [(v.rule_id, v.resource, v.suppression) for v in report.suppressed] == [
        ("IAMG-105", "aws_iam_role.valid", "the partner account is ours, audited")]
    assert _errors(report, tmp_path) == [
        ("main.tf", "the suppression at line 30 needs a rule id like IAMG-103; it suppresses nothing"),
        ("main.tf", "the suppression of IAMG-105 at line 16 needs a reason; it suppresses nothing"),
    ]


def test_tf_files_in_nested_directories_of_a_walk(tmp_path: Path) -> None:
    role = '''resource "aws_iam_role" "r" {
  name               = "r"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { AWS = "*" } }]
  })
}
'''
    report = _scan(tmp_path, {"envs/prod/iam/main.tf": role, "envs/dev/main.tf": role})
    assert _found(report, tmp_path) == [
        ("IAMG-101", "aws_iam_role.r", "envs/dev/main.tf", 5, 85),
        ("IAMG-101", "aws_iam_role.r", "envs/prod/iam/main.tf", 5, 85),
    ]
    assert sorted(str(Path(f).relative_to(tmp_path)) for f in report.scanned_files) == [
        "envs/dev/main.tf", "envs/prod/iam/main.tf"]


OPEN_ROLE = '''resource "aws_iam_role" "r" {
  name               = "r"
  assume_role_policy = <<-EOF
    {
      "Version": "2012-10-17",
      "Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": "*"}}
      ]
    }
  EOF
}
'''


def test_json_output_points_at_the_tf_file(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    _write(tmp_path, {"iam/main.tf": OPEN_ROLE})
    monkeypatch.chdir(tmp_path)
    code = main(["scan", "iam", "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 1
    assert [(v["rule_id"], v["resource"], v["file"], v["line"], v["column"], v["path"]) for v in out["violations"]] == [
        ("IAMG-101", "aws_iam_role.r", "iam/main.tf", 7, 71, "$['aws_iam_role.r'].assume_role_policy.Statement[0].Principal.AWS")]
    assert out["errors"] == []


def test_sarif_output_points_at_the_tf_file(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    _write(tmp_path, {"iam/main.tf": OPEN_ROLE})
    monkeypatch.chdir(tmp_path)
    main(["scan", "iam", "--format", "sarif"])
    results = json.loads(capsys.readouterr().out)["runs"][0]["results"]
    assert [(r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
             r["locations"][0]["physicalLocation"]["region"]["startLine"],
             r["locations"][0]["physicalLocation"]["region"]["startColumn"],
             r["locations"][0]["logicalLocations"][0]["name"]) for r in results] == [
        ("IAMG-101", "iam/main.tf", 7, 71, "aws_iam_role.r")]


def test_module_instances_by_for_each_and_count_and_their_outputs(tmp_path: Path) -> None:
    report = _scan(tmp_path, {
        "main.tf": '''module "partners" {
  for_each = { alpha = "999988887777", beta = "444455556666" }
  source   = "./mod"
  account  = each.value
}

module "counted" {
  count   = 1
  source  = "./mod"
  account = "555566667777"
}

resource "aws_iam_role" "uses_output" {
  name = "uses_output"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { AWS = module.partners["alpha"].principal }
    }]
  })
}
''',
        "mod/main.tf": '''variable "account" {}

locals {
  principal = "arn:aws:iam::${var.account}:role/ci"
}

output "principal" {
  value = local.principal
}

resource "aws_iam_role" "r" {
  name = "r"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { AWS = local.principal }
      Condition = { StringEquals = { "sts:ExternalId" = "x" } }
    }]
  })
}
'''}, own_accounts=("111122223333",))
    assert _found(report, tmp_path) == [
        ("IAMG-102", "aws_iam_role.uses_output", "main.tf", 20, 27),
        ("IAMG-102", "module.counted[0].aws_iam_role.r", "mod/main.tf", 4, 15),  # the local's template
        ("IAMG-102", 'module.partners["alpha"].aws_iam_role.r', "mod/main.tf", 4, 15),
        ("IAMG-102", 'module.partners["beta"].aws_iam_role.r', "mod/main.tf", 4, 15),
        ("IAMG-103", "aws_iam_role.uses_output", "main.tf", 20, 27),
    ]
    messages = {v.resource: v.message for v in report.violations if v.rule_id == "IAMG-102"}
    assert "'arn:aws:iam::444455556666:role/ci'" in messages['module.partners["beta"].aws_iam_role.r']


def test_an_unknown_dynamic_condition_is_unresolved_not_a_missing_external_id(tmp_path: Path) -> None:
    report = _scan(tmp_path, {"main.tf": '''variable "conditions" {
  type = map(string)
}

data "aws_iam_policy_document" "d" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::999988887777:role/ci"]
    }
    dynamic "condition" {
      for_each = var.conditions
      content {
        test     = "StringEquals"
        variable = condition.key
        values   = [condition.value]
      }
    }
  }
}

resource "aws_iam_role" "r" {
  name               = "r"
  assume_role_policy = data.aws_iam_policy_document.d.json
}
'''}, own_accounts=("111122223333",))
    # The conditions may hold an ExternalId: IAMG-001, never a certain IAMG-103. The document is
    # read only at apply, so its findings point at the data block.
    assert _found(report, tmp_path) == [
        ("IAMG-001", "aws_iam_role.r", "main.tf", 5, 1),
        ("IAMG-102", "aws_iam_role.r", "main.tf", 5, 1),
    ]
    assert _paths(report)[("IAMG-001", "aws_iam_role.r")] == "$['aws_iam_role.r'].assume_role_policy.Statement[0].Condition.Unknown"


# --- what Terraform does to values before expressions read them ---------------------------------

FOREIGN_TRUST = '''data "aws_iam_policy_document" "d" {
  statement {
    effect  = var.perm.effect
    actions = var.perm.actions
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::111122223333:role/x"]
    }
  }
}

resource "aws_iam_role" "r" {
  name               = "r"
  assume_role_policy = data.aws_iam_policy_document.d.json
}
'''


@pytest.mark.parametrize(("effect", "expected"), [
    ("Deny", []),
    ("Allow", [("IAMG-102", "aws_iam_role.r", "main.tf", 7, 22), ("IAMG-103", "aws_iam_role.r", "main.tf", 7, 22)]),
])
def test_optional_attribute_defaults_of_a_variable_type_apply(tmp_path: Path, effect: str,
                                                             expected: list[Found]) -> None:
    report = _scan(tmp_path, {"main.tf": FOREIGN_TRUST, "variables.tf": f'''variable "perm" {{
  type = object({{
    actions = list(string)
    effect  = optional(string, "{effect}")
  }})
  default = {{ actions = ["sts:AssumeRole"] }}
}}
'''})
    assert report.errors == ()
    assert _found(report, tmp_path) == expected


def test_a_number_given_for_a_string_variable_is_its_decimal_text(tmp_path: Path) -> None:
    report = _scan(tmp_path, {"main.tf": '''variable "partner" {
  type    = string
  default = 999988887777
}

resource "aws_iam_role" "r" {
  name = "r"
  assume_role_policy = jsonencode({
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { AWS = var.partner } }]
  })
}
'''})
    assert [(v.rule_id, v.resource) for v in report.violations][:1] == [("IAMG-102", "aws_iam_role.r")]
    assert "'999988887777'" in report.violations[0].message


def test_a_count_that_is_zero_whatever_an_unknown_is_creates_nothing(tmp_path: Path) -> None:
    report = _scan(tmp_path, {"main.tf": '''variable "enabled" {}

resource "aws_iam_role" "r" {
  count = var.enabled && false ? 1 : 0
  name  = "r"
  assume_role_policy = jsonencode({
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { AWS = "*" } }]
  })
}
'''})
    assert report.errors == () and report.violations == ()


def test_a_known_map_holding_an_unknown_is_not_null(tmp_path: Path) -> None:
    # `local.m != null` is true (terraform console): only the unknown principal is unknown,
    # the dynamic statement itself is there.
    report = _scan(tmp_path, {"main.tf": '''resource "aws_iam_user" "u" {
  name = "u"
}

locals {
  m = { a = { ids = [aws_iam_user.u.arn] } }
}

data "aws_iam_policy_document" "d" {
  dynamic "statement" {
    for_each = local.m != null ? local.m : {}
    content {
      actions = ["sts:AssumeRole"]
      principals {
        type        = "AWS"
        identifiers = statement.value.ids
      }
    }
  }
}

resource "aws_iam_role" "r" {
  name               = "r"
  assume_role_policy = data.aws_iam_policy_document.d.json
}
'''})
    assert [(v.rule_id, v.resource) for v in report.violations] == [("IAMG-001", "aws_iam_role.r")]
    assert "principal" in report.violations[0].message and "aws_iam_user.u.arn" in report.violations[0].message


def test_values_are_located_where_written_through_coalesce_and_module_each_value(tmp_path: Path) -> None:
    report = _scan(tmp_path, {
        "main.tf": '''data "aws_iam_policy_document" "d" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::111122223333:role/x"]
    }
  }
}

resource "aws_iam_role" "b" {
  name               = "b"
  assume_role_policy = coalesce("", data.aws_iam_policy_document.d.json)
}

module "each" {
  source   = "./m"
  for_each = { a = ["arn:aws:iam::444455556666:role/y"] }
  arns     = each.value
}
''',
        "m/main.tf": '''variable "arns" {
  type = list(string)
}

resource "aws_iam_role" "r" {
  name = "r"
  assume_role_policy = jsonencode({
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { AWS = var.arns } }]
  })
}
'''})
    assert report.errors == ()
    assert {(rule, resource, file, line, column) for rule, resource, file, line, column in _found(report, tmp_path)
            if rule == "IAMG-102"} == {
        ("IAMG-102", "aws_iam_role.b", "main.tf", 6, 22),
        ("IAMG-102", 'module.each["a"].aws_iam_role.r', "main.tf", 18, 21),
    }


def test_an_attached_policy_from_a_variable_default_is_located_at_the_attachment(tmp_path: Path) -> None:
    # The Amendments' "Locations": where the policy reaches the role, not a default many share.
    report = _scan(tmp_path, {"main.tf": '''variable "policy" {
  default = "arn:aws:iam::aws:policy/AdministratorAccess"
}

resource "aws_iam_role" "r" {
  name = "r"
  assume_role_policy = jsonencode({
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { AWS = "arn:aws:iam::999988887777:root" },
                   Condition = { StringEquals = { "sts:ExternalId" = "x" } } }]
  })
}

resource "aws_iam_role_policy_attachment" "a" {
  role       = aws_iam_role.r.name
  policy_arn = var.policy
}
'''})
    assert [f for f in _found(report, tmp_path) if f[0] == "IAMG-301"] == [
        ("IAMG-301", "aws_iam_role.r", "main.tf", 15, 3)]


def test_tfvars_give_the_root_module_its_values_in_terraforms_order(tmp_path: Path) -> None:
    report = _scan(tmp_path, {
        "main.tf": '''variable "partner" {
  default = "*"
}

resource "aws_iam_role" "r" {
  name = "r"
  assume_role_policy = jsonencode({
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { AWS = "arn:aws:iam::${var.partner}:root" },
                   Condition = { StringEquals = { "sts:ExternalId" = "x" } } }]
  })
}
''',
        "terraform.tfvars": 'partner = "111122223333"\n',
        "b.auto.tfvars": 'partner = "999988887777"\n',  # read after terraform.tfvars: wins
    })
    assert report.errors == ()
    assert {v.rule_id for v in report.violations} == {"IAMG-102", "IAMG-105"}
    assert all("999988887777" in v.message for v in report.violations)


def test_a_name_declared_twice_and_an_override_file_are_errors(tmp_path: Path) -> None:
    report = _scan(tmp_path, {
        "a.tf": 'variable "x" {\n  default = 1\n}\n',
        "b.tf": 'variable "x" {\n  default = 2\n}\n',
        "override.tf": 'variable "x" {\n  default = 3\n}\n',
    })
    assert _errors(report, tmp_path) == [
        ("b.tf", "variable x is declared twice in this module (line 1); Terraform rejects this configuration"),
        ("override.tf", "a Terraform override file, which pyiamguard does not merge: the blocks it overrides were "
                        "scanned without it; scan the plan instead"),
    ]


def test_a_called_module_is_scanned_through_its_caller_only(tmp_path: Path) -> None:
    _write(tmp_path, {
        "main.tf": 'module "m" {\n  source = "./modules/m"\n  partner = "999988887777"\n}\n',
        "modules/m/main.tf": '''variable "partner" {}

resource "aws_iam_role" "r" {
  name = "r"
  assume_role_policy = jsonencode({
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { AWS = "arn:aws:iam::${var.partner}:root" },
                   Condition = { StringEquals = { "sts:ExternalId" = "x" } } }]
  })
}
'''})
    report = scan([tmp_path], Config())
    # Alone, modules/m would give IAMG-001 (var.partner has no value): it is scanned once, as module.m.
    assert {(v.rule_id, v.resource) for v in report.violations} == {
        ("IAMG-102", "module.m.aws_iam_role.r"), ("IAMG-105", "module.m.aws_iam_role.r")}
    assert report.skipped_files == ((str(tmp_path / "modules" / "m"),
                                     f"a Terraform module that {tmp_path} calls: scanned through it, with the values it passes"),)
    # Named alone, it is a root module of its own.
    alone = scan([tmp_path / "modules" / "m"], Config())
    assert [(v.rule_id, v.resource) for v in alone.violations] == [("IAMG-001", "aws_iam_role.r")]


# --- Terraform's JSON syntax (what CDK for Terraform writes) ----------------------------------------

TF_JSON = {
    "variable": {"partner": {"type": "string", "default": "999988887777"},
                 "literal": {"default": "${not.a.reference}"}},
    "data": {"aws_iam_policy_document": {"trust": {"statement": [{
        "actions": ["sts:AssumeRole"],
        "principals": [{"type": "AWS", "identifiers": ["arn:aws:iam::${var.partner}:root"]}]}]}}},
    "resource": {"aws_iam_role": {
        "vendor": {"name": "vendor", "assume_role_policy": "${data.aws_iam_policy_document.trust.json}"},
        "open": {"//": "a comment", "name": "open", "assume_role_policy": json.dumps(
            {"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": "*"}}]})},
        "literal": {"name": "literal", "assume_role_policy": json.dumps(
            {"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": "${var.literal}"}}]})},
    }},
}


def test_a_tf_json_module_is_read_with_locations_in_the_json_file(tmp_path: Path) -> None:
    report = _scan(tmp_path, {"main.tf.json": json.dumps(TF_JSON, indent=2)})
    assert report.errors == ()
    # Lines and columns in main.tf.json: the "identifiers" key of the data source the vendor's
    # trust is rendered from, and each other role's assume_role_policy key.
    assert _found(report, tmp_path) == [
        ("IAMG-001", "aws_iam_role.literal", "main.tf.json", 45, 9),
        ("IAMG-101", "aws_iam_role.open", "main.tf.json", 41, 9),
        ("IAMG-102", "aws_iam_role.vendor", "main.tf.json", 22, 17),
        ("IAMG-103", "aws_iam_role.vendor", "main.tf.json", 22, 17),
        ("IAMG-104", "aws_iam_role.vendor", "main.tf.json", 22, 17),
        ("IAMG-105", "aws_iam_role.vendor", "main.tf.json", 22, 17),
    ]
    # A variable's default is a literal in JSON syntax: "${not.a.reference}" is its text (a
    # placeholder left in a principal, so unresolved), not a reference that was evaluated.
    literal = next(v for v in report.violations if v.resource == "aws_iam_role.literal")
    assert "'${not.a.reference}'" in literal.message


def test_tf_and_tf_json_files_of_one_directory_are_one_module(tmp_path: Path) -> None:
    report = _scan(tmp_path, {
        "variables.tf.json": json.dumps({"variable": {"partner": {"default": "999988887777"}}}),
        "main.tf": '''resource "aws_iam_role" "r" {
  name = "r"
  assume_role_policy = jsonencode({
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { AWS = "arn:aws:iam::${var.partner}:root" },
                   Condition = { StringEquals = { "sts:ExternalId" = "x" } } }]
  })
}
'''})
    assert report.errors == ()
    assert {(v.rule_id, v.resource) for v in report.violations} == {("IAMG-102", "aws_iam_role.r"),
                                                                    ("IAMG-105", "aws_iam_role.r")}
    assert sorted(Path(f).name for f in report.scanned_files) == ["main.tf", "variables.tf.json"]


def test_broken_tf_json_is_a_one_line_error(tmp_path: Path) -> None:
    report = _scan(tmp_path, {"main.tf.json": '{"resource": ', "other.tf": 'variable "x" {}\n'})
    assert _errors(report, tmp_path) == [
        ("main.tf.json", "invalid JSON: Expecting value: line 1 column 14 (char 13)")]
