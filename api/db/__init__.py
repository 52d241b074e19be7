"""Database access: the asyncpg pool, the migrator (`python -m api.db migrate`) and what a failure to
use the database means. Development tools (the embedded server, database admin, the drift check)
are devkit's."""
