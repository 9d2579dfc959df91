import type { MultipartFile, MultipartValue } from '@fastify/multipart'
import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { ApiError, errors } from '../../errors.ts'
import { multipartProblem } from '../../http/multipart.ts'
import { nulField } from '../../http/validation.ts'
import { ProxyFromUrlBody } from './proxies.schemas.ts'
import type { SpecUpload } from './spec-import.ts'

/*
 * The apiProxies/file/ form: `metadata` (the url variant's JSON body, without specUrl)
 * and `specFile`. The form is read after the role check; the file part is bounded by
 * the same byte limit as a fetched spec (APIOPS_SPEC_MAX_BYTES), an oversize one is a
 * 413 naming it. `metadata` is parsed here and then validated by the route's body
 * schema exactly like a JSON body, so its errors name fields as `metadata.<field>`.
 * The file's bytes stay out of the body (a 13 MB spec is no string to walk or copy);
 * the route takes them from uploadOf().
 */

/** The most a metadata field may hold; the documented body is about 1 KiB. */
export const METADATA_MAX_BYTES = 256 * 1024

export const ProxyFileForm = Type.Object(
  {
    metadata: Type.Omit(ProxyFromUrlBody, ['specUrl'], {
      additionalProperties: false,
      description:
        'A JSON text (sent as a form field or a file part): the fields of apiProxies/url/ without specUrl',
    }),
    specFile: Type.Optional(
      Type.String({
        format: 'binary',
        description:
          'OpenAPI 3.x or Swagger 2.0 (JSON or YAML), a WSDL 1.1 document, or a ZIP of a WSDL with the WSDLs and XSDs it imports. Not sent for REVERSE_PROXY.',
      }),
    ),
  },
  { additionalProperties: false },
)

const uploads = new WeakMap<FastifyRequest, SpecUpload>()

/** The uploaded spec (bytes, file name, content type), if the form held one. */
export function uploadOf(request: FastifyRequest): SpecUpload {
  return uploads.get(request) ?? { bytes: undefined }
}

const tooLarge = (what: string) => new ApiError('payload_too_large', what)

/** What the spec byte limit is, in a 413. */
export const SPEC_LIMIT_WHY = "the limit for a spec (the server's APIOPS_SPEC_MAX_BYTES)"

const badMetadata = (why: string) =>
  errors.badRequest(
    `The metadata field is not valid JSON (${why}); send the proxy's fields as one JSON object.`,
  )

export function parseMetadata(text: string): unknown {
  if (Buffer.byteLength(text) > METADATA_MAX_BYTES) {
    throw tooLarge(`The metadata field is larger than ${METADATA_MAX_BYTES} bytes.`)
  }
  try {
    return JSON.parse(text)
  } catch (error) {
    throw badMetadata((error as Error).message.slice(0, 200))
  }
}

async function readPart(
  part: MultipartFile | MultipartValue,
  form: Record<string, unknown>,
  request: FastifyRequest,
): Promise<void> {
  const name = part.fieldname
  if (name !== 'metadata' && name !== 'specFile') {
    throw errors.validationFailed([
      { field: name, message: 'is not a field of this form; send metadata and specFile' },
    ])
  }
  if (name in form)
    throw errors.validationFailed([{ field: name, message: 'was sent more than once' }])
  if (name === 'specFile') {
    if (part.type !== 'file') {
      throw errors.validationFailed([
        { field: name, message: 'must be a file part (curl -F specFile=@openapi.json)' },
      ])
    }
    uploads.set(request, {
      bytes: new Uint8Array(await part.toBuffer()),
      fileName: part.filename,
      contentType: part.mimetype,
    })
    form.specFile = part.filename || 'specFile'
    return
  }
  if (part.type === 'file') {
    form.metadata = parseMetadata((await part.toBuffer()).toString('utf8'))
  } else if (part.valueTruncated) {
    throw tooLarge(`The metadata field is larger than ${METADATA_MAX_BYTES} bytes.`)
  } else {
    // @fastify/multipart has already parsed a field sent as application/json.
    form.metadata = typeof part.value === 'string' ? parseMetadata(part.value) : part.value
  }
}

/** preValidation of the file routes: reads the form into request.body (see above). */
export function readProxyForm(maxBytes: number) {
  return async (request: FastifyRequest): Promise<void> => {
    if (!request.isMultipart()) {
      throw errors.unsupportedMediaType(
        String(request.headers['content-type'] ?? ''),
        'multipart/form-data',
      )
    }
    const form: Record<string, unknown> = {}
    try {
      for await (const part of request.parts()) await readPart(part, form, request)
    } catch (error) {
      throw multipartProblem(error, {
        files: { specFile: { bytes: maxBytes, why: SPEC_LIMIT_WHY } },
        parts: 'metadata and specFile',
        badJson: () => badMetadata('it is declared application/json but is not valid JSON'),
      })
    }
    // The NUL check every JSON body gets ran before the form was read: run it now.
    const nul = nulField(form.metadata)
    if (nul !== undefined) {
      throw errors.validationFailed([
        { field: `metadata.${nul}`, message: 'must not contain NUL (\\u0000) characters' },
      ])
    }
    request.body = form
  }
}
