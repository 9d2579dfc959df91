import { readFile, stat } from 'node:fs/promises'
import type { FastifySchemaCompiler } from 'fastify'
import type { TSchema } from 'typebox'
import { errors } from '../errors.ts'
import { ajvIssues } from '../http/error-handler.ts'
import { bodyCompiler, nulField } from '../http/validation.ts'
import type { Principal } from '../identity/policy/permissions.ts'
import type { CliIo } from './context.ts'

/*
 * What the resource commands share: who they act as, and how a JSON body given as a file
 * (or on standard input) becomes what the route would have handed its service, checked
 * by the route's own schema with the route's own words for each bad field.
 */

/** The CLI is the operator on the server's own database: every role; audit actor "cli". */
export const OPERATOR: Principal = {
  userId: 'cli',
  username: 'cli',
  roles: new Set(['ROLE_ADMIN']),
  tokenId: undefined,
  via: 'token',
}

/** Above every route's body limit (a keystore body with 20 files is the largest). */
const MAX_INPUT_BYTES = 8 * 1024 * 1024

export type BodyValidator = ReturnType<FastifySchemaCompiler<unknown>>
export const compileBody: FastifySchemaCompiler<unknown> = bodyCompiler()

/**
 * compileBody, deferred to the validator's first call: a validator choosing among many
 * branches (one per policy or connection type) then compiles only the branch it uses.
 */
export const compileOnUse: FastifySchemaCompiler<unknown> = (route) => {
  let real: BodyValidator | undefined
  const validate = ((data: unknown) => {
    real ??= compileBody(route)
    const valid = real(data)
    validate.errors = (real as { errors?: unknown }).errors as never
    return valid
  }) as BodyValidator
  return validate
}

/** A schema's validator as a route compiles its body's, compiled on first use. */
export const validatorOf = (schema: TSchema): (() => BodyValidator) =>
  lazily(() => compileBody({ schema, method: 'POST', url: '/', httpPart: 'body' }))

/** The text of a file, or of standard input for "-" or no file. */
export async function readInput(io: CliIo, file: string | undefined): Promise<string> {
  if (file === undefined || file === '-') {
    const text = await io.readStdin()
    if (Buffer.byteLength(text) > MAX_INPUT_BYTES) throw tooLarge('standard input')
    return text
  }
  return (await readBytes(file)).toString('utf8')
}

/** A file's bytes, refused past the largest body a route takes. */
export async function readBytes(file: string): Promise<Buffer> {
  let size: number
  try {
    size = (await stat(file)).size
  } catch {
    throw errors.invalidRequest(`Cannot read '${file}': no such file, or not readable.`)
  }
  if (size > MAX_INPUT_BYTES) throw tooLarge(`'${file}'`)
  return readFile(file)
}

function tooLarge(what: string) {
  return errors.invalidRequest(`${what} is larger than ${MAX_INPUT_BYTES} bytes.`)
}

/** A JSON document from a file or standard input; not JSON is a 400-like error naming it. */
export async function readJson(io: CliIo, file: string | undefined): Promise<unknown> {
  const text = await readInput(io, file)
  const where = file === undefined || file === '-' ? 'standard input' : `'${file}'`
  if (text.trim() === '') throw errors.invalidRequest(`${where} is empty: give a JSON document.`)
  try {
    return JSON.parse(text)
  } catch (error) {
    throw errors.invalidRequest(`${where} is not valid JSON (${(error as Error).message}).`)
  }
}

/** The body as the route accepts it (its defaults filled in), or the route's 400 words. */
export function checkBody<T>(validator: () => BodyValidator, body: unknown): T {
  const field = nulField(body)
  if (field !== undefined) {
    throw errors.validationFailed([{ field, message: 'must not contain NUL (\\u0000) characters' }])
  }
  const validate = validator()
  if (validate(body) === true) return body as T
  throw errors.validationFailed(ajvIssues(validate.errors ?? [], 'body'))
}

interface Page<T> {
  resultList: T[]
  nextCursor?: string | null
}

/** Every item of a list, page after page by its cursor (a CLI list shows the whole list). */
export async function everyPage<T>(
  fetch: (query: { after?: string; size: number }) => Promise<Page<T>>,
): Promise<T[]> {
  const all: T[] = []
  let after: string | undefined
  do {
    const page = await fetch(after === undefined ? { size: 500 } : { after, size: 500 })
    all.push(...page.resultList)
    after = page.nextCursor ?? undefined
  } while (after !== undefined)
  return all
}

/**
 * Made on first use: a command's validator is compiled only when that command runs, not
 * whenever the CLI starts (the policy types alone are 43 schemas).
 */
export function lazily<T>(make: () => T): () => T {
  let made: { value: T } | undefined
  return () => {
    made ??= { value: make() }
    return made.value
  }
}
