#!/usr/bin/env bash
# Runs the project's pinned Prisma CLI from the project root, installing it first when missing.
# Everything that makes it work offline (stub engine paths, the driver preload, the virtualenv on
# PATH for the Python generator) is set up by prisma.config.ts, so `npx prisma …` works the same.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
if [ ! -x node_modules/.bin/prisma ]; then
  npm ci --loglevel=error >&2
fi
export PRISMA_HIDE_UPDATE_MESSAGE=1
export CHECKPOINT_DISABLE=1
exec node_modules/.bin/prisma "$@"
