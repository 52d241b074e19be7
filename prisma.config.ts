// Prisma CLI configuration: run the schema engine through the bundled wasm build and the pg
// driver adapter, so `db push`, `migrate diff`, `migrate deploy` and `generate` need no binary
// engine download, with plain `npx prisma …` as with prisma/tools/prisma.sh (README, "Prisma workflow").
import fs from 'node:fs'
import path from 'node:path'
import { defineConfig } from 'prisma/config'
import { PrismaPg } from '@prisma/adapter-pg'

const root = __dirname

// The project's .env, as the Python commands read it (pydantic-settings): variables already in the
// environment win. Prisma skips its own .env loading whenever a config file exists.
function loadDotEnv (file: string): void {
  if (!fs.existsSync(file)) return
  for (const raw of fs.readFileSync(file, 'utf8').split(/\r?\n/)) {
    const line = raw.trim().replace(/^export\s+/, '')
    const match = /^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line)
    if (!match || line.startsWith('#')) continue
    let value = match[2]
    const quoted = /^(['"])(.*)\1$/.exec(value)
    value = quoted ? quoted[2] : value.replace(/\s+#.*$/, '').trim()
    if (process.env[match[1]] === undefined) process.env[match[1]] = value
  }
}
loadDotEnv(path.join(root, '.env'))
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
