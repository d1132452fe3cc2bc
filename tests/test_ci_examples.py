"""The CI examples run as written: the scheduled retire flow of
examples/github-actions/retire.yml (status --json, pick the old ids,
deprecate, push to a local bare repository acting as the remote, open a pull
request through a stand-in `gh`), the pull-request check of check.yml, and
the hook in .pre-commit-hooks.yaml."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from gitrepo import GIT_ENV, commit_all, git, make_repo, trailers, write

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "github-actions"
BIN = Path(sys.executable).parent  # where the `patchmod` console script is
ORDER = "workflows/order.py"

SOURCE = '''\
from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from .activities import charge, check_fraud, notify, ship

TIMEOUT = timedelta(seconds=10)


@workflow.defn
class OrderWorkflow:
    """Charges and ships one order.

    Versioning History:
    - 2025-01-10 introduced add-fraud-check-v1: run
    """

    @workflow.run
    async def run(self, order_id: str) -> str:
        if workflow.patched("add-fraud-check-v1"):
            await workflow.execute_activity(check_fraud, order_id, start_to_close_timeout=TIMEOUT)
        await workflow.execute_activity(charge, order_id, start_to_close_timeout=TIMEOUT)
        return await workflow.execute_activity(ship, order_id, start_to_close_timeout=TIMEOUT)
'''

FAKE_GH = '''\
#!/usr/bin/env bash
# Stands in for the GitHub CLI: records its arguments and the pull request body.
printf '%s\\n' "$@" > "$GH_LOG/args"
while [ $# -gt 0 ]; do
  if [ "$1" = "--body-file" ]; then cp "$2" "$GH_LOG/body.md"; fi
  shift
done
echo "https://github.com/example/orders/pull/1"
'''


def workflow_step(name: str, step_id: str | None = None, uses: str | None = None) -> dict:
    document = yaml.safe_load((EXAMPLES / name).read_text())
    for job in document["jobs"].values():
        for step in job["steps"]:
            if step_id is not None and step.get("id") == step_id:
                return step
            if uses is not None and step.get("uses", "").startswith(uses):
                return step
            if step_id is None and uses is None and "patchmod check" in step.get("run", ""):
                return step
    raise AssertionError(f"{name}: no such step")


def run_script(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-c", script], cwd=cwd, env=env, capture_output=True, text=True, check=False)


@pytest.fixture
def remote_and_clone(tmp_path: Path):
    """A bare repository as `origin`, and a clone holding an old active patch
    (2025) and a young one introduced today with `patchmod introduce`."""
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(remote))
    repo = make_repo(tmp_path / "repo", {ORDER: SOURCE})
    git(repo, "remote", "add", "origin", str(remote))
    write(repo, ORDER, SOURCE.replace(
        "        return await",
        "        await workflow.execute_activity(notify, order_id, start_to_close_timeout=TIMEOUT)\n"
        "        return await"))
    env = {**os.environ, **GIT_ENV}
    done = subprocess.run([str(BIN / "patchmod"), "introduce", "notify-customer-v1"], cwd=repo, env=env,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    git(repo, "push", "-q", "-u", "origin", "main")
    return remote, repo


def retire_env(tmp_path: Path, step: dict, **overrides: str) -> dict[str, str]:
    fake = tmp_path / "fake-bin"
    fake.mkdir(exist_ok=True)
    (fake / "gh").write_text(FAKE_GH)
    (fake / "gh").chmod(0o755)
    log = tmp_path / "gh-log"
    log.mkdir(exist_ok=True)
    runner = tmp_path / "runner-temp"
    runner.mkdir(exist_ok=True)
    env = {**os.environ, **GIT_ENV}
    # The step's own settings, with what GitHub would fill in.
    for key, value in step.get("env", {}).items():
        env[key] = str(value)
    env.update({
        "GH_TOKEN": "not-a-token", "BASE_BRANCH": "main", "RUNNER_TEMP": str(runner), "GH_LOG": str(log),
        "PATH": os.pathsep.join([str(fake), str(BIN), env.get("PATH", "")]),
    })
    env.update(overrides)
    return env


@pytest.mark.skipif(shutil.which("jq") is None, reason="the workflow uses jq, as GitHub's runners have it")
def test_scheduled_retire_flow(tmp_path, remote_and_clone):
    remote, repo = remote_and_clone
    step = workflow_step("retire.yml", step_id="retire")
    assert "${{" not in step["run"]  # GitHub's values come in through the step's env
    env = retire_env(tmp_path, step)

    done = run_script(step["run"], repo, env)
    assert done.returncode == 0, done.stdout + done.stderr

    # The branch is on the remote, one commit ahead of main: the deprecation.
    branches = git(remote, "for-each-ref", "--format=%(refname:short)", "refs/heads/").split()
    assert len(branches) == 2 and "main" in branches
    branch = next(b for b in branches if b != "main")
    assert branch.startswith("patchmod/deprecate-")
    assert git(remote, "rev-list", "--count", f"main..{branch}").strip() == "1"
    tip = git(remote, "log", "-1", "--format=%s", branch).strip()
    assert tip == "patchmod: deprecate add-fraud-check-v1"
    code = git(remote, "show", f"{branch}:{ORDER}")
    assert 'workflow.deprecate_patch("add-fraud-check-v1")' in code
    assert 'workflow.patched("notify-customer-v1")' in code  # too young to deprecate
    assert ("Patch-Stage", "deprecated") in trailers(repo, branch)

    # The pull request: base, head, title and a body saying what to check first.
    args = (tmp_path / "gh-log" / "args").read_text().splitlines()
    assert args[:2] == ["pr", "create"]
    assert args[args.index("--base") + 1] == "main"
    assert args[args.index("--head") + 1] == branch
    assert args[args.index("--title") + 1] == "patchmod: deprecate add-fraud-check-v1"
    body = (tmp_path / "gh-log" / "body.md").read_text()
    assert "- `add-fraud-check-v1`, introduced 2025-01-10" in body
    assert f"- {ORDER}:" in body and "OrderWorkflow.run (if)" in body
    assert "patchmod ready add-fraud-check-v1 --stage deprecate" in body
    assert "**Before merging**" in body  # the pull_request body of `deprecate --json`
    assert "notify-customer-v1" not in body

    # The next scheduled run finds the branch and opens nothing new.
    (tmp_path / "gh-log" / "args").unlink()
    git(repo, "switch", "-q", "main")
    again = run_script(step["run"], repo, env)
    assert again.returncode == 0, again.stderr
    assert "exists already" in again.stdout
    assert not (tmp_path / "gh-log" / "args").exists()

    # Status on the branch agrees.
    git(repo, "switch", "-q", branch)
    status = subprocess.run([str(BIN / "patchmod"), "status", "--json"], cwd=repo, env=env,
                            capture_output=True, text=True, check=True)
    stages = {p["patch_id"]: p["stage"] for p in json.loads(status.stdout)["patches"]}
    assert stages == {"add-fraud-check-v1": "deprecated", "notify-customer-v1": "active"}


@pytest.mark.skipif(shutil.which("jq") is None, reason="the workflow uses jq, as GitHub's runners have it")
def test_scheduled_retire_flow_with_nothing_old_enough(tmp_path, remote_and_clone):
    remote, repo = remote_and_clone
    step = workflow_step("retire.yml", step_id="retire")
    env = retire_env(tmp_path, step, DEPRECATE_AFTER_DAYS="100000")
    done = run_script(step["run"], repo, env)
    assert done.returncode == 0, done.stderr
    assert "nothing to deprecate" in done.stdout
    assert git(remote, "for-each-ref", "--format=%(refname:short)", "refs/heads/").split() == ["main"]
    assert not (tmp_path / "gh-log" / "args").exists()


def test_retire_workflow_is_scheduled_and_may_push(tmp_path):
    document = yaml.safe_load((EXAMPLES / "retire.yml").read_text())
    triggers = document[True]  # YAML 1.1 reads the `on:` key as True
    assert "schedule" in triggers and triggers["schedule"][0]["cron"]
    assert document["permissions"] == {"contents": "write", "pull-requests": "write"}
    assert workflow_step("retire.yml", uses="actions/checkout")["with"]["fetch-depth"] == 0


def test_pull_request_check(tmp_path, remote_and_clone):
    remote, _ = remote_and_clone
    document = yaml.safe_load((EXAMPLES / "check.yml").read_text())
    assert "pull_request" in document[True]
    assert workflow_step("check.yml", uses="actions/checkout")["with"]["fetch-depth"] == 0
    command = workflow_step("check.yml")["run"]
    assert command == "patchmod check --base origin/${{ github.base_ref }}"
    command = command.replace("${{ github.base_ref }}", "main")

    # A runner's checkout of a pull request branch.
    checkout = tmp_path / "checkout"
    git(tmp_path, "clone", "-q", str(remote), str(checkout))
    git(checkout, "switch", "-q", "-c", "feature")
    text = (checkout / ORDER).read_text()
    write(checkout, ORDER, text.replace("return await workflow.execute_activity(ship",
                                        "return await workflow.execute_activity(ship_express"))
    commit_all(checkout, "ship express")
    env = {**os.environ, **GIT_ENV, "PATH": os.pathsep.join([str(BIN), os.environ.get("PATH", "")])}
    failed = run_script(command, checkout, env)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert f"{ORDER}:" in failed.stdout and "without a patch; run: patchmod introduce" in failed.stdout

    # The fix the finding suggests makes the pull request pass.
    suggestion = failed.stdout.split("; run: ", 1)[1].splitlines()[0]
    git(checkout, "reset", "-q", "--soft", "HEAD~1")
    git(checkout, "stash", "-q")
    git(checkout, "stash", "pop", "-q")
    fixed = subprocess.run(shlex.split(suggestion), cwd=checkout, env=env, capture_output=True, text=True)
    assert fixed.returncode == 0, fixed.stderr
    passed = run_script(command, checkout, env)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert passed.stdout.startswith("patchmod check: ok:")


def test_pre_commit_hook(tmp_path):
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    hook = next(h for h in hooks if h["id"] == "patchmod-check")
    assert hook["language"] == "python" and hook["types"] == ["python"] and hook["pass_filenames"] is True
    repo = make_repo(tmp_path / "repo", {ORDER: SOURCE, "tools/other.py": "X = 1\n"})
    write(repo, ORDER, SOURCE.replace("ship, order_id", "ship_express, order_id"))
    write(repo, "tools/other.py", "X = 2\n")
    git(repo, "add", "-A")
    env = {**os.environ, **GIT_ENV, "PATH": os.pathsep.join([str(BIN), os.environ.get("PATH", "")])}
    # pre-commit runs `entry` with the staged files of the hook's types.
    done = subprocess.run([*shlex.split(hook["entry"]), ORDER, "tools/other.py"], cwd=repo, env=env,
                          capture_output=True, text=True)
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stdout.startswith(f"{ORDER}:24: run(): changed `ship` to `ship_express`")
