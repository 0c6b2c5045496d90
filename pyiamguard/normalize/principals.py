"""Principal grammar: every written form of a principal becomes one classified record."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .values import Unresolved, ascii_digits, engine_token, has_placeholder, scalar_text

PARTITIONS = frozenset(
    {"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"}
)
_ACCOUNT = re.compile(r"[0-9]{12}")  # ASCII digits (`\d` admits other scripts'), matched whole
# Unique ids (reference_identifiers): AROA role, AIDA user, AGPA group, ANPA/ANVA policies, AKIA/ASIA keys.
_UNIQUE_ID = re.compile(r"^A(?:ROA|IDA|GPA|NPA|NVA|KIA|SIA|PKA|CCA|SCA)[A-Z0-9]{12,}\Z")
_WILDCARD_CHARS = frozenset("*?")

# Built-in web identity providers, named without an ARN.
_BUILTIN_OIDC = {
    "cognito-identity.amazonaws.com": "cognito",
    "accounts.google.com": "google",
    "www.amazon.com": "amazon",
    "graph.facebook.com": "facebook",
}
_EKS_ISSUER = re.compile(r"^oidc\.eks\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?/id/[A-Za-z0-9]+\Z")


@dataclass(frozen=True)
class ArnParts:
    partition: str
    service: str
    region: str
    account: str
    resource: str


def parse_arn(text: str) -> ArnParts | None:
    """Split `arn:partition:service:region:account:resource` (the resource may hold `:` and `/`)."""
    parts = text.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return None
    return ArnParts(*parts[1:])


def arn_resource_scope(arn: ArnParts) -> str:
    """What an iam/sts ARN names: `root`, `role`, `user`, `assumed_role`, `federated_user`, `other`."""
    resource = arn.resource
    if resource == "root":
        return "root"
    # Roles and users are iam resources: `arn:aws:sts::111122223333:role/x` names nothing.
    for prefix, scope in (("role/", "role"), ("user/", "user")):
        if resource.startswith(prefix) and arn.service != "sts":
            return scope
    if arn.service == "sts":
        for prefix, scope in (("assumed-role/", "assumed_role"), ("federated-user/", "federated_user")):
            if resource.startswith(prefix):
                return scope
    return "other"


def oidc_provider(issuer: str, gitlab_hosts: frozenset[str] = frozenset()) -> str:
    host = issuer.lower().rstrip("/")
    if host in _BUILTIN_OIDC:
        return _BUILTIN_OIDC[host]
    if host == "token.actions.githubusercontent.com" or host.startswith("token.actions.githubusercontent.com/"):
        return "github"
    if host == "gitlab.com" or host in gitlab_hosts:
        return "gitlab"
    if host == "app.terraform.io":
        return "terraform_cloud"
    if _EKS_ISSUER.match(host):
        return "eks"
    return "other"


@dataclass
class Principal:
    """One principal as the engine sees it, plus its original text for messages."""

    kind: str
    block: str
    text: str
    account: str = ""
    partition: str = ""
    scope: str = ""
    whole_account: bool = False
    service: str = ""
    provider: str = ""
    issuer: str = ""
    defects: list[str] = field(default_factory=list)
    # Part of the principal (its account) is not known statically: it is still classified by
    # what is known, and the normalizer reports the unknown part (IAMG-001).
    partly_unresolved: bool = False

    def identity(self) -> str:
        """The same principal written as a bare account id or as its `:root` ARN compares equal."""
        if self.kind == "aws" and self.whole_account and self.account:
            return f"account:{self.account}"
        return self.text

    def engine_fields(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "block": engine_token(self.block),
            "value": engine_token(self.text),
            "identity": engine_token(self.identity()),
            "account": self.account,
            "partition": engine_token(self.partition),
            "scope": self.scope,
            "whole_account": self.whole_account,
            "service": engine_token(self.service),
            "provider": self.provider,
            "issuer": engine_token(self.issuer),
            "defects": sorted(set(self.defects)),
        }


def classify(block: str, value: Any, own_partition: str = "", gitlab_hosts: frozenset[str] = frozenset()) -> Principal:
    """Classify one principal value found under `block` (`AWS`, `Service`, `Federated`,
    `CanonicalUser`, or `*` for the bare string form)."""
    if isinstance(value, Unresolved):
        partial = _partly_known(block, value.expression)
        return partial or Principal("unresolved", block, value.expression)
    text = scalar_text(value)
    if text is None or isinstance(value, bool):
        shown = "null" if value is None else type(value).__name__
        return Principal("invalid", block, shown if text is None else text, defects=["malformed_arn"])
    text = text.strip()
    if text == "*":
        return Principal("wildcard", block, text)
    if has_placeholder(text):
        return _partly_known(block, text) or Principal("unresolved", block, text)
    if block == "AWS":
        principal = _aws(text)
    elif block == "Service":
        principal = Principal("service", block, text, service=text.lower())
        if not text.lower().endswith((".amazonaws.com", ".amazonaws.com.cn", ".amazon.com")):
            principal.defects.append("malformed_arn")
    elif block == "Federated":
        principal = _federated(text, gitlab_hosts)
    elif block == "CanonicalUser":
        principal = Principal("canonical_user", block, text, defects=["canonical_user"])
    else:
        principal = Principal("invalid", block, text, defects=["malformed_arn"])
    if own_partition and principal.partition and principal.partition != own_partition:
        principal.defects.append("cross_partition")
    return principal


# A bare parameter reference: `${TrustedAccountId}` (not an import or an attribute of a resource).
_WHOLE_PLACEHOLDER = re.compile(r"^\$\{[A-Za-z][A-Za-z0-9_]*\}\Z")


_NAMES_AN_ARN = re.compile(r"arn|role|identity|principal|user", re.IGNORECASE)


def _partly_known(block: str, text: str) -> Principal | None:
    """An AWS principal whose account alone is a placeholder (`arn:aws:iam::${Peer}:root`, or a
    bare `${AccountId}` parameter) is still an account root, role or user of some account: the
    cross-account rules apply with the account unknown, and IAMG-001 names the placeholder."""
    if block != "AWS":
        return None
    if _WHOLE_PLACEHOLDER.match(text.strip()):
        # A bare parameter is read as some account (`${AccountId}`, `${Partner}`): the
        # cross-account rules apply. One named for an ARN, a role or an identity
        # (`${TrustedIdentity}`, `${RoleARN}`) may as well be a role: nothing is known of it but
        # that it is unknown (IAMG-001).
        if _NAMES_AN_ARN.search(text) and "account" not in text.lower():
            return None
        return Principal("aws", block, text, scope="account", whole_account=True, partly_unresolved=True)
    arn = parse_arn(text)
    if arn is None or not has_placeholder(arn.account) or has_placeholder(arn.partition + arn.service + arn.resource):
        return None
    principal = _aws(f"arn:{arn.partition}:{arn.service}:{arn.region}:000000000000:{arn.resource}")
    principal.text, principal.account, principal.partly_unresolved = text, "", True
    return principal


def _aws(text: str) -> Principal:
    if _ACCOUNT.fullmatch(text):
        return Principal("aws", "AWS", text, account=text, scope="account", whole_account=True)
    if _UNIQUE_ID.match(text):
        return Principal("unique_id", "AWS", text, defects=["stale_unique_id"])
    arn = parse_arn(text)
    if arn is None:
        # Not an ARN and not an account id: documentation placeholders ("ACCOUNT-B-ID") and typos.
        # IAM rejects it (IAMG-109); for the cross-account rules it is a foreign AWS principal.
        return Principal("aws", "AWS", text, scope="account", defects=["placeholder"])
    principal = Principal("aws", "AWS", text, partition=arn.partition if arn.partition in PARTITIONS else "")
    if arn.partition not in PARTITIONS:
        principal.defects.append("malformed_arn")
    if arn.service not in ("iam", "sts"):
        principal.defects.append("wrong_service")
    wildcard = bool(_WILDCARD_CHARS & set(arn.account + arn.resource))
    if _ACCOUNT.fullmatch(arn.account):
        principal.account = arn.account
    elif not wildcard:
        principal.defects.append("bad_account_id" if arn.account else "malformed_arn")
        if ascii_digits(arn.account):
            principal.account = arn.account  # a typo'd id is still an account nobody allow-listed
    principal.scope = arn_resource_scope(arn)
    principal.whole_account = principal.scope == "root"
    if principal.scope == "other":
        principal.defects.append("malformed_arn")
    if wildcard:
        # IAM rejects partial wildcards; score them as the wildcard they try to be.
        principal.kind = "wildcard"
        principal.defects.append("partial_wildcard")
    return principal


def _federated(text: str, gitlab_hosts: frozenset[str]) -> Principal:
    lowered = text.lower()
    if lowered in _BUILTIN_OIDC:
        return Principal("oidc", "Federated", text, provider=_BUILTIN_OIDC[lowered], issuer=lowered)
    arn = parse_arn(text)
    if arn is None:
        return Principal("oidc", "Federated", text, provider=oidc_provider(lowered, gitlab_hosts), issuer=lowered,
                         defects=["malformed_arn"])
    principal = Principal("oidc", "Federated", text, partition=arn.partition if arn.partition in PARTITIONS else "")
    if _ACCOUNT.fullmatch(arn.account):
        principal.account = arn.account
    else:
        principal.defects.append("bad_account_id")
    if arn.resource.startswith("oidc-provider/"):
        issuer = arn.resource[len("oidc-provider/"):].lower()
        principal.issuer, principal.provider = issuer, oidc_provider(issuer, gitlab_hosts)
    elif arn.resource.startswith("saml-provider/"):
        principal.kind = "saml"
    else:
        principal.defects.append("malformed_arn")
        principal.provider = "other"
    if arn.partition not in PARTITIONS or arn.service != "iam":
        principal.defects.append("malformed_arn")
    return principal
