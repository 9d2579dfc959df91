import { Type } from 'typebox'
import { FreeText, NameParam } from '../../http/schemas.ts'

export const ProjectParams = Type.Object({ projectName: NameParam })
export const IpGroupParams = Type.Object({ projectName: NameParam, ipGroupName: NameParam })

/** The most entries one group holds: far above any real allow or deny list. */
export const MAX_ENTRIES = 10_000

export const IpGroupBody = Type.Object(
  {
    name: NameParam,
    description: Type.Optional(Type.Union([FreeText(1000), Type.Null()])),
  },
  { additionalProperties: false },
)

const Entry = Type.String({ minLength: 1, maxLength: 64 })

/** Add and remove: at least one entry (an empty add is a mistake worth hearing about). */
export const IpListBody = Type.Object(
  { ipList: Type.Array(Entry, { minItems: 1, maxItems: MAX_ENTRIES }) },
  { additionalProperties: false },
)

/** Replace: an empty list empties the group, as the docs say. */
export const IpReplaceBody = Type.Object(
  { ipList: Type.Array(Entry, { maxItems: MAX_ENTRIES }) },
  { additionalProperties: false },
)

export const IpGroupSummarySchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Type.String(),
  ipCount: Type.Integer(),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
})

export const IpGroupSchema = Type.Object({
  ...IpGroupSummarySchema.properties,
  ipList: Type.Array(Type.String()),
})

export const IpGroupAnswer = Type.Object({
  status: Type.Literal('SUCCESS'),
  success: Type.Literal(true),
  ipGroup: IpGroupSchema,
})

export const IpListChangeSchema = Type.Object({
  status: Type.Literal('SUCCESS'),
  success: Type.Literal(true),
  /** What the request changed, so a script can tell a no-op from a change. */
  added: Type.Optional(Type.Integer()),
  removed: Type.Optional(Type.Integer()),
  ipCount: Type.Integer(),
})
