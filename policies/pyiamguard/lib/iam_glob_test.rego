package pyiamguard.lib.iam_glob_test

import rego.v1

import data.pyiamguard.lib.iam_glob

# `*` and `?` match any character, `.` included: glob.match would stop `*` at a dot.
test_star_crosses_dots if {
	iam_glob.matches("role/ops*", "role/ops.admin")
	iam_glob.matches("repo:acme/*", "repo:acme/app.web:ref:refs/heads/main")
	iam_glob.matches("a?c", "a.c")
}

test_star_matches_nothing_and_question_mark_exactly_one if {
	iam_glob.matches("role/ops*", "role/ops")
	not iam_glob.matches("a?c", "ac")
	not iam_glob.matches("a?c", "abbc")
}

# Anchored at both ends: no implicit prefix or suffix match.
test_anchored if {
	not iam_glob.matches("iam:pass", "iam:passrole")
	not iam_glob.matches("pass*", "iam:passrole")
}

# Glob syntax of other engines is literal text to IAM.
test_braces_brackets_and_commas_are_literal if {
	not iam_glob.matches("iam:{pass,put}role", "iam:passrole")
	iam_glob.matches("iam:{pass,put}role", "iam:{pass,put}role")
	not iam_glob.matches("a[z-a]b", "azb")
	iam_glob.matches("a[z-a]b", "a[z-a]b")
	not iam_glob.matches("[!a]", "b")
}

# Regular expression syntax is literal too.
test_regex_syntax_is_literal if {
	not iam_glob.matches("a.c", "abc")
	iam_glob.matches("a$b^c|d(e)+f", "a$b^c|d(e)+f")
	not iam_glob.matches("x|y", "x")
}

test_empty_pattern_matches_only_the_empty_value if {
	iam_glob.matches("", "")
	not iam_glob.matches("", "a")
}
