import { spawnSync } from 'node:child_process'
import {
  copyFileSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

/**
 * The layer rules of .dependency-cruiser.cjs, as `npm run lint` runs them: the real src/
 * passes, and a planted upward import, a planted (type-only) cycle and a file outside
 * every layer each fail the step under their rule's name. The plants go into a copy of
 * src/, so a run that dies halfway never leaves them in the tree.
 */
const ROOT = new URL('..', import.meta.url).pathname
const DEPCRUISE = join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs')

/** Runs the lint step's depcruise in `cwd`; each violation as `rule: from-module`. */
function cruise(cwd: string): { status: number | null; violations: string[] } {
  const run = spawnSync(
    process.execPath,
    [DEPCRUISE, 'src', '--config', '.dependency-cruiser.cjs'],
    {
      cwd,
      encoding: 'utf8',
    },
  )
  const violations = [...run.stdout.matchAll(/^\s*error ([\w-]+): (\S+)/gm)].map(
    ([, rule, from]) => `${rule}: ${from}`,
  )
  return { status: run.status, violations: violations.sort() }
}

const PLANTS: Record<string, string> = {
  // db sits below app.ts: an upward import.
  'src/db/__planted_upward.ts': "import { buildApp } from '../app.ts'\nexport const b = buildApp\n",
  // Two modules that only import each other's types: still a cycle.
  'src/cluster/__planted_a.ts':
    "import type { B } from './__planted_b.ts'\nexport interface A {\n  b?: B\n}\n",
  'src/cluster/__planted_b.ts':
    "import type { A } from './__planted_a.ts'\nexport interface B {\n  a?: A\n}\n",
  // A folder no layer names.
  'src/unplaced/__planted.ts': 'export const unplaced = 1\n',
}

describe('layers', () => {
  let copy: string

  beforeAll(() => {
    copy = mkdtempSync(join(tmpdir(), 'apiops-layers-'))
    cpSync(join(ROOT, 'src'), join(copy, 'src'), { recursive: true })
    copyFileSync(join(ROOT, 'tsconfig.json'), join(copy, 'tsconfig.json'))
    copyFileSync(join(ROOT, '.dependency-cruiser.cjs'), join(copy, '.dependency-cruiser.cjs'))
    symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'))
    for (const [path, text] of Object.entries(PLANTS)) {
      mkdirSync(dirname(join(copy, path)), { recursive: true })
      writeFileSync(join(copy, path), text)
    }
  })

  afterAll(() => {
    if (copy) rmSync(copy, { recursive: true, force: true })
  })

  it('src/ as it is breaks no rule', () => {
    const { status, violations } = cruise(ROOT)
    expect(violations).toEqual([])
    expect(status).toBe(0)
  })

  it('a planted upward import, type-only cycle and unplaced file each fail the lint step', () => {
    const { status, violations } = cruise(copy)
    expect(status).not.toBe(0)
    expect(violations).toEqual([
      'layer-unplaced: src/unplaced/__planted.ts',
      'layer-upward-from-db: src/db/__planted_upward.ts',
      // The cycle is reported once, from the first module of it.
      'no-circular: src/cluster/__planted_a.ts',
    ])
  })
})
