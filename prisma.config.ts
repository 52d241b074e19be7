// Prisma CLI configuration: run the schema engine through the bundled wasm build and the pg
// driver adapter, so `db push`, `migrate diff`, `migrate deploy` and `generate` need no binary
// engine download (see README, "Prisma workflow").
import path from 'node:path'
import { defineConfig } from 'prisma/config'
import { PrismaPg } from '@prisma/adapter-pg'

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: path.join('prisma', 'schema.prisma'),
  migrations: { path: path.join('prisma', 'migrations') },
  adapter: async () => new PrismaPg({ connectionString: process.env.DATABASE_URL }),
})
