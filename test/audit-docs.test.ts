import { readdirSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { catalogueTable } from '../scripts/audit-catalogue.ts'

/** A Markdown table's cells, whatever padding the formatter gave it. */
const cells = (table: string) =>
  table
    .trim()
    .split('\n')
    .map((line) =>
      line
        .split(/(?<!\\)\|/)
        .slice(1, -1)
        .map((cell) => (/^\s*:?-+:?\s*$/.test(cell) ? '---' : cell.trim())),
    )

/** The page that documents the audit log holds the catalogue as src/audit/events.ts has it. */
describe('the documented audit catalogue', () => {
  it('is the table generated from the module (node --import tsx scripts/audit-catalogue.ts)', () => {
    const pages = [
      'README.md',
      ...readdirSync(new URL('../docs/', import.meta.url))
        .filter((f) => f.endsWith('.md'))
        .map((f) => `docs/${f}`),
    ]
    const marked = /<!-- audit-catalogue:start[^>]*-->\n([\s\S]*?)<!-- audit-catalogue:end -->/
    const found = pages.flatMap((page) => {
      const match = marked.exec(readFileSync(new URL(`../${page}`, import.meta.url), 'utf8'))
      return match ? [{ page, table: match[1] }] : []
    })
    expect(found.map((f) => f.page)).toHaveLength(1)
    expect(cells(found[0]?.table ?? '')).toEqual(cells(catalogueTable()))
  })
})
