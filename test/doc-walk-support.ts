import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'

/*
 * Reads the Apinizer reference pages the documented walk drives: each page's method and
 * path (its "## Endpoint" block), its request examples, and its documented success
 * answer (the JSON example, and the "Response Fields" table where there is one). Pages
 * that answer "same as <other page>" are followed to that page.
 */

export const REFERENCE_ROOT =
  process.env.APIOPS_REFERENCE_ROOT ??
  '/work/shared/reference/apinizer-management-api-docs/02-api-reference'

export const WALKED_SECTIONS = ['04-api-proxies', '09-api-proxy-groups', '10-environment-variables']

export interface DocAnswer {
  example: Record<string, unknown>
  /** Top-level field -> type as the fields table writes it (`string|null`, `array[object]`). */
  tableTypes: Map<string, string>
  /** Top-level fields the table says are present only sometimes ("(if deploy=true)"). */
  conditional: Set<string>
}

export interface DocPage {
  /** The page's path under the reference root, without `.md`: `04-api-proxies/crud/get-api-proxy`. */
  id: string
  method: string
  path: string
  multipart: boolean
  /** Request bodies, in page order (for multipart pages: the metadata JSON). */
  examples: Record<string, unknown>[]
  answer: DocAnswer | undefined
  /** The roles the page names. */
  roles: string[]
}

/** Every page of the walked sections, except the index pages. */
export function walkedPageIds(): string[] {
  const ids: string[] = []
  const visit = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) visit(path)
      else if (entry.name.endsWith('.md') && entry.name !== 'index.md')
        ids.push(relative(REFERENCE_ROOT, path).replace(/\.md$/, ''))
    }
  }
  for (const section of WALKED_SECTIONS) visit(join(REFERENCE_ROOT, section))
  return ids.sort()
}

const pageText = (id: string) => readFileSync(join(REFERENCE_ROOT, `${id}.md`), 'utf8')

/** The text between a heading matching `start` and the next heading of the same or a higher level. */
function section(text: string, start: RegExp): string | undefined {
  const lines = text.split('\n')
  const at = lines.findIndex((l) => /^#+ /.test(l) && start.test(l))
  if (at < 0) return undefined
  const level = (lines[at] as string).indexOf(' ')
  const end = lines.findIndex((l, i) => i > at && /^#+ /.test(l) && l.indexOf(' ') <= level)
  return lines.slice(at + 1, end < 0 ? undefined : end).join('\n')
}

function requestExamples(text: string): Record<string, unknown>[] {
  const re = /^#### Full JSON (?:Body|Metadata) Example[^\n]*\n+```json\n([\s\S]*?)\n```/gm
  const found = [...text.matchAll(re)].map((m) => JSON.parse(m[1] as string))
  if (found.length > 0) return found
  // No body example of its own ("same structure as create"): the cURL examples' bodies.
  return [...text.matchAll(/-d '(\{[\s\S]*?\})'/g)].map((m) => JSON.parse(m[1] as string))
}

function fieldsTable(text: string) {
  const tableTypes = new Map<string, string>()
  const conditional = new Set<string>()
  const fields = section(text, /Response Fields/) ?? ''
  for (const line of fields.split('\n')) {
    // Cells split on unescaped pipes: a type may read `string\|null`.
    const [, name, type, description] = line.split(/(?<!\\)\|/).map((c) => c.trim())
    if (!name || !type || !/^[A-Za-z]\w*$/.test(name) || name === 'Field') continue
    tableTypes.set(name, type.replace(/\\\|/g, '|'))
    if (/\(if /i.test(description ?? '')) conditional.add(name)
  }
  return { tableTypes, conditional }
}

function answerOf(id: string, seen: string[] = []): DocAnswer | undefined {
  const text = pageText(id)
  const response = section(text, /^#+ Response$/) ?? section(text, /Success Response/) ?? ''
  const json = /Success Response[^\n]*\n+```json\n([\s\S]*?)\n```/.exec(text)
  if (json) {
    const { tableTypes, conditional } = fieldsTable(text)
    return { example: JSON.parse(json[1] as string), tableTypes, conditional }
  }
  const same = /Same as [^\n]*?\(\/management-api-docs\/02-api-reference\/([^)]+?)\/?\)/.exec(
    response,
  )
  if (same && !seen.includes(id)) return answerOf(same[1] as string, [...seen, id])
  return undefined
}

/**
 * A page with an answer example but no fields table takes the notes of a page showing
 * the very same answer (one in its own folder first): the same JSON means the same
 * fields, and only the table says which are present only sometimes.
 */
function withBorrowedNotes(id: string, answer: DocAnswer | undefined): DocAnswer | undefined {
  if (!answer || answer.tableTypes.size > 0) return answer
  const same = JSON.stringify(answer.example)
  const folder = dirname(id)
  const others = walkedPageIds()
    .filter((other) => other !== id)
    .sort((a, b) => Number(dirname(b) === folder) - Number(dirname(a) === folder))
  for (const other of others) {
    const notes = answerOf(other)
    if (notes && notes.tableTypes.size > 0 && JSON.stringify(notes.example) === same)
      return { ...answer, tableTypes: notes.tableTypes, conditional: notes.conditional }
  }
  return answer
}

export function readDocPage(id: string): DocPage {
  const text = pageText(id)
  const endpoint = section(text, /^## Endpoint/) ?? ''
  const line = /^(GET|POST|PUT|PATCH|DELETE) (\/apiops\/\S+)$/m.exec(endpoint)
  if (!line) throw new Error(`${id}: no method and path under "## Endpoint"`)
  return {
    id,
    method: line[1] as string,
    path: line[2] as string,
    multipart: /\| Content-Type \| multipart\/form-data/.test(text),
    examples: requestExamples(text),
    answer: withBorrowedNotes(id, answerOf(id)),
    roles: [...new Set(text.match(/ROLE_[A-Z_]+/g) ?? [])],
  }
}

const jsonType = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v)

/** The JSON types a field may have: the example's, or (for a null example) the table's. */
function allowedTypes(example: unknown, tableType: string | undefined): Set<string> | 'any' {
  const fromTable = (tableType ?? '')
    .split('|')
    .map((t) => t.trim().replace(/\[.*$/, ''))
    .map((t) => (t === 'integer' ? 'number' : t))
  const allowed = new Set<string>()
  if (example !== null) allowed.add(jsonType(example))
  else if (tableType) for (const t of fromTable) allowed.add(t)
  else return 'any'
  if (fromTable.includes('null')) allowed.add('null')
  return allowed
}

/**
 * What is wrong with an answer, measured against the page's documented one: every
 * top-level field present with its documented JSON type, and, where the doc shows a
 * list of objects, the fields of the answer's first item likewise. [] when nothing is.
 */
export function answerProblems(doc: DocAnswer, actual: unknown): string[] {
  const problems: string[] = []
  if (jsonType(actual) !== 'object') return [`the answer is ${jsonType(actual)}, not an object`]
  const got = actual as Record<string, unknown>
  const compare = (
    where: string,
    expected: Record<string, unknown>,
    found: object,
    top: boolean,
  ) => {
    const record = found as Record<string, unknown>
    for (const [field, example] of Object.entries(expected)) {
      const present = Object.hasOwn(record, field)
      if (!present) {
        if (!(top && doc.conditional.has(field))) problems.push(`${where}${field} is missing`)
        continue
      }
      const allowed = allowedTypes(example, top ? doc.tableTypes.get(field) : undefined)
      const type = jsonType(record[field])
      if (allowed !== 'any' && !allowed.has(type))
        problems.push(`${where}${field} is ${type}, documented as ${[...allowed].join('|')}`)
      if (!top || !Array.isArray(example) || jsonType(example[0]) !== 'object') continue
      const list = record[field]
      if (!Array.isArray(list) || list.length === 0) {
        problems.push(`${where}${field} has no first item to compare with the documented one`)
        continue
      }
      if (jsonType(list[0]) !== 'object') problems.push(`${field}[0] is not an object`)
      else compare(`${field}[0].`, example[0] as Record<string, unknown>, list[0], false)
    }
  }
  compare('', doc.example, got, true)
  return problems
}
