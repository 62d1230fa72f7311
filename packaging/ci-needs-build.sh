#!/bin/sh
# Should CI build the installer? Exit 0 (yes) when the last commit changed what the build depends on
# (packaging/, pyproject.toml, resources/) compared with its parent, 1 (no) otherwise. A repository
# with a single commit, or a shallow clone without the parent, builds (everything is new to it).
#   usage: packaging/ci-needs-build.sh [REPO_DIR]
set -eu
cd "${1:-$(dirname "$0")/..}"
if ! git rev-parse -q --verify HEAD~1 >/dev/null; then
  echo "installer: no parent commit here: building it" >&2
  exit 0
fi
changed=$(git diff --name-only HEAD~1 HEAD -- packaging pyproject.toml resources)
if [ -n "$changed" ]; then
  echo "installer: its inputs changed in the last commit ($(echo "$changed" | head -5 | tr '\n' ' ')): building it" >&2
  exit 0
fi
echo "installer: packaging/, pyproject.toml and resources/ unchanged in the last commit: not building it" >&2
exit 1
