# METADATA
# title: Long sessions on an externally assumable role
# description: |
#   An externally assumable role allows sessions longer than max_session_seconds (default
#   3600): stolen or leaked credentials from outside stay valid for hours.
# scope: package
# related_resources:
#   - ref: https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_update-role-settings.html
#     description: Maximum session duration
# custom:
#   id: IAMG-401
#   name: long-session
#   severity: LOW
#   category: long_max_session_duration
#   remediation: Lower MaxSessionDuration to max_session_seconds or less.
package pyiamguard.rules.iamg_401

import rego.v1

import data.pyiamguard.lib.permissions
import data.pyiamguard.lib.result
import data.pyiamguard.lib.trust

deny contains result.finding(session.ref, {"seconds": session.seconds, "limit": trust.config.max_session_seconds}) if {
	input.kind == "trust"
	session := input.role.max_session
	session.state in {"known", "invalid"}
	session.seconds > trust.config.max_session_seconds
	permissions.externally_assumable(input)
}
