import type { FastifyRequest } from 'fastify'
import { ApiError, errors } from '../../errors.ts'
import { multipartProblem } from '../../http/multipart.ts'
import { UPLOAD_LIMITS } from './certificates.schemas.ts'

/** The Apinizer Management API's names for two of the fields, accepted as aliases. */
const FIELD_ALIASES = { certificateName: 'name', certificateDescription: 'description' } as const

const tooLarge = (what: string) => new ApiError('payload_too_large', what)

/**
 * preValidation for the upload routes: reads the form (bounded by UPLOAD_LIMITS) into
 * `request.body` as text fields, so the route's body schema then validates it exactly
 * like a JSON body. It runs after the role check, so a caller without the role is
 * refused before anything is read. A PEM may come as a file part or as a text field
 * (curl -F 'pemEncodedFile=<cert.pem' sends the latter).
 */
export async function readUploadForm(request: FastifyRequest): Promise<void> {
  if (!request.isMultipart()) {
    throw errors.unsupportedMediaType(
      String(request.headers['content-type'] ?? ''),
      'multipart/form-data',
    )
  }
  const body: Record<string, string> = {}
  /** Which name each field arrived under, to name a repeat precisely. */
  const sentAs = new Map<string, string>()
  try {
    for await (const part of request.parts()) {
      let value: string
      if (part.type === 'file') {
        value = (await part.toBuffer()).toString('utf8')
      } else {
        if (part.valueTruncated) {
          throw tooLarge(
            `The field ${part.fieldname} is larger than ${UPLOAD_LIMITS.fieldSize} bytes, the limit for each field.`,
          )
        }
        if (typeof part.value !== 'string') {
          throw errors.validationFailed([{ field: part.fieldname, message: 'must be plain text' }])
        }
        value = part.value
      }
      const field = FIELD_ALIASES[part.fieldname as keyof typeof FIELD_ALIASES] ?? part.fieldname
      const earlier = sentAs.get(field)
      if (earlier !== undefined) {
        throw errors.validationFailed([
          {
            field: part.fieldname,
            message:
              earlier === part.fieldname
                ? 'was sent more than once'
                : `was sent together with ${earlier}, its other name; send one of them`,
          },
        ])
      }
      sentAs.set(field, part.fieldname)
      body[field] = value
    }
  } catch (error) {
    throw multipartProblem(error, {
      files: Object.fromEntries(
        ['pemEncodedFile', 'privateKeyFile'].map((name) => [
          name,
          {
            bytes: UPLOAD_LIMITS.fileSize,
            why: 'the limit for each uploaded file. A PEM certificate or key is a few KiB',
          },
        ]),
      ),
      parts: 'pemEncodedFile, privateKeyFile and the text fields',
    })
  }
  request.body = body
}
