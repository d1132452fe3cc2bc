#!/usr/bin/env bash
# patchmod demo: a sample repository gets a realistic edit (a fraud check
# after payment) and `patchmod introduce` wraps it in workflow.patched.
# Run it with `make demo` (which puts .venv/bin first on PATH).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
patch_id="add-fraud-check-v1"
work="$(mktemp -d "${TMPDIR:-/tmp}/patchmod-demo.XXXXXX")"
trap 'rm -rf "$work"' EXIT
# The demo makes its own commits; keep the user's git settings out of it.
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
export GIT_AUTHOR_NAME="patchmod demo" GIT_AUTHOR_EMAIL="demo@example.com"
export GIT_COMMITTER_NAME="patchmod demo" GIT_COMMITTER_EMAIL="demo@example.com"

if [ -t 1 ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold= plain=; fi
step() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }
run() { printf '$ %s\n' "$*"; "$@"; }

step "1. A sample repository with OrderWorkflow (charge, then ship), committed"
cp -R "$here/repo/." "$work/"
cd "$work"
git init -q -b main
git add .
git commit -q -m "Order workflow: charge and ship"
run git log --oneline

step "2. A developer adds a fraud check after payment (working tree, uncommitted)"
cp "$here/edit/workflows/order.py" workflows/order.py
run git --no-pager diff

step "3. patchmod introduce $patch_id"
run patchmod introduce "$patch_id"

step "4. The rewritten workflow"
run sed -n '/^@workflow.defn/,$p' workflows/order.py

step "5. The commit patchmod made"
run git --no-pager show --stat HEAD

step "6. What the commit changed"
run git --no-pager show --format= HEAD

# Later stages (deprecate, remove) continue from here.
