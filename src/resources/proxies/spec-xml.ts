import { type X2jOptions, type XMLParser, XMLValidator } from 'fast-xml-parser'
import { SpecProblem } from './spec-types.ts'

/*
 * Namespace-aware reading of fast-xml-parser's output. WSDLs name the same elements
 * under any prefix (wsdl:, or none), and tell SOAP 1.1 from 1.2 only by namespace, so
 * every lookup here is by namespace URI and local name, with the prefixes in scope at
 * that element. A DOCTYPE is refused before parsing: WSDL and XSD need none, and a DTD
 * is how entity bombs (billion laughs) and external entities (local files, URLs) get in.
 */

/** An element as fast-xml-parser gives it: attributes under @_, children as arrays. */
export type XmlElement = Record<string, unknown>
export interface QName {
  ns: string
  local: string
}
type Scope = ReadonlyMap<string, string>

const ATTR = '@_'

function declare(el: XmlElement, parent: Scope): Scope {
  let scope: Map<string, string> | null = null
  for (const [name, value] of Object.entries(el)) {
    if (typeof value !== 'string') continue
    if (name === `${ATTR}xmlns` || name.startsWith(`${ATTR}xmlns:`)) {
      scope ??= new Map(parent)
      scope.set(name === `${ATTR}xmlns` ? '' : name.slice(ATTR.length + 6), value)
    }
  }
  return scope ?? parent
}

function split(name: string): [prefix: string, local: string] {
  const colon = name.indexOf(':')
  return colon < 0 ? ['', name] : [name.slice(0, colon), name.slice(colon + 1)]
}

export class XmlReader {
  static readonly PARSER_OPTIONS: X2jOptions = {
    ignoreAttributes: false,
    attributeNamePrefix: ATTR,
    parseTagValue: false,
    parseAttributeValue: false,
    // The five predefined entities and character references only: a DTD never gets here.
    processEntities: true,
    htmlEntities: false,
    ignoreDeclaration: true,
    ignorePiTags: true,
    isArray: (_name, _path, _leaf, isAttribute) => !isAttribute,
  }

  private readonly scopes = new WeakMap<XmlElement, Scope>()

  private constructor(
    readonly root: XmlElement,
    private readonly rootName: string,
  ) {
    this.scopes.set(root, declare(root, new Map()))
  }

  /** Parses one document; `name` is how errors refer to it. */
  static parse(parser: XMLParser, bytes: Uint8Array, name: string): XmlReader {
    const text = new TextDecoder().decode(bytes)
    if (/<!DOCTYPE/i.test(text)) {
      throw new SpecProblem(
        `${name} has a DOCTYPE declaration; DTDs and entity declarations are refused (WSDL and XML schema need none)`,
      )
    }
    const valid = XMLValidator.validate(text)
    if (valid !== true) {
      throw new SpecProblem(
        `${name} is not well-formed XML (line ${valid.err.line}: ${valid.err.msg.slice(0, 200)})`,
      )
    }
    const doc = parser.parse(text) as Record<string, unknown>
    const rootName = Object.keys(doc).find((k) => !k.startsWith('?') && !k.startsWith('#'))
    const root = rootName ? (doc[rootName] as XmlElement[] | undefined)?.[0] : undefined
    if (!rootName || !root || typeof root !== 'object') {
      throw new SpecProblem(`${name} has no root element`)
    }
    return new XmlReader(root, rootName)
  }

  private scopeOf(el: XmlElement): Scope {
    return this.scopes.get(el) ?? new Map()
  }

  /** Whether the root is {ns}local. */
  is(el: XmlElement, ns: string, local: string): boolean {
    if (el !== this.root) return false
    const [prefix, name] = split(this.rootName)
    return name === local && this.scopeOf(el).get(prefix) === ns
  }

  /** The child elements {ns}local of `el`, in document order per name. */
  children(el: XmlElement, ns: string, local: string): XmlElement[] {
    const scope = this.scopeOf(el)
    const found: XmlElement[] = []
    for (const [name, value] of Object.entries(el)) {
      if (name.startsWith(ATTR) || name.startsWith('#') || !Array.isArray(value)) continue
      const [prefix, localName] = split(name)
      for (const child of value) {
        // A text-only element arrives as a string: give it an object so it has a scope.
        const node: XmlElement = typeof child === 'object' && child ? child : { '#text': child }
        const childScope = declare(node, scope)
        if (localName !== local || childScope.get(prefix) !== ns) continue
        this.scopes.set(node, childScope)
        found.push(node)
      }
    }
    return found
  }

  attr(el: XmlElement, name: string): string | undefined {
    const value = el[`${ATTR}${name}`]
    return typeof value === 'string' ? value : undefined
  }

  text(el: XmlElement): string {
    const value = el['#text']
    return typeof value === 'string' ? value : ''
  }

  /** A QName-valued attribute ("tns:OrdersBinding"), resolved with the prefixes in scope. */
  qname(el: XmlElement, value: string): QName {
    const [prefix, local] = split(value)
    return { ns: this.scopeOf(el).get(prefix) ?? '', local }
  }
}
