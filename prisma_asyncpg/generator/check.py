"""`python -m prisma_asyncpg.generator.check`: exits 1 when a committed client differs from what
`prisma generate` writes now (it regenerates into a temporary directory and compares bytes)."""

from __future__ import annotations

import argparse
import difflib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from prisma_asyncpg.generator.protocol import MANIFEST, OUTPUT_ENV

# `generate` reads the datasource URL but never connects.
PLACEHOLDER_URL = "postgresql://unused@127.0.0.1/unused"


def regenerate(prisma: list[str], schema: Path, generator: str, directory: Path) -> None:
    """Runs `prisma generate` for one generator block, writing into `directory`."""
    env = {**os.environ, OUTPUT_ENV: str(directory)}
    env.setdefault("DATABASE_URL", PLACEHOLDER_URL)
    subprocess.run(  # noqa: S603 - the caller's Prisma command, arguments built here
        [*prisma, "generate", "--schema", str(schema), "--generator", generator],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )


def generated_files(directory: Path) -> set[str]:
    """The files the generator wrote into `directory` (its manifest and what it lists): the output
    may hold other files (`schema.prisma`, `migrations/`), which are not the generator's."""
    manifest = directory / MANIFEST
    if not manifest.is_file():
        return set()
    listed = {MANIFEST, *(line.strip() for line in manifest.read_text().splitlines() if line.strip())}
    return {name for name in listed if (directory / name).is_file()}


def drift(committed: Path, fresh: Path) -> list[str]:
    """Human-readable differences between two generated packages (empty when identical)."""
    committed_files = generated_files(committed)
    fresh_files = generated_files(fresh)
    problems = [f"missing: {name}" for name in sorted(fresh_files - committed_files)]
    problems += [f"not generated any more: {name}" for name in sorted(committed_files - fresh_files)]
    for name in sorted(fresh_files & committed_files):
        old, new = (committed / name).read_text(), (fresh / name).read_text()
        if old != new:
            diff = difflib.unified_diff(
                old.splitlines(), new.splitlines(), f"committed/{name}", f"fresh/{name}"
            )
            problems.append("\n".join(list(diff)[:40]))
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Checks that a generated client matches its schema.")
    parser.add_argument("--schema", type=Path, required=True)
    parser.add_argument("--output", type=Path, required=True, help="the committed generated package")
    parser.add_argument("--generator", default="client", help="the generator block's name")
    parser.add_argument("--prisma", default="npx prisma", help="the Prisma CLI command")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as temporary:
        try:
            regenerate(args.prisma.split(), args.schema, args.generator, Path(temporary))
        except subprocess.CalledProcessError as error:
            print(f"prisma generate failed:\n{error.stdout}\n{error.stderr}", file=sys.stderr)
            return 2
        problems = drift(args.output, Path(temporary))
    for problem in problems:
        print(problem)
    if problems:
        print(f"{args.output} is stale: run prisma generate --schema {args.schema}", file=sys.stderr)
        return 1
    print(f"{args.output} matches {args.schema}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
