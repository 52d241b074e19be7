"""Database access: the asyncpg pool, the migrator, the embedded server and the generated models."""
