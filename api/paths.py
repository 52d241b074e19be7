"""Where the project's files are, wherever the process was started from."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS_DIR = PROJECT_ROOT / "prisma" / "migrations"
SCHEMA_PATH = PROJECT_ROOT / "prisma" / "schema.prisma"
