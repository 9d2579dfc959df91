// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${NAME} references are the subject here, not template mistakes
import { describe, expect, it } from 'vitest'
import { ApiError } from '../src/errors.ts'
import {
  parseReferences,
  referencedNames,
  resolveVariables,
  type VariableScope,
} from '../src/resources/environment-variables/environment-variables.resolve.ts'

/* The ${NAME} resolver on its own: what it expands, what it leaves, what it refuses. */

const scope: VariableScope = {
  environment: 'production',
  values: new Map([
    ['HOST', 'api.example.com'],
    ['PORT', '8443'],
    ['LOOP', '${LOOP}'],
    ['OTHER', '${HOST}'],
    ['DOLLARS', '$$ and $1 and $&'],
    ['EMPTY', ''],
  ]),
  defined: new Set(['HOST', 'PORT', 'LOOP', 'OTHER', 'DOLLARS', 'EMPTY', 'STAGING_ONLY']),
}

function refusal(text: string, field = 'address'): { field: string; message: string } {
  try {
    resolveVariables(text, scope, field)
  } catch (error) {
    expect(error).toBeInstanceOf(ApiError)
    const e = error as ApiError
    expect(e.status).toBe(400)
    expect(e.code).toBe('validation_failed')
    return e.extra.validationErrors?.[0] as { field: string; message: string }
  }
  throw new Error(`${text} resolved`)
}

describe('resolveVariables', () => {
  it('replaces every reference with its value in the environment', () => {
    expect(resolveVariables('https://${HOST}:${PORT}/v1/${HOST}', scope)).toBe(
      'https://api.example.com:8443/v1/api.example.com',
    )
    expect(resolveVariables('${EMPTY}x${EMPTY}', scope)).toBe('x')
  })

  it('leaves text without references exactly as it is, lone $ and { included', () => {
    for (const text of ['https://backend.internal', '$HOST', '{HOST}', '$ {HOST}', 'a$b}c', '']) {
      expect(resolveVariables(text, scope)).toBe(text)
    }
  })

  it('inserts values as they are: no second pass, no replacement patterns', () => {
    expect(resolveVariables('${LOOP}', scope)).toBe('${LOOP}')
    expect(resolveVariables('${OTHER}', scope)).toBe('${HOST}')
    expect(resolveVariables('${DOLLARS}', scope)).toBe('$$ and $1 and $&')
  })

  it('reads $${ as a literal ${', () => {
    expect(resolveVariables('$${HOST}', scope)).toBe('${HOST}')
    expect(resolveVariables('$${HOST} ${HOST}', scope)).toBe('${HOST} api.example.com')
    expect(resolveVariables('$${', scope)).toBe('${')
  })

  it('names every unknown variable at once, telling missing from valueless', () => {
    const issue = refusal('${NOPE}/${STAGING_ONLY}/${NOPE}/${ALSO_NOT}')
    expect(issue.field).toBe('address')
    expect(issue.message).toBe(
      "refers to ${NOPE}, ${ALSO_NOT}, which are not environment variables of this project; and refers to ${STAGING_ONLY}, which has no value for environment 'production' (not global, and not set for it)",
    )
  })

  it('refuses a ${ that does not start a reference, saying where', () => {
    for (const [text, at] of [
      ['${', 1],
      ['x${HOST', 2],
      ['${}', 1],
      ['${1ST}', 1],
      ['${HOST NAME}', 1],
      ['${HOST}${${HOST}}', 8],
      [`\${${'A'.repeat(101)}}`, 1],
    ] as const) {
      expect(refusal(text).message, text).toContain(`at character ${at} `)
    }
  })
})

describe('parseReferences and referencedNames', () => {
  it('cut a text into literals and references', () => {
    expect(parseReferences('a${B}c${D}')).toEqual([
      { text: 'a' },
      { name: 'B' },
      { text: 'c' },
      { name: 'D' },
    ])
    expect(referencedNames('${B}${A}${B} $${C}')).toEqual(['B', 'A'])
  })
})
