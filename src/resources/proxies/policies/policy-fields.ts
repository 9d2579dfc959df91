import { type TSchema, Type } from 'typebox'

/*
 * Building blocks the policy type files share: every object they declare is closed, so
 * a misspelt field is a 400 naming it rather than a value silently dropped.
 */

export const closed = { additionalProperties: false } as const

/** One of the documented values (a plain string enum, which every OpenAPI tool renders). */
export const Enum = (...values: string[]) => Type.Unsafe<string>({ type: 'string', enum: values })

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()])

const text = Type.Optional(Type.String())

/**
 * Where a value is read from (the documented VariableDTO). Its `type` stays open text:
 * the type pages use names (CLIENT_IP, HTTP_STATUS_CODE, CONTEXT ...) beyond the enum the
 * add-policy page lists, so one closed list would refuse the docs' own examples.
 */
export const Variable = Type.Object(
  {
    id: text,
    projectId: text,
    name: text,
    description: text,
    type: Type.String({ description: 'HEADER, PARAMETER, BODY, CONTEXT_VALUES, CUSTOM ...' }),
    headerName: text,
    paramType: Type.Optional(Enum('QUERY', 'PATH', 'FORM')),
    paramName: text,
    paramPath: text,
    formName: text,
    xpathValue: text,
    jsonPathValue: text,
    // The type pages spell the body paths and the value's type this way.
    bodyJsonPath: text,
    bodyXPath: text,
    dataType: text,
    messageContentType: Type.Optional(Enum('JSON', 'XML', 'FORM')),
    contextValue: text,
    zoneId: text,
    initWithScript: Type.Optional(Type.Boolean()),
    scriptLanguage: Type.Optional(Enum('GROOVY', 'JAVASCRIPT')),
    scriptBody: text,
  },
  closed,
)
