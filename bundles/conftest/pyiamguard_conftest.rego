# METADATA
# title: conftest adapter for the pyiamguard bundle
# description: |
#   conftest only reads rules named deny, violation or warn (optionally with a _suffix) that
#   return strings or objects with a string `msg`. pyiamguard's rules return {ref, facts}
#   objects, which conftest rejects ("rule missing msg field"), and pyiamguard.main collects
#   them as `findings`, a name conftest ignores. This package gives each finding a `msg` and
#   exposes it as `deny`; the finding's other fields stay in conftest's result metadata.
#   Not part of the bundle (its package is outside the product's rules); see bundles/README.md.
package pyiamguard.conftest

import rego.v1

deny contains object.union(f, {"msg": msg}) if {
	some f in data.pyiamguard.main.findings
	msg := sprintf("%s %s %v", [replace(upper(f.package), "_", "-"), f.ref, f.facts])
}
