#!/usr/bin/env bash
# patchmod demo: the whole life of a patch. A sample repository gets a
# realistic edit (a fraud check after payment); `patchmod introduce` wraps it
# in workflow.patched, `patchmod deprecate` later turns that into
# workflow.deprecate_patch, and `patchmod remove` finally drops the call.
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

step "7. Removing the patch now is refused: patched() is still in the code"
printf '$ patchmod remove %s\n' "$patch_id"
if patchmod remove "$patch_id"; then
    echo "unexpected: remove succeeded while patched() was still there" >&2
    exit 1
else
    echo "(exit status $?: nothing written)"
fi

step "8. Weeks later, no open execution lacks the marker: patchmod deprecate $patch_id"
run patchmod deprecate "$patch_id"

step "9. The deprecated workflow: deprecate_patch where patched stood, only the new code"
run sed -n '/^@workflow.defn/,$p' workflows/order.py

step "10. The deprecate commit"
run git --no-pager show HEAD

step "11. Once no execution carries a non-deprecated marker: patchmod remove $patch_id"
run patchmod remove "$patch_id"

step "12. The complete workflow: only the new code, and its history"
run sed -n '/^@workflow.defn/,$p' workflows/order.py

step "13. The remove commit"
run git --no-pager show HEAD

step "14. The id stays retired: introducing it again is refused"
printf '$ patchmod introduce %s\n' "$patch_id"
sed -i.bak 's/seconds=10/seconds=20/' workflows/order.py && rm -f workflows/order.py.bak
if patchmod introduce "$patch_id"; then
    echo "unexpected: a retired id was introduced again" >&2
    exit 1
else
    echo "(exit status $?: pick a new id, e.g. ${patch_id%-v1}-v2)"
fi
git checkout -q -- workflows/order.py

step "15. The life of the patch in git"
run git --no-pager log --format='%h %s%n%(trailers:only,unfold)'
