import { errors, type ValidationIssue } from '../../errors.ts'

/*
 * `${NAME}` references to a project's environment variables, in routing addresses and
 * (later) in settings the gateway reads. The rules, chosen so a resolved text never
 * holds a surprise:
 * - a reference is `${` + a variable name + `}`; `$${` stands for a literal `${`;
 * - one pass, left to right: a value is inserted as it is and never read again, so a
 *   value holding `${OTHER}` stays exactly that (no recursion, no loops, no values
 *   that pull in other secrets);
 * - anything else that starts with `${` is malformed and refused, never left in place;
 * - every unknown reference is reported at once, naming whether the variable does not
 *   exist or has no value for this environment.
 */

/** What a variable name may be: what a reference can hold between `${` and `}`. */
export const VARIABLE_NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_.-]*$'
const NAME_BODY = /^[A-Za-z_][A-Za-z0-9_.-]*$/
export const VARIABLE_NAME_MAX = 100

/** A text cut into literal pieces and references, in order. */
export type Piece = { text: string } | { name: string }

export class MalformedReference extends Error {
  constructor(readonly position: number) {
    super(
      `has "\${" at character ${position + 1} that does not start a reference: write \${NAME} with a variable name (letters, digits, _ . -, not starting with a digit), or $\${ for a literal "\${"`,
    )
  }
}

/** Splits a text into pieces; throws MalformedReference at the first bad `${`. */
export function parseReferences(text: string): Piece[] {
  const pieces: Piece[] = []
  let literal = ''
  let i = 0
  while (i < text.length) {
    const at = text.indexOf('${', i)
    if (at === -1) {
      literal += text.slice(i)
      break
    }
    if (at > i && text[at - 1] === '$') {
      // `$${`: the `$` before it escapes the reference.
      literal += `${text.slice(i, at - 1)}\${`
      i = at + 2
      continue
    }
    const close = text.indexOf('}', at + 2)
    const name = close === -1 ? '' : text.slice(at + 2, close)
    if (!NAME_BODY.test(name) || name.length > VARIABLE_NAME_MAX) throw new MalformedReference(at)
    literal += text.slice(i, at)
    if (literal) pieces.push({ text: literal })
    literal = ''
    pieces.push({ name })
    i = close + 1
  }
  if (literal) pieces.push({ text: literal })
  return pieces
}

/** The names a text refers to, each once, in order of first appearance. */
export function referencedNames(text: string): string[] {
  const names = parseReferences(text).flatMap((p) => ('name' in p ? [p.name] : []))
  return [...new Set(names)]
}

/** The variables as one environment sees them. */
export interface VariableScope {
  /** The environment's name, for messages. */
  environment: string
  /** Every variable of the project with a value here (global, or set for this environment). */
  values: ReadonlyMap<string, string>
  /** Every variable of the project, with or without a value here. */
  defined: ReadonlySet<string>
}

function unknownMessage(names: string[], scope: VariableScope): string {
  const missing = names.filter((n) => !scope.defined.has(n))
  const valueless = names.filter((n) => scope.defined.has(n))
  const parts: string[] = []
  if (missing.length > 0) {
    parts.push(
      `refers to ${missing.map((n) => `\${${n}}`).join(', ')}, which ${missing.length === 1 ? 'is not an environment variable' : 'are not environment variables'} of this project`,
    )
  }
  if (valueless.length > 0) {
    parts.push(
      `refers to ${valueless.map((n) => `\${${n}}`).join(', ')}, which ${valueless.length === 1 ? 'has' : 'have'} no value for environment '${scope.environment}' (not global, and not set for it)`,
    )
  }
  return parts.join('; and ')
}

/** The pieces of a text, or why it does not resolve in a scope (an issue on `field`). */
function resolvePieces(
  text: string,
  scope: VariableScope,
  field: string,
): { pieces: Piece[] } | { issue: ValidationIssue } {
  let pieces: Piece[]
  try {
    pieces = parseReferences(text)
  } catch (error) {
    if (error instanceof MalformedReference) return { issue: { field, message: error.message } }
    throw error
  }
  const unknown = [
    ...new Set(pieces.flatMap((p) => ('name' in p && !scope.values.has(p.name) ? [p.name] : []))),
  ]
  if (unknown.length > 0) return { issue: { field, message: unknownMessage(unknown, scope) } }
  return { pieces }
}

/** Why a text does not resolve in a scope, as a validation issue on `field`; undefined if it does. */
export function unresolvable(
  text: string,
  scope: VariableScope,
  field: string,
): ValidationIssue | undefined {
  const result = resolvePieces(text, scope, field)
  return 'issue' in result ? result.issue : undefined
}

/**
 * The text with every reference replaced by its value in the scope's environment.
 * Throws validation_failed on `field` naming every reference that does not resolve.
 */
export function resolveVariables(text: string, scope: VariableScope, field = 'text'): string {
  const result = resolvePieces(text, scope, field)
  if ('issue' in result) throw errors.validationFailed([result.issue])
  let out = ''
  for (const p of result.pieces) out += 'name' in p ? (scope.values.get(p.name) as string) : p.text
  return out
}
