import type { MultipartFile, MultipartValue } from '@fastify/multipart'
import type { FastifyRequest } from 'fastify'
import { type Static, Type } from 'typebox'
import { errors } from '../../../errors.ts'
import { multipartProblem } from '../../../http/multipart.ts'
import { NameParam } from '../../../http/schemas.ts'
import { documentChecker } from '../../../http/validation.ts'
import { parseMetadata } from '../proxies.file.form.ts'
import {
  enumOf,
  LOAD_BALANCE_ALGORITHMS,
  RoutingAddress,
  SOAP_TYPES,
} from '../settings/settings.fields.ts'

/*
 * The import form: `apiProxyExportFile` (the ZIP, its name ending in .zip) and, for
 * either verb, an optional `metadata` JSON text (deploy, targets, routing, maintenance
 * mode). The file is bounded by the spec byte limit (APIOPS_SPEC_MAX_BYTES): an export
 * holds one spec and a few small JSON files, compressed.
 */

export const ImportMetadataSchema = Type.Object(
  {
    deploy: Type.Optional(Type.Boolean()),
    deployTargetEnvironmentNameList: Type.Optional(
      Type.Union([Type.Array(NameParam, { maxItems: 100, uniqueItems: true }), Type.Null()]),
    ),
    routing: Type.Optional(
      Type.Union([
        Type.Object(
          {
            algorithm: Type.Optional(enumOf(LOAD_BALANCE_ALGORITHMS)),
            addressList: Type.Optional(
              Type.Array(
                Type.Object(
                  {
                    address: RoutingAddress,
                    weight: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
                    soapType: Type.Optional(Type.Union([enumOf(SOAP_TYPES), Type.Null()])),
                  },
                  { additionalProperties: false },
                ),
                { maxItems: 50 },
              ),
            ),
          },
          { additionalProperties: false },
        ),
        Type.Null(),
      ]),
    ),
    maintenanceMode: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
  },
  { additionalProperties: false },
)
export type ImportMetadataBody = Static<typeof ImportMetadataSchema>

export const ImportForm = Type.Object(
  {
    apiProxyExportFile: Type.String({
      format: 'binary',
      description: 'The ZIP an export answered (its file name must end in .zip)',
    }),
    metadata: Type.Optional(
      Type.String({
        description:
          'Optional JSON text: deploy, deployTargetEnvironmentNameList, routing {algorithm, addressList}, maintenanceMode',
      }),
    ),
  },
  { additionalProperties: false },
)

export interface ImportUpload {
  bytes: Uint8Array
  metadata: ImportMetadataBody
}

const checkMetadata = documentChecker<ImportMetadataBody>(ImportMetadataSchema)
const uploads = new WeakMap<FastifyRequest, ImportUpload>()

export function importUploadOf(request: FastifyRequest): ImportUpload {
  return uploads.get(request) ?? { bytes: new Uint8Array(), metadata: {} }
}

const FILE = 'apiProxyExportFile'
const notZip = () =>
  errors.badRequest(`${FILE} parameter must be in zip file format and must end with zip extension!`)

async function readPart(part: MultipartFile | MultipartValue, form: Record<string, unknown>) {
  const name = part.fieldname
  if (name !== FILE && name !== 'metadata') {
    throw errors.validationFailed([
      { field: name, message: `is not a field of this form; send ${FILE} and metadata` },
    ])
  }
  if (name in form)
    throw errors.validationFailed([{ field: name, message: 'was sent more than once' }])
  if (name === FILE) {
    if (part.type !== 'file' || !/\.zip$/i.test(part.filename ?? '')) throw notZip()
    form[FILE] = new Uint8Array(await part.toBuffer())
    return
  }
  const text = part.type === 'file' ? (await part.toBuffer()).toString('utf8') : part.value
  form.metadata = typeof text === 'string' ? parseMetadata(text) : text
}

/** preValidation of the import routes: reads the form (after the role check). */
export function readImportForm(maxBytes: number) {
  return async (request: FastifyRequest): Promise<void> => {
    if (!request.isMultipart()) {
      throw errors.unsupportedMediaType(
        String(request.headers['content-type'] ?? ''),
        'multipart/form-data',
      )
    }
    const form: Record<string, unknown> = {}
    try {
      for await (const part of request.parts()) await readPart(part, form)
    } catch (error) {
      throw multipartProblem(error, {
        files: {
          [FILE]: {
            bytes: maxBytes,
            why: "the limit for an export (the server's APIOPS_SPEC_MAX_BYTES)",
          },
        },
        parts: `${FILE} and metadata`,
      })
    }
    const bytes = form[FILE]
    if (!(bytes instanceof Uint8Array))
      throw errors.badRequest(`${FILE} parameter can not be empty!`)
    const metadata = form.metadata === undefined ? {} : checkMetadata(form.metadata, 'metadata')
    uploads.set(request, { bytes, metadata })
    request.body = {
      [FILE]: FILE,
      ...(form.metadata === undefined ? {} : { metadata: 'metadata' }),
    }
  }
}
