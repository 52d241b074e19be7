// Preloaded into every Prisma CLI run by prisma/tools/prisma.sh.
// 1. prisma/orm#27403: @prisma/adapter-pg cannot deserialize the catalog types `name` (19),
//    `char` (18) and `name[]` (1003) that the schema engine reads; present them as text.
// 2. Prisma 6.19's wasm schema engine leaves a 60 s timer pending after the command is done;
//    unref long timers so the process exits when its work is finished.
'use strict'
const path = require('node:path')

const TEXT = 25
const TEXT_ARRAY = 1009
const remap = { 18: TEXT, 19: TEXT, 1003: TEXT_ARRAY }

try {
  const pgResult = require(path.join(process.cwd(), 'node_modules', 'pg', 'lib', 'result.js'))
  const addFields = pgResult.prototype.addFields
  pgResult.prototype.addFields = function (fieldDescriptions) {
    for (const field of fieldDescriptions) {
      if (field.dataTypeID in remap) field.dataTypeID = remap[field.dataTypeID]
    }
    return addFields.call(this, fieldDescriptions)
  }
} catch (err) {
  if (err.code !== 'MODULE_NOT_FOUND') throw err
}

const setTimeoutOriginal = global.setTimeout
global.setTimeout = function (callback, delay, ...args) {
  const timer = setTimeoutOriginal(callback, delay, ...args)
  if (typeof delay === 'number' && delay >= 60000 && timer && typeof timer.unref === 'function') timer.unref()
  return timer
}
