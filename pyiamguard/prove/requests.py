"""The plain side of the prover: a concrete AssumeRole request and the z3 availability check.

Nothing here imports z3: a request found by the solver is a `ConcreteRequest`, a JSON-able value
the property layer reports and replays (through `RoleModel.decide` and through the concrete
simulator, `pyiamguard.simulate`, with `to_simulate`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

ACTIONS = ("sts:AssumeRole", "sts:AssumeRoleWithWebIdentity", "sts:AssumeRoleWithSAML", "sts:TagSession",
           "sts:SetSourceIdentity")
INSTALL_HINT = "pip install 'pyiamguard[prove]'"

# How the AWS documentation spells the condition keys (the request context holds them lower-cased).
KEY_SPELLING = {k.lower(): k for k in (
    "aws:PrincipalArn", "aws:PrincipalAccount", "aws:PrincipalType", "aws:PrincipalServiceName",
    "aws:PrincipalServiceNamesList", "aws:PrincipalOrgID", "aws:PrincipalOrgPaths", "aws:PrincipalIsAWSService",
    "aws:MultiFactorAuthPresent", "aws:MultiFactorAuthAge", "aws:SourceAccount", "aws:SourceArn",
    "aws:SourceOrgID", "aws:SourceOrgPaths", "aws:SourceIp", "aws:SourceVpc", "aws:SourceVpce", "aws:CurrentTime",
    "aws:EpochTime", "aws:SecureTransport", "aws:TagKeys", "aws:RequestedRegion", "aws:UserAgent", "aws:userid",
    "aws:username", "aws:CalledVia", "aws:ViaAWSService", "aws:TokenIssueTime",
    "sts:ExternalId", "sts:SourceIdentity", "sts:RoleSessionName", "sts:TransitiveTagKeys", "SAML:aud",
    "SAML:sub", "SAML:sub_type", "SAML:iss", "SAML:namequalifier")}
# Keys the principal itself implies: `words` leaves them out.
_IMPLIED = frozenset({"aws:principalarn", "aws:principalaccount", "aws:principaltype", "aws:principalservicename"})


class ProveUnavailable(Exception):
    """The SMT solver (z3) is not installed."""

    def __init__(self, message: str = "") -> None:
        super().__init__(message or f"the prover needs the z3 SMT solver: {INSTALL_HINT}")


def check_available() -> None:
    """Raise ProveUnavailable unless z3 can be imported."""
    try:
        import z3  # noqa: F401
    except ImportError:  # pragma: no cover - exercised only without the extra
        raise ProveUnavailable() from None


def key_spelling(key: str) -> str:
    """A condition key as the AWS documentation writes it (`sts:externalid` -> `sts:ExternalId`);
    tag keys keep their tag name, other keys stay lower-cased."""
    low = key.lower()
    if low in KEY_SPELLING:
        return KEY_SPELLING[low]
    for prefix in ("aws:PrincipalTag/", "aws:RequestTag/", "aws:ResourceTag/"):
        if low.startswith(prefix.lower()):
            return prefix + key[len(prefix):]
    return key


@dataclass(frozen=True)
class ConcreteRequest:
    """One AssumeRole request, as IAM evaluates it against the trust policy.

    `principal_arn` is the caller (`arn:...:assumed-role/<role>/<session>` for a session, the
    provider ARN or built-in host for web identity, the provider ARN for SAML, the service host
    for a service); `role_arn` is the caller's *own* role (for a role or a session; "" otherwise),
    not the role being assumed. `issuer` is the OIDC issuer, lower-cased as it prefixes its
    condition keys. `context` is the request context, keys lower-cased, each with its values (a
    single-valued key has one). `absent` names the keys the trust policy tests that the request
    does not carry (for `words`; IAM has no such list)."""

    principal_kind: str
    scope: str
    partition: str
    account: str
    principal_arn: str
    role_arn: str
    service: str
    issuer: str
    action: str
    context: Mapping[str, list[str]] = field(default_factory=dict)
    absent: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"principal_kind": self.principal_kind, "scope": self.scope, "partition": self.partition,
                "account": self.account, "principal_arn": self.principal_arn, "role_arn": self.role_arn,
                "service": self.service, "issuer": self.issuer, "action": self.action,
                "context": {k: list(v) for k, v in sorted(self.context.items())}, "absent": list(self.absent)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "ConcreteRequest":
        return cls(str(data["principal_kind"]), str(data["scope"]), str(data["partition"]), str(data["account"]),
                   str(data["principal_arn"]), str(data.get("role_arn", "")), str(data.get("service", "")),
                   str(data.get("issuer", "")), str(data["action"]),
                   {str(k).lower(): [str(v) for v in vs] for k, vs in dict(data.get("context", {})).items()},
                   tuple(data.get("absent", ())))

    def words(self) -> str:
        """`principal arn:aws:iam::999988887777:role/x, action sts:AssumeRole, sts:ExternalId
        absent, aws:MultiFactorAuthPresent false`"""
        who = self.principal_arn
        if self.scope == "assumed_role" and self.role_arn:
            who += f" (a session of {self.role_arn})"
        parts = [f"principal {who}", f"action {self.action}"]
        for key, values in self.context.items():
            if key in _IMPLIED:
                continue
            shown = ", ".join(_quoted(v) for v in values)
            parts.append(f"{key_spelling(key)} {shown}" if len(values) == 1 else f"{key_spelling(key)} [{shown}]")
        parts += [f"{key_spelling(key)} absent" for key in self.absent if key not in self.context]
        return ", ".join(parts)

    # --- the concrete simulator -------------------------------------------------------------

    @classmethod
    def from_simulate(cls, request: Any, action: str | None = None) -> "ConcreteRequest":
        """The request `pyiamguard.simulate` builds from its flags (`Request.context_values`)."""
        p = request.principal
        return cls(p.kind, p.scope, p.partition, p.account, p.arn, p.role_arn, p.service, p.issuer,
                   action or request.resolved_action(), request.context_values())

    def to_simulate(self) -> Any:
        """The same request for `pyiamguard.simulate.simulate` (every context value passed as
        `--context`, which wins over what the simulator derives from the principal)."""
        from ..simulate import Principal, Request

        role_name = ""
        if self.scope == "assumed_role":
            role_name = self.principal_arn.split(":", 5)[-1].split("/")[1]
        elif self.scope == "role":
            role_name = self.role_arn.rsplit("/", 1)[-1]
        principal = Principal(self.principal_kind, self.scope, self.principal_arn, self.account, self.partition,
                              role_name, self.role_arn, self.service, self.issuer)
        context = [(key, value) for key, values in self.context.items() for value in values]
        # The flag, not only the context: with it the simulator also decides sts:SetSourceIdentity.
        given = self.context.get("sts:sourceidentity")
        source_identity = given[0] if given else None
        return Request(principal, action=self.action, source_identity=source_identity, context=context)


def _quoted(value: str) -> str:
    return value if value and value.isprintable() and "," not in value and " " not in value else repr(value)
