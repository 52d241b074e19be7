// Loaded by prisma.config.ts into every Prisma CLI run (once per process).
// 1. prisma/orm#27403: @prisma/adapter-pg cannot deserialize the catalog types `name` (19),
//    `char` (18) and `name[]` (1003) that the schema engine reads; present them as text.
// 2. prisma/orm#29635: the schema engine panics (`RuntimeError: unreachable`) introspecting
//    PostgreSQL 18, which lists NOT NULL constraints in pg_constraint with contype 'n'. The engine
//    reads nullability from pg_attribute anyway, so dropping those rows is lossless.
// 3. Prisma 6.19's wasm schema engine leaves 10 s and 60 s timers pending after the command is
//    done, and the adapter's pg pool keeps an idle connection for 10 s; let the process exit when
//    its work is finished.
// 4. Notices that do not apply to this project are dropped from the CLI's output: the JS client's
//    tips and ads (the project uses only the Python models `generate` writes), the claim that .env
//    is not loaded (prisma.config.ts loads it), and the warning that the schema's datasource `url`
//    is unused (the driver adapter reads the same DATABASE_URL).
'use strict'
const path = require('node:path')

const NODE_MODULES = path.join(__dirname, '..', '..', 'node_modules')
const TEXT = 25
const TEXT_ARRAY = 1009
const AS_TEXT = { 18: TEXT, 19: TEXT, 1003: TEXT_ARRAY }

function patchPgResult (Result) {
  const addFields = Result.prototype.addFields
  Result.prototype.addFields = function (fieldDescriptions) {
    for (const field of fieldDescriptions) {
      if (field.dataTypeID in AS_TEXT) field.dataTypeID = AS_TEXT[field.dataTypeID]
    }
    return addFields.call(this, fieldDescriptions)
  }
  const addRow = Result.prototype.addRow
  Result.prototype.addRow = function (row) {
    const names = (this.fields || []).map((field) => field.name)
    const index = names.indexOf('constraint_type')
    if (index >= 0 && names.includes('constraint_definition')) {
      if ((Array.isArray(row) ? row[index] : row.constraint_type) === 'n') return
    }
    return addRow.call(this, row)
  }
}

function patchPgPool (Pool) {
  const release = Pool.prototype._release
  Pool.prototype._release = function (...args) {
    this.options.allowExitOnIdle = true
    return release.apply(this, args)
  }
}

function unrefLongTimers () {
  const setTimeoutOriginal = global.setTimeout
  global.setTimeout = function (callback, delay, ...args) {
    const timer = setTimeoutOriginal(callback, delay, ...args)
    if (typeof delay === 'number' && delay >= 10000 && timer && typeof timer.unref === 'function') timer.unref()
    return timer
  }
}

function requireOptional (name) {
  try {
    return require(path.join(NODE_MODULES, name))
  } catch (err) {
    if (err.code === 'MODULE_NOT_FOUND') return null
    throw err
  }
}

const NOISE = [
  /^Prisma config detected, skipping environment variable loading\.$/,
  /^WARNING: Your schema specifies the following datasource properties but you are using a Driver Adapter/,
  /^- url$/,
  /^The values from your schema will NOT be used!$/,
  /^We recommend you to remove those properties from your schema/,
  /Generated Prisma Client \(v[0-9.]+\) to \.\/node_modules\/\.prisma\/client/,
  /^Start by importing your Prisma Client/,
  /^Tip: /,
  /pris\.ly\/tip-/
]
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g

function isNoise (line) {
  const text = line.replace(ANSI, '').trim()
  return text !== '' && NOISE.some((pattern) => pattern.test(text))
}

function dropNoise (stream) {
  const write = stream.write.bind(stream)
  stream.write = function (chunk, encoding, callback) {
    if (typeof chunk !== 'string' && !Buffer.isBuffer(chunk)) return write(chunk, encoding, callback)
    const text = chunk.toString()
    const lines = text.split('\n')
    if (!lines.some(isNoise)) return write(chunk, encoding, callback)
    const kept = lines.filter((line) => !isNoise(line)).join('\n').replace(/\n{3,}/g, '\n\n')
    if (kept.trim() === '') {
      const done = typeof encoding === 'function' ? encoding : callback
      if (typeof done === 'function') process.nextTick(done)
      return true
    }
    return write(kept, typeof encoding === 'function' ? undefined : encoding, typeof encoding === 'function' ? encoding : callback)
  }
}

if (!global.__invoiceServicePrismaPreload) {
  global.__invoiceServicePrismaPreload = true
  const Result = requireOptional(path.join('pg', 'lib', 'result.js'))
  if (Result) patchPgResult(Result)
  const Pool = requireOptional('pg-pool')
  if (Pool) patchPgPool(Pool)
  unrefLongTimers()
  dropNoise(process.stdout)
  dropNoise(process.stderr)
}
