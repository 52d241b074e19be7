"""Entry point Prisma runs for `generator client { provider = "python3 -m prisma_asyncpg.generator" }`."""

import sys

from prisma_asyncpg.generator.protocol import serve

if __name__ == "__main__":
    sys.exit(serve(sys.stdin, sys.stderr))
