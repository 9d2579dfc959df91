/**
 * A schema that carries this key (its value: a component name) is written once into
 * the OpenAPI document's components.schemas and referenced by $ref wherever it occurs.
 * Large shared request schemas (a policy type's body, a variable, a condition) would
 * otherwise be inlined on every route that takes them. Validation ignores the key.
 */
export const COMPONENT = 'x-component'

type Node = Record<string, unknown>

/** A copy of the document with every marked schema hoisted (the route schemas stay as they are). */
export function hoistComponents<T extends object>(document: T): T {
  const hoisted: Record<string, unknown> = {}
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk)
    if (node === null || typeof node !== 'object') return node
    const name = (node as Node)[COMPONENT]
    if (typeof name === 'string' && name in hoisted) return { $ref: `#/components/schemas/${name}` }
    const copy: Node = {}
    for (const [key, value] of Object.entries(node)) if (key !== COMPONENT) copy[key] = walk(value)
    if (typeof name !== 'string') return copy
    hoisted[name] = copy
    return { $ref: `#/components/schemas/${name}` }
  }
  const out = walk(document) as { components?: { schemas?: Node } }
  out.components = { ...out.components, schemas: { ...out.components?.schemas, ...hoisted } }
  return out as T
}
