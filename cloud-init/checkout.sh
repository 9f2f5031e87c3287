#!/bin/sh
# Puts the repository at {{ BOX_DIR }} on the exact commit (detached), fetching only it.
# Usage: {{ CHECKOUT_BIN }} [sha]   (default: PILLBOX_GIT_SHA from {{ SETTINGS_ENV }})
set -eu
. {{ SETTINGS_ENV }}
sha=${1:-$PILLBOX_GIT_SHA}
if [ ! -d {{ BOX_DIR }}/.git ]; then
  git init --quiet {{ BOX_DIR }}
  git -C {{ BOX_DIR }} remote add origin "$PILLBOX_REPO_URL"
fi
git -C {{ BOX_DIR }} fetch --quiet --depth 1 origin "$sha"
git -C {{ BOX_DIR }} checkout --quiet --force --detach "$sha"
