import { posix } from 'node:path'
import { XMLParser } from 'fast-xml-parser'
import {
  checkOperationCount,
  type ImportedSpec,
  type SpecEndpoint,
  SpecProblem,
} from './spec-types.ts'
import { type QName, type XmlElement, XmlReader } from './spec-xml.ts'

/*
 * WSDL 1.1, read with fast-xml-parser: services, their ports, the SOAP 1.1 / 1.2
 * bindings those ports use, and each binding's operations with their soapAction. Each
 * operation becomes one endpoint (POST /{operation}); an operation offered by both a
 * SOAP 1.1 and a SOAP 1.2 port is one endpoint, with the SOAP 1.1 soapAction. The
 * backend is the first SOAP port's address (SOAP 1.1 first).
 *
 * Imports: a WSDL may import other WSDLs (wsdl:import) and schemas (xsd:import,
 * xsd:include). Every relative location must be among the uploaded files (a ZIP holds
 * them; a single file has none), and is read too. Nothing is fetched: a WSDL imported
 * by URL is refused; a schema imported by URL is left unread (operations do not depend
 * on it). DTDs are refused outright (see spec-xml.ts).
 */

export const NS = {
  wsdl: 'http://schemas.xmlsoap.org/wsdl/',
  wsdl20: 'http://www.w3.org/ns/wsdl',
  soap11: 'http://schemas.xmlsoap.org/wsdl/soap/',
  soap12: 'http://schemas.xmlsoap.org/wsdl/soap12/',
  xsd: 'http://www.w3.org/2001/XMLSchema',
} as const

type SoapVersion = 'SOAP11' | 'SOAP12'
const key = (q: QName) => `{${q.ns}}${q.local}`

interface Binding {
  version: SoapVersion | null
  operations: { name: string; soapAction: string }[]
  portType: string
}
interface Port {
  binding: string
  address: string | null
}

/** What the WSDL documents read so far declare, keyed by qualified name. */
class Definitions {
  readonly bindings = new Map<string, Binding>()
  readonly docs = new Map<string, string>()
  readonly ports: Port[] = []
  services = 0
}

function readBinding(x: XmlReader, el: XmlElement, tns: string, defs: Definitions): void {
  let version: SoapVersion | null = null
  if (x.children(el, NS.soap11, 'binding').length > 0) version = 'SOAP11'
  if (x.children(el, NS.soap12, 'binding').length > 0) version = 'SOAP12'
  const operations = x.children(el, NS.wsdl, 'operation').map((op) => {
    const soapOp = [
      ...x.children(op, NS.soap11, 'operation'),
      ...x.children(op, NS.soap12, 'operation'),
    ][0]
    return {
      name: x.attr(op, 'name') ?? '',
      soapAction: (soapOp && x.attr(soapOp, 'soapAction')) ?? '',
    }
  })
  const type = x.qname(el, x.attr(el, 'type') ?? '')
  defs.bindings.set(key({ ns: tns, local: x.attr(el, 'name') ?? '' }), {
    version,
    operations,
    portType: key(type),
  })
}

function readDefinitions(x: XmlReader, root: XmlElement, defs: Definitions): void {
  const tns = x.attr(root, 'targetNamespace') ?? ''
  for (const portType of x.children(root, NS.wsdl, 'portType')) {
    const ptKey = key({ ns: tns, local: x.attr(portType, 'name') ?? '' })
    for (const op of x.children(portType, NS.wsdl, 'operation')) {
      const doc = x.children(op, NS.wsdl, 'documentation')[0]
      const text = doc ? x.text(doc).trim() : ''
      if (text) defs.docs.set(`${ptKey} ${x.attr(op, 'name')}`, text.slice(0, 500))
    }
  }
  for (const binding of x.children(root, NS.wsdl, 'binding')) readBinding(x, binding, tns, defs)
  for (const service of x.children(root, NS.wsdl, 'service')) {
    defs.services++
    for (const port of x.children(service, NS.wsdl, 'port')) {
      const address = [
        ...x.children(port, NS.soap11, 'address'),
        ...x.children(port, NS.soap12, 'address'),
      ][0]
      defs.ports.push({
        binding: key(x.qname(port, x.attr(port, 'binding') ?? '')),
        address: (address && x.attr(address, 'location')) ?? null,
      })
    }
  }
}

/** The locations a document imports: [location, is a WSDL import]. */
function importsOf(x: XmlReader, root: XmlElement): [string, boolean][] {
  const found: [string, boolean][] = []
  const schemaImports = (schema: XmlElement) => {
    for (const kind of ['import', 'include', 'redefine']) {
      for (const el of x.children(schema, NS.xsd, kind)) {
        const at = x.attr(el, 'schemaLocation')
        if (at) found.push([at, false])
      }
    }
  }
  if (x.is(root, NS.xsd, 'schema')) schemaImports(root)
  for (const el of x.children(root, NS.wsdl, 'import')) {
    const at = x.attr(el, 'location')
    if (at) found.push([at, true])
  }
  for (const types of x.children(root, NS.wsdl, 'types')) {
    for (const schema of x.children(types, NS.xsd, 'schema')) schemaImports(schema)
  }
  return found
}

const isUrl = (location: string) => /^[a-z][a-z0-9+.-]*:/i.test(location)

class Loader {
  private readonly parser = new XMLParser(XmlReader.PARSER_OPTIONS)
  private readonly read = new Set<string>()
  readonly defs = new Definitions()
  constructor(
    private readonly files: Map<string, Uint8Array>,
    private readonly archive: boolean,
  ) {}

  /** The document at `path`, parsed; a WSDL's declarations go into `defs`. */
  load(path: string): void {
    if (this.read.has(path)) return
    this.read.add(path)
    const x = this.reader(path)
    const root = x.root
    if (x.is(root, NS.wsdl, 'definitions')) readDefinitions(x, root, this.defs)
    else if (x.is(root, NS.wsdl20, 'description')) {
      throw new SpecProblem(`${this.name(path)} is a WSDL 2.0 document; WSDL 1.1 is supported`)
    } else if (!x.is(root, NS.xsd, 'schema')) {
      throw new SpecProblem(
        `${this.name(path)} is neither a WSDL 1.1 document (wsdl:definitions) nor an XML schema`,
      )
    }
    for (const [location, wsdl] of importsOf(x, root)) {
      if (isUrl(location)) {
        if (!wsdl) continue
        throw new SpecProblem(
          `${this.name(path)} imports ${location.slice(0, 200)} by URL; the server fetches no imports: send a ZIP holding the WSDL and every document it imports`,
        )
      }
      const target = posix.normalize(posix.join(posix.dirname(path), location.split('#')[0] ?? ''))
      if (!this.files.has(target)) {
        throw new SpecProblem(
          this.archive
            ? `${this.name(path)} imports "${location.slice(0, 200)}", which is not in the archive`
            : `imports "${location.slice(0, 200)}"; send a ZIP holding the WSDL and every document it imports`,
        )
      }
      this.load(target)
    }
  }

  reader(path: string): XmlReader {
    return XmlReader.parse(this.parser, this.files.get(path) ?? new Uint8Array(), this.name(path))
  }

  name(path: string): string {
    return this.archive ? path : 'the document'
  }
}

/** The WSDL an archive is about: its only .wsdl file, or the only one declaring a service. */
function mainWsdl(loader: Loader, files: Map<string, Uint8Array>): string {
  const wsdls = [...files.keys()].filter((name) => name.toLowerCase().endsWith('.wsdl'))
  if (wsdls.length === 0) throw new SpecProblem('the ZIP archive holds no .wsdl file')
  if (wsdls.length === 1) return wsdls[0] as string
  const withService = wsdls.filter((name) => {
    const x = loader.reader(name)
    return x.children(x.root, NS.wsdl, 'service').length > 0
  })
  if (withService.length !== 1) {
    throw new SpecProblem(
      `the ZIP archive holds ${wsdls.length} .wsdl files and ${withService.length} of them declare a service; send an archive whose one WSDL with a service imports the rest`,
    )
  }
  return withService[0] as string
}

function endpointsOf(defs: Definitions): ImportedSpec {
  const soapPorts = defs.ports
    .map((port) => ({ port, binding: defs.bindings.get(port.binding) }))
    .filter((p) => p.binding?.version)
    .sort(
      (a, b) =>
        (a.binding?.version === 'SOAP11' ? 0 : 1) - (b.binding?.version === 'SOAP11' ? 0 : 1),
    )
  if (soapPorts.length === 0) {
    throw new SpecProblem(
      defs.services === 0
        ? 'the WSDL declares no service (wsdl:service); its ports name the SOAP addresses a proxy routes to'
        : 'the WSDL declares no SOAP 1.1 or SOAP 1.2 port (HTTP bindings are not supported)',
    )
  }
  const endpoints: SpecEndpoint[] = []
  const seen = new Set<string>()
  for (const { binding } of soapPorts) {
    for (const op of binding?.operations ?? []) {
      if (!op.name || seen.has(op.name)) continue
      seen.add(op.name)
      endpoints.push({
        method: 'POST',
        path: `/${op.name}`.slice(0, 500),
        operationId: op.name.slice(0, 200),
        summary: defs.docs.get(`${binding?.portType} ${op.name}`) ?? null,
        soapAction: op.soapAction.slice(0, 500),
      })
      checkOperationCount(endpoints.length)
    }
  }
  if (endpoints.length === 0) throw new SpecProblem('the WSDL declares no operations')
  const address = soapPorts.map((p) => p.port.address).find((a) => a && /^https?:\/\//.test(a))
  return { endpoints, backendUrl: address ?? null }
}

/** Reads a WSDL 1.1 (the one file, or the archive's main .wsdl and what it imports). */
export function parseWsdl(files: Map<string, Uint8Array>, archive: boolean): ImportedSpec {
  const loader = new Loader(files, archive)
  loader.load(archive ? mainWsdl(loader, files) : '')
  return endpointsOf(loader.defs)
}
