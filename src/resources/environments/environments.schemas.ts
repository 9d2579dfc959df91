import { Type } from 'typebox'
import { FreeText, HttpUrl, NameParam } from '../../http/schemas.ts'

export const ENVIRONMENT_TYPES = ['PRODUCTION', 'SANDBOX', 'TEST'] as const
export type EnvironmentType = (typeof ENVIRONMENT_TYPES)[number]

const EnvironmentType = Type.Unsafe<EnvironmentType>({
  type: 'string',
  enum: [...ENVIRONMENT_TYPES],
})
const AccessUrl = HttpUrl({ description: 'Base URL the gateway answers on' })

export const EnvironmentSchema = Type.Object({
  name: Type.String(),
  description: Type.String(),
  type: EnvironmentType,
  accessUrl: Type.String(),
  projects: Type.Optional(
    Type.Array(Type.String(), {
      description: 'Projects that may deploy here (administrators only)',
    }),
  ),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
})

export const CreateEnvironmentBody = Type.Object(
  {
    name: NameParam,
    description: Type.Optional(FreeText(1000)),
    type: EnvironmentType,
    accessUrl: AccessUrl,
    projects: Type.Optional(Type.Array(NameParam, { maxItems: 1000, uniqueItems: true })),
  },
  { additionalProperties: false },
)

export const UpdateEnvironmentBody = Type.Object(
  {
    description: Type.Optional(FreeText(1000)),
    type: Type.Optional(EnvironmentType),
    accessUrl: Type.Optional(AccessUrl),
    projects: Type.Optional(Type.Array(NameParam, { maxItems: 1000, uniqueItems: true })),
  },
  { additionalProperties: false, minProperties: 1 },
)
