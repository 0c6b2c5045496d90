""".pre-commit-hooks.yaml and action.yml: their shape, and their commands run for real."""
from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import pyiamguard

REPO = Path(__file__).resolve().parent.parent
WILDCARD = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"},
                                                     "Action": "sts:AssumeRole"}]}
LAMBDA = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                   "Action": "sts:AssumeRole"}]}


def _shim(tmp_path: Path) -> Path:
    """A `pyiamguard` executable running this source tree (what the installed console script does)."""
    package_parent = Path(pyiamguard.__file__).resolve().parent.parent
    shim = tmp_path / "bin" / "pyiamguard"
    shim.parent.mkdir(exist_ok=True)
    shim.write_text(f"#!/bin/sh\nPYTHONPATH={shlex.quote(str(package_parent))} exec "
                    f"{shlex.quote(sys.executable)} -m pyiamguard \"$@\"\n", encoding="utf-8")
    shim.chmod(0o755)
    return shim


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "PYIAMGUARD_DEBUG", "PYTHONPATH")}
    env["PATH"] = f"{_shim(tmp_path).parent}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra)
    return env


def _project(tmp_path: Path) -> Path:
    """A repository with one dangerous trust policy among JSON and YAML files that are not IAM."""
    work = tmp_path / "repo"
    (work / "iam").mkdir(parents=True)
    (work / "iam" / "public.json").write_text(json.dumps(WILDCARD, indent=2), encoding="utf-8")
    (work / "iam" / "lambda.json").write_text(json.dumps(LAMBDA, indent=2), encoding="utf-8")
    (work / "package.json").write_text('{"name": "app", "version": "1.0.0"}\n', encoding="utf-8")
    (work / "tsconfig.json").write_text('{\n  // comments are not JSON\n  "compilerOptions": {}\n}\n', encoding="utf-8")
    (work / ".github.yml").write_text("on: push\n", encoding="utf-8")
    return work


# --- pre-commit -------------------------------------------------------------------------------


def _hook() -> dict:
    [hook] = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    return hook


def test_pre_commit_hook_definition() -> None:
    hook = _hook()
    assert hook["id"] == "pyiamguard"
    assert hook["language"] == "python"
    assert hook["entry"].split()[:2] == ["pyiamguard", "scan"]
    assert {"--skip-unrecognized", "--allow-empty"} <= set(hook["entry"].split())
    assert hook["require_serial"] is True  # one process for all files: one report, IAMG-501 across them
    assert "pass_filenames" not in hook  # pre-commit names the changed files
    files = re.compile(hook["files"])  # pre-commit matches `files` with re.search
    for name in ("iam/trust.json", "stack.yaml", "stack.yml", "cfn/stack.template", "A/B.JSON", "x.Template",
                 "infra/main.tf", "mod/x.TF", "main.tofu"):
        assert files.search(name), name
    for name in ("README.md", "stack.template.bak", "json", "notes.txt", "main.tfvars", "x.tfstate"):
        assert not files.search(name), name


def test_pre_commit_entry_on_the_files_pre_commit_would_pass(tmp_path: Path) -> None:
    """pre-commit runs `entry [args] file...` with every changed JSON/YAML file."""
    work = _project(tmp_path)
    [hook] = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    files = ["iam/public.json", "iam/lambda.json", "package.json", "tsconfig.json", ".github.yml"]
    done = subprocess.run([*shlex.split(hook["entry"]), *files], cwd=work, env=_env(tmp_path),
                          capture_output=True, text=True)
    assert done.returncode == 1, done.stderr  # the wildcard trust fails the commit; nothing else is an error
    assert done.stderr == ""
    assert "IAMG-101" in done.stdout
    assert done.stdout.splitlines()[-1].endswith("in 2 files scanned, 3 skipped, 0 errors")
    clean = subprocess.run([*shlex.split(hook["entry"]), "iam/lambda.json", "package.json"], cwd=work,
                           env=_env(tmp_path), capture_output=True, text=True)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    # A commit of files that are not IaC at all checks nothing, and that is no reason to block it.
    none = subprocess.run([*shlex.split(hook["entry"]), "package.json", ".github.yml"], cwd=work,
                          env=_env(tmp_path), capture_output=True, text=True)
    assert none.returncode == 0, none.stdout + none.stderr
    assert none.stdout == "no violations in 0 files scanned, 2 skipped, 0 errors\n"


def test_pre_commit_runs_the_hook_once_on_every_matching_file(tmp_path: Path) -> None:
    """The real pre-commit (`try-repo` installs the hook from this checkout, as a user's
    `pre-commit install` would) on a repository with many IaC files: .template files are
    scanned, every file goes to one pyiamguard process (one summary line), and IAMG-501 pairs
    the two account dumps that live in different files."""
    work = _project(tmp_path)
    for name in ("tooling-account.json", "workload-account.json"):
        shutil.copy(REPO / "examples" / "assume-across-accounts" / name, work / "iam" / name)
    (work / "cfn").mkdir()
    (work / "cfn" / "stack.template").write_text(
        "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Open:\n    Type: AWS::IAM::Role\n"
        "    Properties:\n      AssumeRolePolicyDocument:\n        Statement:\n          - Effect: Allow\n"
        "            Principal: {AWS: '*'}\n            Action: sts:AssumeRole\n", encoding="utf-8")
    for i in range(40):  # enough files that pre-commit would split them over several processes
        (work / "iam" / f"service-{i:02}.json").write_text(json.dumps(LAMBDA), encoding="utf-8")
    git = ["git", "-c", "user.email=ci@example.com", "-c", "user.name=ci", "-c", "init.defaultBranch=main"]
    subprocess.run([*git, "init", "-q"], cwd=work, check=True)
    subprocess.run([*git, "add", "-A"], cwd=work, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "init"], cwd=work, check=True)
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "PYIAMGUARD_DEBUG", "PYTHONPATH")}
    env["PRE_COMMIT_HOME"] = str(tmp_path / "pre-commit-home")
    env["PRE_COMMIT_COLOR"] = "never"
    done = subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(REPO), "pyiamguard", "--all-files",
                           "--verbose"], cwd=work, env=env, capture_output=True, text=True, timeout=900)
    output = done.stdout + done.stderr
    assert done.returncode == 1, output  # the findings fail the commit
    summaries = [line for line in output.splitlines() if " files scanned, " in line]
    assert summaries == ["5 violations (2 critical, 1 high, 0 medium, 0 low, 2 info) in 45 files scanned, "
                         "3 skipped, 0 errors"], output
    assert "cfn/stack.template\n" in output and "IAMG-101  Open: " in output
    assert output.count("IAMG-501") == 2, output




# --- GitHub Action ----------------------------------------------------------------------------


def _action() -> dict:
    return yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))


def _step(name: str) -> dict:
    return next(s for s in _action()["runs"]["steps"] if s["name"] == name)


def test_action_definition() -> None:
    action = _action()
    assert action["runs"]["using"] == "composite"
    assert {"paths", "fail-on", "config"} <= set(action["inputs"])
    steps = action["runs"]["steps"]
    assert steps[0]["uses"].startswith("actions/setup-python@")
    # The Python it sets up stays the action's own: not on PATH, not in the environment of the
    # caller's later steps (setup-python's update-environment), and no step writes either.
    assert steps[0]["with"]["update-environment"] is False
    install = _step("Install pyiamguard")
    assert install["env"]["PYTHON"] == "${{ steps.python.outputs.python-path }}"
    assert '"$GITHUB_ACTION_PATH"' in install["run"] and "pip install" in install["run"]
    assert _step("Scan")["env"]["PYIAMGUARD"] == "${{ steps.install.outputs.pyiamguard }}"
    upload = next(s for s in steps if str(s.get("uses", "")).startswith("github/codeql-action/upload-sarif@"))
    assert upload["with"]["sarif_file"] == "${{ steps.scan.outputs.sarif-file }}"
    assert "always()" in upload["if"]
    for step in steps:
        if "run" in step:
            assert step["shell"] == "bash"
            assert "${{" not in step["run"], "inputs reach scripts through env, never pasted into the script"
            assert '"$GITHUB_ENV"' not in step["run"] and '"$GITHUB_PATH"' not in step["run"]


def test_action_pins_every_action_by_commit() -> None:
    text = (REPO / "action.yml").read_text(encoding="utf-8")
    uses = re.findall(r"^\s*uses:\s*(\S+)(.*)$", text, flags=re.M)
    assert len(uses) == 2
    for target, comment in uses:
        name, _, ref = target.partition("@")
        assert re.fullmatch(r"[0-9a-f]{40}", ref), f"{name} is pinned to {ref!r}, not to a commit"
        assert re.fullmatch(r"\s*# v\d+\.\d+\.\d+", comment), f"{name}: say which release the commit is"


def test_action_install_step_leaves_nothing_for_later_steps(tmp_path: Path) -> None:
    """The Install step, run with bash as the runner does: it installs from the action's checkout
    into its own venv and hands the command to the Scan step through a step output only."""
    files = {name: tmp_path / name for name in ("github_output", "github_env", "github_path")}
    for file in files.values():
        file.write_text("", encoding="utf-8")
    script = tmp_path / "install.sh"
    script.write_text(_step("Install pyiamguard")["run"], encoding="utf-8")
    runner_temp = tmp_path / "runner-temp"
    runner_temp.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(PYTHON=sys.executable, RUNNER_TEMP=str(runner_temp), GITHUB_ACTION_PATH=str(REPO),
               GITHUB_OUTPUT=str(files["github_output"]), GITHUB_ENV=str(files["github_env"]),
               GITHUB_PATH=str(files["github_path"]))
    done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], env=env,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    [output] = files["github_output"].read_text(encoding="utf-8").splitlines()
    key, _, command = output.partition("=")
    assert key == "pyiamguard" and Path(command).parent.parent == runner_temp / "pyiamguard-venv"
    assert files["github_env"].read_text(encoding="utf-8") == ""
    assert files["github_path"].read_text(encoding="utf-8") == ""
    version = subprocess.run([command, "--version"], capture_output=True, text=True)
    assert version.stdout == f"pyiamguard {pyiamguard.__version__}\n"


def _run_scan_step(tmp_path: Path, work: Path, **inputs: str) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    """The action's Scan step, run with bash as the runner does (`bash --noprofile --norc -eo pipefail`)."""
    step = _step("Scan")
    defaults = {name: str(spec.get("default", "")) for name, spec in _action()["inputs"].items()}
    defaults.update(inputs)
    env = {key: value.replace("${{ inputs.", "").replace(" }}", "") for key, value in step["env"].items()
           if value.startswith("${{ inputs.")}
    env = {key: defaults[name] for key, name in env.items()}  # PYIAMGUARD unset: the shim on PATH runs
    output = tmp_path / "github_output"
    output.write_text("", encoding="utf-8")
    script = tmp_path / "scan.sh"
    script.write_text(step["run"], encoding="utf-8")
    done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=work,
                          env=_env(tmp_path, GITHUB_OUTPUT=str(output), **env), capture_output=True, text=True)
    outputs = dict(line.split("=", 1) for line in output.read_text(encoding="utf-8").splitlines() if line)
    return done, outputs


def test_action_scan_step_writes_sarif_and_annotations(tmp_path: Path) -> None:
    work = _project(tmp_path)
    done, outputs = _run_scan_step(tmp_path, work, paths="iam\npackage.json  tsconfig.json")
    assert done.returncode == 0, done.stderr  # the step records the code; a later step fails the job
    assert outputs["exit-code"] == "2"  # package.json and tsconfig.json named explicitly: errors
    done, outputs = _run_scan_step(tmp_path, work, paths="iam")
    assert outputs == {"exit-code": "1", "sarif-file": "pyiamguard.sarif"}
    assert done.stdout.startswith("::error file=iam/public.json,line=")
    log = json.loads((work / "pyiamguard.sarif").read_text(encoding="utf-8"))
    assert [r["ruleId"] for r in log["runs"][0]["results"]] == ["IAMG-101"]
    assert log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "iam/public.json"


def test_action_scan_step_inputs(tmp_path: Path) -> None:
    work = _project(tmp_path)
    (work / "guard.yaml").write_text("severity_overrides:\n  IAMG-101: LOW\n", encoding="utf-8")
    _, outputs = _run_scan_step(tmp_path, work, paths="iam", **{"fail-on": "high"})
    assert outputs["exit-code"] == "1"  # CRITICAL
    _, outputs = _run_scan_step(tmp_path, work, paths="iam", config="guard.yaml", **{"fail-on": "high"})
    assert outputs["exit-code"] == "0"  # LOW now, below high
    done, outputs = _run_scan_step(tmp_path, work, paths="iam", annotations="false", **{"sarif-file": "out/x.sarif"})
    assert outputs == {"exit-code": "2"}  # out/ does not exist: a usage error, no SARIF to upload
    assert "cannot write out/x.sarif" in done.stderr
    # A bad configuration: exit 2 and no SARIF file, so the upload step is skipped.
    _, outputs = _run_scan_step(tmp_path, work, paths="iam", config="missing.yaml", **{"sarif-file": "y.sarif"})
    assert outputs == {"exit-code": "2"}


def test_action_compares_with_the_base_revision_and_fails_on_new_findings_only(tmp_path: Path) -> None:
    work = _project(tmp_path)
    git = ["git", "-c", "user.name=ci", "-c", "user.email=ci@example.com", "-c", "init.defaultBranch=main"]
    subprocess.run(git + ["init", "-q"], cwd=work, check=True)
    subprocess.run(git + ["add", "-A"], cwd=work, check=True)
    subprocess.run(git + ["commit", "-qm", "base"], cwd=work, check=True)
    _, outputs = _run_scan_step(tmp_path, work, paths="iam", **{"compare-to-git": "main", "fail-on-new": "true"})
    assert outputs["exit-code"] == "0"  # iam/public.json's CRITICAL finding was already on main
    log = json.loads((work / "pyiamguard.sarif").read_text(encoding="utf-8"))
    assert [(r["ruleId"], r["baselineState"]) for r in log["runs"][0]["results"]] == [("IAMG-101", "unchanged")]
    (work / "iam" / "vendor.json").write_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999988887777:role/x"}, "Action": "sts:AssumeRole"}]}),
        encoding="utf-8")
    _, outputs = _run_scan_step(tmp_path, work, paths="iam", **{"compare-to-git": "main", "fail-on-new": "true"})
    assert outputs["exit-code"] == "1"  # the new file's finding is new
    (work / "pyiamguard.sarif").unlink()
    _, outputs = _run_scan_step(tmp_path, work, paths="iam", **{"compare-to-git": "no-such-branch"})
    assert outputs == {"exit-code": "2"}  # not a revision: a usage error, no SARIF


# --- the README snippets ----------------------------------------------------------------------


def _readme_yaml_blocks() -> list[object]:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## CI integration"):readme.index("## Rules")]
    blocks = re.findall(r"```yaml\n(.*?)```", section, flags=re.S)
    return [yaml.safe_load(block) for block in blocks]


def test_readme_github_workflow_uses_the_action_inputs() -> None:
    workflow = next(b for b in _readme_yaml_blocks() if isinstance(b, dict) and "jobs" in b)
    assert workflow["permissions"]["security-events"] == "write"
    step = next(s for s in workflow["jobs"]["pyiamguard"]["steps"] if "pyiamguard@" in s.get("uses", ""))
    assert set(step["with"]) <= set(_action()["inputs"])


def test_readme_gitlab_job_publishes_the_junit_it_writes(tmp_path: Path) -> None:
    import xml.etree.ElementTree as ET

    gitlab = next(b for b in _readme_yaml_blocks() if isinstance(b, dict) and "pyiamguard" in b and "jobs" not in b)
    job = gitlab["pyiamguard"]
    report = job["artifacts"]["reports"]["junit"]
    assert job["artifacts"]["when"] == "always"
    [command] = job["script"]
    work = _project(tmp_path)
    (work / "package.json").unlink()
    (work / "tsconfig.json").unlink()
    done = subprocess.run(shlex.split(command), cwd=work, env=_env(tmp_path), capture_output=True, text=True)
    assert done.returncode == 1, done.stderr
    root = ET.parse(work / report).getroot()
    assert root.get("failures") == "1"


def test_readme_pre_commit_config_names_the_hook() -> None:
    config = next(b for b in _readme_yaml_blocks() if isinstance(b, dict) and "repos" in b)
    [hook] = config["repos"][0]["hooks"]
    assert hook["id"] == yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))[0]["id"]


def test_action_scan_step_writes_the_markdown_summary_to_the_job_summary(tmp_path: Path) -> None:
    """With GITHUB_STEP_SUMMARY set (as on a runner), the Scan step appends the Markdown summary
    (findings and the trust graph) to it and names the file in the markdown-file output."""
    work = _project(tmp_path)
    step = _step("Scan")
    defaults = {name: str(spec.get("default", "")) for name, spec in _action()["inputs"].items()}
    inputs = {key: defaults[value.replace("${{ inputs.", "").replace(" }}", "")] for key, value in step["env"].items()
              if value.startswith("${{ inputs.")}
    inputs["INPUT_PATHS"] = "iam"
    script = tmp_path / "scan.sh"
    script.write_text(step["run"], encoding="utf-8")
    runner_temp = tmp_path / "runner-temp"
    runner_temp.mkdir()
    for enabled in ("true", "false"):
        output, summary = tmp_path / "github_output", tmp_path / "step_summary.md"
        output.write_text("", encoding="utf-8")
        summary.write_text("earlier step\n", encoding="utf-8")
        env = _env(tmp_path, GITHUB_OUTPUT=str(output), GITHUB_STEP_SUMMARY=str(summary), RUNNER_TEMP=str(runner_temp),
                   **{**inputs, "INPUT_STEP_SUMMARY": enabled})
        done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=work, env=env,
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        outputs = dict(line.split("=", 1) for line in output.read_text(encoding="utf-8").splitlines() if line)
        text = summary.read_text(encoding="utf-8")
        if enabled == "true":
            assert outputs == {"exit-code": "1", "sarif-file": "pyiamguard.sarif",
                               "markdown-file": str(runner_temp / "pyiamguard-summary.md")}
            assert text.startswith("earlier step\n## pyiamguard: 1 violation\n")
            assert "[iam/public.json:7](iam/public.json#L7)" in text and "```mermaid\nflowchart LR\n" in text
        else:
            assert outputs == {"exit-code": "1", "sarif-file": "pyiamguard.sarif"}
            assert text == "earlier step\n"
