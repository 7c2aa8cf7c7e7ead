#!/usr/bin/env bash
# Copies the text corpora of ../shared/data (Penn Treebank: the first 6,778 training sentences and the whole validation
# and test splits; Tiny Shakespeare; see ../shared/data/README.md) into .cache/data/text (or $1) after checking each
# file's SHA-256; a no-op for files already there. The source folder can be overridden with TEXT_CORPORA. A missing
# file is a warning (image work does not need them), a damaged one an error. Never commit the copies.
set -euo pipefail
dest="${1:-.cache/data/text}"
source="${TEXT_CORPORA:-../shared/data}"
files=(
  "ptb/ptb.train.head.txt 2b86eb04cc9b9660dcbc52cd72837e7dc3ba971b12965d457d69eed432e636fc"
  "ptb/ptb.valid.txt c9fe6985fe0d4ccb578183407d7668fc6066c20700cb4cf87d8ff1cc34df1bf2"
  "ptb/ptb.test.txt dd65dff31e70846b2a6030a87482edcd5d199130cdcfa1f3dccbb033728deee0"
  "tinyshakespeare.txt 86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed"
)
copied=0
for entry in "${files[@]}"; do
  read -r name expected <<<"$entry"
  target="$dest/$(basename "$name")"
  if [ -f "$target" ] && [ "$(sha256sum "$target" | cut -d' ' -f1)" = "$expected" ]; then continue; fi
  if [ ! -f "$source/$name" ]; then
    echo "warning: $source/$name not found; not copied (see ../shared/data/README.md; set TEXT_CORPORA to its folder)" >&2
    continue
  fi
  actual=$(sha256sum "$source/$name" | cut -d' ' -f1)
  if [ "$actual" != "$expected" ]; then
    echo "$source/$name is damaged: SHA-256 $actual, expected $expected" >&2
    exit 1
  fi
  mkdir -p "$dest"
  cp "$source/$name" "$target.tmp.$$" && chmod u+w "$target.tmp.$$" && mv "$target.tmp.$$" "$target"
  copied=$((copied + 1))
done
if [ "$copied" -gt 0 ]; then echo "text corpora copied into $dest ($copied files, SHA-256 verified)"; else echo "text corpora already in $dest"; fi
