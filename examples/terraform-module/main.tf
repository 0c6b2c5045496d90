# A Terraform module scanned from its sources, without a plan: `pyiamguard scan examples/`.
data "aws_caller_identity" "current" {}

# GitHub Actions deploys with this role. The trust checks the audience but not the subject:
# any workflow of any repository on GitHub could assume it (IAMG-201).
data "aws_iam_policy_document" "github_trust" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = ["arn:aws:iam::${data.aws_caller_identity.current.account_id}:oidc-provider/token.actions.githubusercontent.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:aud"
      values   = ["sts.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "github_deploy" {
  name               = "github-deploy"
  assume_role_policy = data.aws_iam_policy_document.github_trust.json
}

# Two vendors reach the account through the local module; the monitoring vendor's role is
# given no ExternalId (IAMG-103), and each vendor account is foreign until trusted (IAMG-102).
module "vendor" {
  source   = "./modules/cross-account-role"
  for_each = var.vendors

  name        = "vendor-${each.key}"
  account_id  = each.value.account_id
  external_id = each.value.external_id
}
