"""The Prisma generator that writes api/db/models.py: `python3 -m api.db.generator` (see schema.prisma)."""
