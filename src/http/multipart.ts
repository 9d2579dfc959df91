import type { MultipartFile, MultipartValue } from '@fastify/multipart'
import type { FastifyRequest } from 'fastify'
import { ApiError, errors } from '../errors.ts'

/*
 * Reading a multipart form whose parts are named in advance: each file part into bytes
 * (bounded by the plugin's fileSize limit), each text field into a string, anything
 * else refused with a 4xx that names the part. @fastify/multipart's own limit errors
 * become catalogue errors that say which limit was hit.
 */

export interface FormSpec {
  /** Parts that must be files, with the byte limit the plugin enforces (for messages). */
  files: Readonly<Record<string, number>>
  /** Parts that are plain text. */
  fields: readonly string[]
}

export interface ReadForm {
  files: Map<string, { filename: string; bytes: Uint8Array }>
  fields: Map<string, string>
}

const tooLarge = (what: string) => new ApiError('payload_too_large', what)

function expected(spec: FormSpec): string {
  return [...Object.keys(spec.files), ...spec.fields].join(', ')
}

/** What a form's limit errors say: which limit was hit, and why it is what it is. */
export interface LimitNotes {
  /** Each file part's byte limit (the plugin's fileSize) and what it is the limit for. */
  files: Readonly<Record<string, { bytes: number; why: string }>>
  /** The parts the form takes, named when it holds more. */
  parts: string
  /** A part declared application/json that does not parse, where the form reads JSON. */
  badJson?: () => unknown
}

function notesOf(spec: FormSpec): LimitNotes {
  const files = Object.fromEntries(
    Object.entries(spec.files).map(([name, bytes]) => [name, { bytes, why: 'its limit' }]),
  )
  return { files, parts: expected(spec) }
}

/** @fastify/multipart's and busboy's complaints, as catalogue errors: one wording for every form. */
export function multipartProblem(error: unknown, notes: LimitNotes): unknown {
  const e = error as { code?: string; part?: { fieldname?: string }; message?: string }
  switch (e?.code) {
    case 'FST_REQ_FILE_TOO_LARGE': {
      const name = e.part?.fieldname ?? Object.keys(notes.files)[0] ?? ''
      const limit = notes.files[name]
      return tooLarge(
        `The file ${name} is larger than ${limit?.bytes ?? 0} bytes, ${limit?.why ?? 'its limit'}.`,
      )
    }
    case 'FST_FILES_LIMIT':
    case 'FST_FIELDS_LIMIT':
    case 'FST_PARTS_LIMIT':
      return errors.badRequest(
        `The form holds more parts than this endpoint takes; send ${notes.parts} only.`,
      )
    case 'FST_PROTO_VIOLATION':
      return errors.validationFailed([{ field: 'body', message: 'names a reserved field' }])
    case 'FST_INVALID_JSON_FIELD_ERROR':
      return (
        notes.badJson?.() ??
        errors.badRequest('A form field declared as JSON is not valid JSON; send plain text.')
      )
  }
  // busboy's own complaints about a malformed body ("Malformed part header", ...).
  if (error instanceof Error && !(error instanceof ApiError) && !e.code) {
    return errors.badRequest(`The multipart body is malformed (${e.message}).`)
  }
  return error
}

async function readPart(part: MultipartFile | MultipartValue, spec: FormSpec, form: ReadForm) {
  const name = part.fieldname
  const isFile = name in spec.files
  if (!isFile && !spec.fields.includes(name)) {
    throw errors.validationFailed([
      { field: name, message: `is not a field of this form; send ${expected(spec)}` },
    ])
  }
  if (form.files.has(name) || form.fields.has(name)) {
    throw errors.validationFailed([{ field: name, message: 'was sent more than once' }])
  }
  if (isFile) {
    if (part.type !== 'file') {
      throw errors.validationFailed([
        { field: name, message: `must be a file part (curl -F ${name}=@path)` },
      ])
    }
    form.files.set(name, { filename: part.filename, bytes: new Uint8Array(await part.toBuffer()) })
    return
  }
  const value = part.type === 'file' ? (await part.toBuffer()).toString('utf8') : part.value
  if (part.type !== 'file' && part.valueTruncated) {
    throw tooLarge(`The field ${name} is longer than this endpoint takes.`)
  }
  if (typeof value !== 'string') {
    throw errors.validationFailed([{ field: name, message: 'must be plain text' }])
  }
  form.fields.set(name, value)
}

/** Reads the whole form; a request that is not multipart is a 415. */
export async function readForm(request: FastifyRequest, spec: FormSpec): Promise<ReadForm> {
  if (!request.isMultipart()) {
    throw errors.unsupportedMediaType(
      String(request.headers['content-type'] ?? ''),
      'multipart/form-data',
    )
  }
  const form: ReadForm = { files: new Map(), fields: new Map() }
  try {
    for await (const part of request.parts()) await readPart(part, spec, form)
  } catch (error) {
    throw multipartProblem(error, notesOf(spec))
  }
  return form
}
