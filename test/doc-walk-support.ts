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
  /** A multipart page's form: its file field, and whether it has a metadata field. */
  form: { file: string; metadata: boolean } | undefined
  /** Request bodies, in page order (for multipart pages: the metadata JSON). */
  examples: Record<string, unknown>[]
  answer: DocAnswer | undefined
  /** A page whose success answer is a file: its documented media type and file name. */
  download: { contentType: string; fileName: string } | undefined
  /** The roles the page names. */
  roles: string[]
}

/** Every page of the walked sections (or of `sections`), except the index pages. */
export function walkedPageIds(sections: readonly string[] = WALKED_SECTIONS): string[] {
  const ids: string[] = []
  const visit = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) visit(path)
      else if (entry.name.endsWith('.md') && entry.name !== 'index.md')
        ids.push(relative(REFERENCE_ROOT, path).replace(/\.md$/, ''))
    }
  }
  for (const section of sections) visit(join(REFERENCE_ROOT, section))
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

/** `level`: the heading level of the examples (a type page nests them one deeper). */
function requestExamples(text: string, level = 4): Record<string, unknown>[] {
  const heading = `^#{${level}} Full JSON (?:Body|Metadata) Example[^\\n]*\\n+\`\`\`json\\n([\\s\\S]*?)\\n\`\`\``
  const found = [...text.matchAll(new RegExp(heading, 'gm'))].map((m) => JSON.parse(m[1] as string))
  if (found.length > 0) return found
  // No body example of its own ("same structure as create"): the cURL examples' bodies,
  // but for one that elides part of itself (`[...]`): it is no JSON, so nothing to send.
  return [...text.matchAll(/-d '(\{[\s\S]*?\})'/g)]
    .filter((m) => !(m[1] as string).includes('[...]'))
    .map((m) => JSON.parse(m[1] as string))
}

/** Whether the page's only body example elides part of itself (`[...]`). */
export const elidedExample = (id: string) => /-d '\{[^']*\[\.\.\.\][^']*\}'/.test(pageText(id))

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

/** The success answer a text documents, if it shows one as JSON. */
function answerIn(text: string): DocAnswer | undefined {
  const json = /Success Response[^\n]*\n+```json\n([\s\S]*?)\n```/.exec(text)
  if (!json) return undefined
  const { tableTypes, conditional } = fieldsTable(text)
  // Some pages stand for the rest of a list with `[...]`: an empty list, shape unknown.
  return {
    example: JSON.parse((json[1] as string).replace(/\[\.\.\.\]/g, '[]')),
    tableTypes,
    conditional,
  }
}

function answerOf(id: string, seen: string[] = []): DocAnswer | undefined {
  const text = pageText(id)
  const response = section(text, /^#+ Response$/) ?? section(text, /Success Response/) ?? ''
  const own = answerIn(text)
  if (own) return own
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
  const others = walkedPageIds([...new Set([...WALKED_SECTIONS, id.split('/')[0] as string])])
    .filter((other) => other !== id)
    .sort((a, b) => Number(dirname(b) === folder) - Number(dirname(a) === folder))
  for (const other of others) {
    const notes = answerOf(other)
    if (notes && notes.tableTypes.size > 0 && JSON.stringify(notes.example) === same)
      return { ...answer, tableTypes: notes.tableTypes, conditional: notes.conditional }
  }
  return answer
}

/** The "Form Data" table: the row typed `file`, and whether a `metadata` row is there. */
function formOf(text: string): DocPage['form'] {
  const rows = (section(text, /^### Form Data/) ?? '')
    .split('\n')
    .map((line) => line.split('|').map((c) => c.trim()))
    .filter((cells) => cells.length > 3 && /^[A-Za-z]\w*$/.test(cells[1] as string))
  const file = rows.find((cells) => cells[2] === 'file')?.[1]
  return file ? { file, metadata: rows.some((cells) => cells[1] === 'metadata') } : undefined
}

/** The headers a file answer documents (`Content-Type: ...`, `filename="..."`). */
function downloadOf(text: string): DocPage['download'] {
  const response = section(text, /^#+ Response$/) ?? ''
  const contentType = /`Content-Type: ([^`]+)`/.exec(response)?.[1]
  const fileName = /`Content-Disposition: attachment; filename="([^"]+)"`/.exec(response)?.[1]
  return contentType && fileName ? { contentType, fileName } : undefined
}

/** The roles a page names. */
export const pageRoles = (id: string) => [...new Set(pageText(id).match(/ROLE_[A-Z_]+/g) ?? [])]

export function readDocPage(id: string): DocPage {
  const text = pageText(id)
  const endpoint = section(text, /^## Endpoint/) ?? ''
  const line = /^(GET|POST|PUT|PATCH|DELETE) (\/apiops\/\S+)$/m.exec(endpoint)
  if (!line) throw new Error(`${id}: no method and path under "## Endpoint"`)
  return {
    id,
    method: line[1] as string,
    path: line[2] as string,
    form: formOf(text),
    examples: requestExamples(text),
    answer: withBorrowedNotes(id, answerOf(id)),
    download: downloadOf(text),
    roles: pageRoles(id),
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
 * documented field present with its documented JSON type, at the top (where the fields
 * table may allow null or mark a field conditional), in every documented object below it
 * (a deploymentResult), and in the first item of a documented list of objects. A list
 * inside a list item is not compared: its items depend on that one object (a secret
 * environment value reads null, as the page's notes say). A top-level list must have a
 * first item to compare; a nested one may be empty. [] when nothing is wrong.
 */
export function answerProblems(doc: DocAnswer, actual: unknown): string[] {
  const problems: string[] = []
  if (jsonType(actual) !== 'object') return [`the answer is ${jsonType(actual)}, not an object`]
  const compare = (where: string, expected: object, found: object, inItem: boolean) => {
    const top = where === ''
    const record = found as Record<string, unknown>
    for (const [field, example] of Object.entries(expected)) {
      const at = `${where}${field}`
      if (!Object.hasOwn(record, field)) {
        if (!(top && doc.conditional.has(field))) problems.push(`${at} is missing`)
        continue
      }
      const value = record[field]
      const allowed = allowedTypes(example, top ? doc.tableTypes.get(field) : undefined)
      const type = jsonType(value)
      if (allowed !== 'any' && !allowed.has(type)) {
        problems.push(`${at} is ${type}, documented as ${[...allowed].join('|')}`)
        continue
      }
      if (type === 'object' && jsonType(example) === 'object')
        compare(`${at}.`, example as object, value as object, inItem)
      if (inItem || !Array.isArray(example) || jsonType(example[0]) !== 'object') continue
      const list = value as unknown[]
      if (list.length === 0) {
        if (top) problems.push(`${at} has no first item to compare with the documented one`)
      } else if (jsonType(list[0]) !== 'object') problems.push(`${at}[0] is not an object`)
      else compare(`${at}[0].`, example[0] as object, list[0] as object, true)
    }
  }
  compare('', doc.example, actual as object, false)
  return problems
}

/** One operation of a type page: its `## <title>` section (Add Policy, Get Connection ...). */
export interface DocOperation {
  title: string
  method: string
  path: string
  examples: Record<string, unknown>[]
  answer: DocAnswer | undefined
}

/**
 * A type page (a policy type, a connection type) documents several endpoints, each in a
 * `## <title>` section with its own `### Endpoint`, examples and success answer.
 */
export function readTypePage(id: string): DocOperation[] {
  const text = pageText(id)
  const titles = [...text.matchAll(/^## (.+)$/gm)].map((m) => m[1] as string)
  const operations: DocOperation[] = []
  for (const title of titles) {
    const body = section(text, new RegExp(`^## ${title.replace(/[()]/g, '\\$&')}$`)) ?? ''
    const endpoint = section(body, /^### Endpoint$/) ?? ''
    const line = /^(GET|POST|PUT|PATCH|DELETE) (\/apiops\/\S+)$/m.exec(endpoint)
    if (!line) continue
    const examples = requestExamples(body, 5)
    operations.push({
      title,
      method: line[1] as string,
      path: line[2] as string,
      examples: examples.length > 0 ? examples : requestExamples(body, 4),
      answer: answerIn(body),
    })
  }
  return operations
}
