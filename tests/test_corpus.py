"""The scanner scored against the labelled real-world corpus in ../shared/corpus.

Findings are converted to the adapter format of ../shared/tools/corpus_eval.py (file relative
to the corpus, resource, category from the rule's METADATA) and scored per resource against
the definite labels of MANIFEST.yaml, with `require_mfa: all` as the labels assume.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from pyiamguard.catalog import load_policy_set
from pyiamguard.config import Config
from pyiamguard.scanner import scan

# Folders whose input formats this version supports; the others are scored when they are.
SUPPORTED_SCOPE = ("iam", "terraform-plan", "cloudformation")
MIN_RECALL = 0.90
MIN_PRECISION = 0.90


def corpus_findings(corpus: Path, folders: tuple[str, ...]) -> dict[str, object]:
    categories = {r.rule_id: r.category for r in load_policy_set().rules}
    findings: list[dict[str, str]] = []
    files: dict[str, dict[str, str]] = {}
    for folder in folders:
        report = scan([corpus / folder], Config(require_mfa="all"))
        for error in report.errors:
            files[str(Path(error.file).relative_to(corpus))] = {"status": "error", "message": error.message}
        for name in report.scanned_files:
            files.setdefault(str(Path(name).relative_to(corpus)), {"status": "ok"})
        for v in report.violations:
            category = categories[v.rule_id]
            if category in ("none", "indeterminate", "validity"):
                continue
            rel = str(Path(v.file).relative_to(corpus))
            resource = "(document)" if folder == "iam" else v.resource
            findings.append({"file": rel, "resource": resource, "category": category,
                             "rule": v.rule_id, "tool_resource": v.resource})
    return {"tool": "pyiamguard", "findings": findings, "files": files}


def test_corpus_score(shared_dir: Path, tmp_path: Path) -> None:
    corpus = shared_dir / "corpus"
    adapter = tmp_path / "findings.json"
    adapter.write_text(json.dumps(corpus_findings(corpus, SUPPORTED_SCOPE)))
    out = tmp_path / "score.json"
    run = subprocess.run(
        [sys.executable, str(shared_dir / "tools" / "corpus_eval.py"), str(adapter), "--corpus", str(corpus),
         "--scope", ",".join(SUPPORTED_SCOPE), "--details", "--json", str(out)],
        capture_output=True, text=True, check=True,
    )
    print(run.stdout)  # the per-category table, shown with pytest -s or on failure
    result = json.loads(out.read_text())
    overall = result["overall"]
    assert result["crashed_or_no_output"] == []
    assert result["file_status"] == {"ok": result["files_scored"]}
    assert overall["recall"] >= MIN_RECALL, run.stdout
    assert overall["precision"] >= MIN_PRECISION, run.stdout
