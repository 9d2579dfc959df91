import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import addFormats from 'ajv-formats'
import { Type } from 'typebox'
import { describe, expect, it } from 'vitest'
import type { PolicyTypeDefinition } from '../src/resources/proxies/policies/types/definition.ts'
import { POLICY_TYPES_B } from '../src/resources/proxies/policies/types/index-b.ts'
import { CASES } from './fixtures/policy-types-b-cases.ts'

/*
 * The schemas of policy types list B against the docs' own pages: each type's schema,
 * closed with the fields every policy shares (as the framework closes it), must accept
 * every example on its page, refuse an unknown field and a wrong enum value, and each
 * documented cross-field rule must fire on a counter-example. Schema level only; the
 * HTTP test over all types lives with the policy routes.
 */

const PAGES =
  process.env.APIOPS_POLICY_DOCS ??
  '/work/shared/reference/apinizer-management-api-docs/02-api-reference/05-policies/policies'
const present = existsSync(PAGES)
if (!present) console.warn(`policy-types-b: skipped, the docs' pages are not at ${PAGES}`)

// As src/http/validation.ts configures the body validator.
const ajv = new Ajv({
  allErrors: true,
  removeAdditional: false,
  useDefaults: true,
  strict: false,
  verbose: true,
  coerceTypes: false,
})
addFormats.default(ajv)

function closed(def: PolicyTypeDefinition): ValidateFunction {
  const common = {
    type: Type.Literal(def.type),
    description: Type.Optional(Type.String()),
    active: Type.Optional(Type.Boolean()),
    policyCondition: Type.Optional(Type.Object({})),
    errorMessageList: Type.Optional(Type.Array(Type.Unknown())),
  }
  return ajv.compile(Type.Object({ ...common, ...def.fields }, { additionalProperties: false }))
}

type Policy = Record<string, unknown>
const clone = <T>(value: T): T => structuredClone(value)

/** Every JSON value in a page's ```json blocks and cURL `-d '...'` bodies that parses. */
function pageJson(text: string): unknown[] {
  const blocks = [
    ...text.matchAll(/```json\n([\s\S]*?)\n```/g),
    ...text.matchAll(/-d '(\{[\s\S]*?\})'/g),
  ]
  return blocks.flatMap((m) => {
    try {
      return [JSON.parse(m[1] as string)]
    } catch {
      // Only blocks that hold a policy matter, and those must parse.
      if (/"policy"\s*:/.test(m[1] as string)) throw new Error(`unparsable example: ${m[1]}`)
      return []
    }
  })
}

/** Objects anywhere in `value` whose `type` is the policy type (policies inside list answers). */
function listed(value: unknown, type: string): Policy[] {
  if (Array.isArray(value)) return value.flatMap((item) => listed(item, type))
  if (typeof value !== 'object' || value === null) return []
  const object = value as Policy
  const own = object.type === type && !('policy' in object) ? [object] : []
  return [...own, ...Object.values(object).flatMap((item) => listed(item, type))]
}

function examplesOf(type: string): { bodies: Policy[]; listedPolicies: Policy[] } {
  if (!present) return { bodies: [], listedPolicies: [] }
  const json = pageJson(readFileSync(join(PAGES, `${type}.md`), 'utf8'))
  const enveloped = json
    .map((value) => (value as { policy?: Policy }).policy)
    .filter((policy): policy is Policy => policy?.type === type)
  // policy-group's page shows a flat body (type, name and operationMetadata beside the
  // policy's own fields); in the documented envelope of Add Policy its policy part is
  // what is left without the name (the path's) and the metadata (the envelope's).
  const flat = json
    .filter(
      (value): value is Policy =>
        (value as Policy)?.type === type && 'operationMetadata' in (value as Policy),
    )
    .map(({ name: _n, operationMetadata: _o, ...policy }) => policy)
  const bodies = [...enveloped, ...flat]
  const listedPolicies = json
    .filter((value) => !(value as Policy)?.policy && !(value as Policy)?.operationMetadata)
    .flatMap((value) => listed(value, type))
    .map(({ name: _name, policyCondition, ...rest }) =>
      // A list answer carries the name (the path gives it) and null for "no condition".
      policyCondition === null ? rest : { ...rest, policyCondition },
    )
  return { bodies, listedPolicies }
}

function setPath(target: Policy, path: string, value: unknown): void {
  const keys = path.split('.')
  const last = keys.pop() as string
  let at: Record<string, unknown> = target
  for (const key of keys) at = at[key] as Record<string, unknown>
  at[last] = value
}
const errorsOf = (validate: ValidateFunction, policy: unknown): ErrorObject[] =>
  validate(policy) ? [] : (validate.errors ?? [])

// Without the pages there is nothing to check the schemas against: the whole file skips.
describe.skipIf(!present)('policy types list B', () => {
  it('holds the 25 documented types of the second half, each with its cases', () => {
    const types = POLICY_TYPES_B.map((def) => def.type)
    expect(types).toHaveLength(25)
    expect(new Set(types).size).toBe(25)
    expect(types.slice().sort()).toEqual(Object.keys(CASES).sort())
  })

  it('declares as secrets only fields the type has', () => {
    for (const def of POLICY_TYPES_B) {
      for (const secret of def.secrets ?? []) {
        expect(def.fields, `${def.type} secret ${secret}`).toHaveProperty(
          secret.split('.')[0] as string,
        )
      }
    }
    const secrets = Object.fromEntries(POLICY_TYPES_B.map((def) => [def.type, def.secrets ?? []]))
    expect(secrets['policy-oidc']).toEqual(['clientSecret'])
    expect(secrets['policy-ws-security-username']).toEqual(['password'])
    expect(secrets['policy-ws-security-to-target']).toEqual(['unPassword'])
  })

  for (const def of POLICY_TYPES_B) {
    const spec = CASES[def.type]
    if (!spec) throw new Error(`no case for ${def.type}`)
    const validate = closed(def)
    const { bodies, listedPolicies } = examplesOf(def.type)
    // The two protocol transformations cannot be added, so their pages have no add or
    // update body: their base is the policy their list answer shows.
    const base = clone(bodies[0] ?? listedPolicies[0] ?? { type: def.type })

    describe(def.type, () => {
      it("accepts every example on the docs' page", () => {
        // A list answer hides secrets and may leave fields out: it stands in for the add
        // body only on the pages that document none.
        const documented = bodies.length > 0 ? bodies : listedPolicies
        expect(documented.length, 'examples on the page').toBeGreaterThan(0)
        for (const policy of documented) {
          expect(errorsOf(validate, clone(policy)), JSON.stringify(policy)).toEqual([])
        }
        // Nor does any documented rule refuse them (the two system-managed types, refused
        // whatever they hold, have no add or update example).
        for (const policy of bodies) {
          expect(def.check?.(policy) ?? [], JSON.stringify(policy)).toEqual([])
        }
      })

      it('refuses an unknown field, naming it', () => {
        const errors = errorsOf(validate, { ...base, colour: 'blue' })
        expect(errors.map((e) => e.params)).toContainEqual({ additionalProperty: 'colour' })
      })

      if (spec.nestedPath)
        it('closes its nested objects', () => {
          const policy = clone(base) as Policy
          spec.prepare?.(policy)
          expect(errorsOf(validate, policy)).toEqual([])
          const path = spec.nestedPath as string
          const nested = path
            .split('.')
            .reduce<Record<string, unknown>>(
              (at, key) => at[key] as Record<string, unknown>,
              policy,
            )
          nested.colour = 'blue'
          const errors = errorsOf(validate, policy)
          expect(errors.map((e) => [e.instancePath, e.params])).toContainEqual([
            `/${path.replaceAll('.', '/')}`,
            { additionalProperty: 'colour' },
          ])
        })

      if (spec.enumPath)
        it('refuses a value outside its enum', () => {
          const policy = clone(base) as Policy
          spec.prepare?.(policy)
          expect(errorsOf(validate, policy)).toEqual([])
          setPath(policy, spec.enumPath as string, 'NOT_A_MEMBER')
          const errors = errorsOf(validate, policy)
          expect(errors.map((e) => [e.instancePath, e.keyword])).toContainEqual([
            `/${(spec.enumPath as string).replaceAll('.', '/')}`,
            'enum',
          ])
        })

      for (const invalid of spec.invalid ?? []) {
        it(`refuses a bad value at ${invalid.path}`, () => {
          const policy = clone(base) as Policy
          invalid.change(policy)
          expect(errorsOf(validate, policy).map((e) => e.instancePath)).toContain(invalid.path)
        })
      }

      for (const rule of spec.checks) {
        it(`check: ${rule.rule} (${rule.field})`, () => {
          const policy = clone(base) as Policy
          rule.change(policy)
          // The counter-example is still well formed: only the rule can refuse it.
          expect(errorsOf(validate, policy)).toEqual([])
          expect(def.check?.(policy).map((issue) => issue.field)).toContain(rule.field)
        })
      }
    })
  }
})
