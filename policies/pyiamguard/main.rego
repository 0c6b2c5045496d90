# METADATA
# title: All findings
# description: |
#   The single entry point the engine queries: every finding of every rule package under
#   pyiamguard.rules, tagged with the package name (Python maps it to the rule's METADATA).
package pyiamguard.main

import rego.v1

findings contains object.union(f, {"package": name}) if {
	some name
	some f in data.pyiamguard.rules[name].deny
}
