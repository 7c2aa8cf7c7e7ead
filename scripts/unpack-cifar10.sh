#!/usr/bin/env bash
# Unpacks CIFAR-10 (the JPEG copy in ../shared/data/cifar-10-jpg.tar.gz, see ../shared/data/README.md)
# into .cache/data/cifar-10 (or $1) after checking the archive's SHA-256; a no-op when already unpacked.
# The archive path can be overridden with CIFAR10_ARCHIVE; a missing archive is a warning (MNIST work does not need
# it), a damaged one an error. Never commit the unpacked files.
set -euo pipefail
dest="${1:-.cache/data/cifar-10}"
archive="${CIFAR10_ARCHIVE:-../shared/data/cifar-10-jpg.tar.gz}"
expected=0b6be846337a5bf8e4b15a13600a74336e4e9ba7e301c980aabeca32c9e026c8
if [ -f "$dest/.unpacked-$expected" ]; then
  echo "CIFAR-10 already in $dest"
  exit 0
fi
if [ ! -f "$archive" ]; then
  # MNIST alone (make demo) does not need it; the CIFAR-10 tests and make cifar10 then fail naming this step.
  echo "warning: CIFAR-10 archive not found: $archive; CIFAR-10 not unpacked (see ../shared/data/README.md; set CIFAR10_ARCHIVE to its path)" >&2
  exit 0
fi
actual=$(sha256sum "$archive" | cut -d' ' -f1)
if [ "$actual" != "$expected" ]; then
  echo "$archive is damaged: SHA-256 $actual, expected $expected" >&2
  exit 1
fi
mkdir -p "$(dirname "$dest")"
staging="$dest.tmp.$$"
rm -rf "$staging" && mkdir -p "$staging"
trap 'rm -rf "$staging"' EXIT
tar xzf "$archive" -C "$staging"
count=$(find "$staging/cifar-10-jpg" -name '*.jpg' | wc -l)
[ "$count" -eq 60000 ] || { echo "$archive unpacked into $count JPEG files, expected 60000" >&2; exit 1; }
touch "$staging/.unpacked-$expected"
rm -rf "$dest" && mv "$staging" "$dest"
trap - EXIT
echo "CIFAR-10 unpacked into $dest (60,000 JPEG files, archive SHA-256 verified)"
