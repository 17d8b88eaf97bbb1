#!/usr/bin/env bash
# Makes release X.Y.Z: sets setup.cfg's version (the one place it is written), dates CHANGELOG.md's
# "[X.Y.Z] - Unreleased" section (or renames "[Unreleased]" to it), commits both and makes the
# annotated tag vX.Y.Z. Usage: scripts/release.sh X.Y.Z   (then: git push --follow-tags)
#
# A number in a file rather than one derived from git tags (setuptools-scm): CI and `make bundle`
# may run on a clone without tags (shallow, or tags not fetched) or on a `git archive` without .git;
# there a tag-derived version silently becomes 0.1.dev1+g…, and two different builds could carry the
# same name. A number in setup.cfg is the same wherever the tree goes, and the tag records the commit.
set -euo pipefail
cd "$(dirname "$0")/.."
version=${1:?usage: scripts/release.sh X.Y.Z}
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "release: $version is not X.Y.Z" >&2; exit 2; }
git diff --quiet HEAD || { echo "release: commit or stash your changes first" >&2; exit 2; }
if git rev-parse -q --verify "refs/tags/v$version" >/dev/null; then
  echo "release: tag v$version exists already" >&2; exit 2
fi
today=$(date -u +%Y-%m-%d)
if grep -q "^## \[$version\] - Unreleased" CHANGELOG.md; then
  sed -i "s/^## \[$version\] - Unreleased/## [$version] - $today/" CHANGELOG.md
elif grep -q "^## \[Unreleased\]" CHANGELOG.md; then
  sed -i "s/^## \[Unreleased\]/## [$version] - $today/" CHANGELOG.md
else
  echo "release: CHANGELOG.md has no '## [$version] - Unreleased' or '## [Unreleased]' section" >&2; exit 2
fi
sed -i "s/^version = .*/version = $version/" setup.cfg
git commit -q -m "Release $version" setup.cfg CHANGELOG.md
git tag -a "v$version" -m "Navbat $version"
echo "v$version: $(git rev-parse --short HEAD)"
