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

/** @fastify/multipart's and busboy's complaints, as catalogue errors. */
export function multipartProblem(error: unknown, spec: FormSpec): unknown {
  const e = error as { code?: string; part?: { fieldname?: string }; message?: string }
  switch (e?.code) {
    case 'FST_REQ_FILE_TOO_LARGE': {
      const name = e.part?.fieldname ?? ''
      return tooLarge(`The file ${name} is larger than ${spec.files[name] ?? 0} bytes, its limit.`)
    }
    case 'FST_FILES_LIMIT':
    case 'FST_FIELDS_LIMIT':
    case 'FST_PARTS_LIMIT':
      return errors.badRequest(
        `The form holds more parts than this endpoint takes (${expected(spec)}).`,
      )
    case 'FST_PROTO_VIOLATION':
      return errors.validationFailed([{ field: 'body', message: 'names a reserved field' }])
    case 'FST_INVALID_JSON_FIELD_ERROR':
      return errors.badRequest('A form field declared as JSON is not valid JSON; send plain text.')
  }
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
    throw multipartProblem(error, spec)
  }
  return form
}
