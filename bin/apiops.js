#!/usr/bin/env node
// First, before the heap grows: the V8 flags every apiops process runs with.
import './v8-tuning.js'
// Runs the TypeScript sources directly (tsx), so `npx apiops` needs no build step.
import { register } from 'tsx/esm/api'

register()
await import('../src/main.ts')
