// Prisma CLI configuration: run the schema engine through the bundled wasm build and the pg
// driver adapter, so `db push`, `migrate diff`, `migrate deploy` and `generate` need no binary
// engine download, with plain `npx prisma …` as with prisma/tools/prisma.sh (README, "Prisma workflow").
import fs from 'node:fs'
import path from 'node:path'
import { defineConfig } from 'prisma/config'
import { PrismaPg } from '@prisma/adapter-pg'

const root = __dirname
// Any existing file stops the CLI from downloading that engine; the wasm engines do the work.
const stub = path.join(root, 'prisma', 'tools', 'engine-stub')
for (const name of ['PRISMA_QUERY_ENGINE_LIBRARY', 'PRISMA_QUERY_ENGINE_BINARY', 'PRISMA_SCHEMA_ENGINE_BINARY']) {
  process.env[name] ??= stub
}
// The Python generator (`python3 -m prisma_asyncpg.generator`) runs in the project's virtualenv when there is one.
const venvBin = path.join(root, '.venv', 'bin')
if (fs.existsSync(venvBin) && !(process.env.PATH ?? '').startsWith(venvBin)) {
  process.env.PATH = `${venvBin}${path.delimiter}${process.env.PATH ?? ''}`
}
// Driver workarounds (prisma/orm#27403, #29635) and the lingering timers (loaded once).
require('./prisma/tools/preload.cjs')

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: path.join('prisma', 'schema.prisma'),
  migrations: { path: path.join('prisma', 'migrations') },
  adapter: async () => new PrismaPg({ connectionString: process.env.DATABASE_URL }),
})
