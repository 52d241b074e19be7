#!/usr/bin/env bash
# Runs the project's pinned Prisma CLI with everything it needs to work offline:
# stub engine paths (the wasm engine does the work; nothing is downloaded), the preload that
# works around prisma/orm#27403 and the lingering timer, and the project's Python on PATH for
# the Python generator.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
if [ ! -x node_modules/.bin/prisma ]; then
  npm ci --loglevel=error >&2
fi
stub="$root/prisma/tools/engine-stub"
export PRISMA_QUERY_ENGINE_LIBRARY="${PRISMA_QUERY_ENGINE_LIBRARY:-$stub}"
export PRISMA_QUERY_ENGINE_BINARY="${PRISMA_QUERY_ENGINE_BINARY:-$stub}"
export PRISMA_SCHEMA_ENGINE_BINARY="${PRISMA_SCHEMA_ENGINE_BINARY:-$stub}"
export PRISMA_HIDE_UPDATE_MESSAGE=1
export CHECKPOINT_DISABLE=1
export NODE_OPTIONS="--require $root/prisma/tools/preload.cjs ${NODE_OPTIONS:-}"
if [ -x "$root/.venv/bin/python3" ]; then
  export PATH="$root/.venv/bin:$PATH"
fi
exec node_modules/.bin/prisma "$@"
