"""The Prisma generator of the engine-free client: `provider = "python3 -m prisma_asyncpg.generator"`."""
