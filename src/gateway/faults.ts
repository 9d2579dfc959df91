import { randomUUID } from 'node:crypto'
import type { ServerResponse } from 'node:http'
import type { StoredSettings } from '../resources/proxies/settings/settings.model.ts'

/*
 * The answers the gateway writes itself (no route, upstream down or slow, bad request),
 * in the proxy's error template: its JSON template, or its XML one for a SOAP proxy or
 * when only the XML template is active. Templates are cut into pieces once per deploy,
 * so an error costs string joins, not a search.
 */

export type FaultCode =
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'BAD_REQUEST'
  | 'BAD_GATEWAY'
  | 'GATEWAY_TIMEOUT'
  | 'ROUTING_DISABLED'
  | 'SERVICE_UNAVAILABLE'
  | 'CORS_REJECTED'
  | 'PAYLOAD_TOO_LARGE'

const PLACEHOLDERS = [
  '#CORRELATIONID#',
  '#FAULTCODE#',
  '#FAULTMESSAGE#',
  '#FAULTSTATUSCODE#',
  '#RESPONSEFROMAPI#',
] as const
type Slot = 0 | 1 | 2 | 3 | 4

export interface ErrorTemplate {
  contentType: string
  /** Literal text and slot numbers, in order. */
  pieces: (string | Slot)[]
  escape: (value: string) => string
}

function cut(text: string): (string | Slot)[] {
  const pieces: (string | Slot)[] = []
  let rest = text
  for (;;) {
    let at = -1
    let slot: Slot = 0
    PLACEHOLDERS.forEach((p, i) => {
      const found = rest.indexOf(p)
      if (found !== -1 && (at === -1 || found < at)) {
        at = found
        slot = i as Slot
      }
    })
    if (at === -1) break
    if (at > 0) pieces.push(rest.slice(0, at))
    pieces.push(slot)
    rest = rest.slice(at + (PLACEHOLDERS[slot] as string).length)
  }
  if (rest) pieces.push(rest)
  return pieces
}

// Values go inside the template's quotes or elements: escaped for that syntax.
const jsonEscape = (v: string) => JSON.stringify(v).slice(1, -1)
const xmlEscape = (v: string) => v.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

export function compileTemplate(
  settings: Pick<StoredSettings, 'jsonErrorTemplate' | 'xmlErrorTemplate'>,
  soap: boolean,
): ErrorTemplate {
  const json = settings.jsonErrorTemplate
  const xml = settings.xmlErrorTemplate
  const useXml =
    (soap && !json.jsonErrorResponseTemplateActive) ||
    (xml.xmlErrorResponseTemplateActive === true && !json.jsonErrorResponseTemplateActive)
  return useXml
    ? {
        contentType: xml.contentType ?? 'text/xml;charset=UTF-8',
        pieces: cut(xml.xmlValue ?? ''),
        escape: xmlEscape,
      }
    : {
        contentType: json.contentType ?? 'application/json;charset=UTF-8',
        pieces: cut(json.jsonValue ?? ''),
        escape: jsonEscape,
      }
}

export function renderFault(
  template: ErrorTemplate,
  code: FaultCode,
  message: string,
  status: number,
): string {
  const values = [randomUUID(), code, message, String(status), '']
  let out = ''
  for (const piece of template.pieces) {
    out += typeof piece === 'string' ? piece : template.escape(values[piece] as string)
  }
  return out
}

/** Writes a fault answer unless the response has started (then the connection is cut). */
export function sendFault(
  res: ServerResponse,
  template: ErrorTemplate,
  code: FaultCode,
  message: string,
  status: number,
): void {
  if (res.headersSent) {
    res.destroy()
    return
  }
  const body = renderFault(template, code, message, status)
  res.writeHead(status, {
    'content-type': template.contentType,
    'content-length': Buffer.byteLength(body),
  })
  res.end(body)
}
