#!/usr/bin/env node
// First, before the heap grows: the V8 flags every apiops process runs with.
import './v8-tuning.js'
// The compiled server and CLI (npm run build; npm start builds them when missing).
import { existsSync } from 'node:fs'

const main = new URL('../dist/main.js', import.meta.url)
if (!existsSync(main)) {
  process.stderr.write('apiops: dist/main.js is missing: run `npm run build` first\n')
  process.exit(1)
}
await import(main.href)
