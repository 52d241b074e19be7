"""Entry point Prisma runs for the `python_models` generator block."""

import sys

from api.db.generator.protocol import serve

if __name__ == "__main__":
    sys.exit(serve(sys.stdin, sys.stderr))
