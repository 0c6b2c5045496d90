# METADATA
# title: Finding builder
# description: |
#   Every rule returns findings of one shape: the ref of the node the finding points at
#   and structured facts (ASCII tokens). Python turns the ref into file, line, column and
#   JSONPath and writes the message; Rego never formats text (regopy's sprintf garbles it).
package pyiamguard.lib.result

import rego.v1

finding(ref, facts) := {"ref": ref, "facts": facts}
