variable "name" {
  type = string
}

variable "account_id" {
  type = string
}

variable "external_id" {
  type    = string
  default = ""
}

locals {
  # An empty ExternalId means "no condition": the trust then admits the whole account.
  conditions = var.external_id == "" ? {} : { StringEquals = { "sts:ExternalId" = var.external_id } }
}

resource "aws_iam_role" "this" {
  name = var.name
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [merge({
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { AWS = "arn:aws:iam::${var.account_id}:root" }
    }, length(local.conditions) > 0 ? { Condition = local.conditions } : {})]
  })
}

resource "aws_iam_role_policy_attachment" "read_only" {
  role       = aws_iam_role.this.name
  policy_arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
}
