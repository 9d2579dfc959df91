/*
 * What every spec reader answers, and how it says a document is wrong. Shared by the
 * OpenAPI, WSDL and ZIP readers (all run in the spec-parse worker).
 */

export type SpecKind = 'OPEN_API' | 'SWAGGER' | 'WSDL'

export interface SpecEndpoint {
  method: string
  path: string
  operationId: string | null
  summary: string | null
  /** SOAP operations only: the SOAPAction their binding declares ('' when none). */
  soapAction?: string
}

export interface ImportedSpec {
  endpoints: SpecEndpoint[]
  /** The backend the spec names (servers[0], host+basePath, or a SOAP port's address), if any. */
  backendUrl: string | null
}

/**
 * The most operations one spec may declare. GitHub's published description, among the
 * largest public ones, has about 1,100; this leaves room for four times that.
 */
export const MAX_OPERATIONS = 5000

/** What is wrong with a document, in words for the caller (no stack, no internals). */
export class SpecProblem extends Error {}

export function checkOperationCount(count: number): void {
  if (count > MAX_OPERATIONS) {
    throw new SpecProblem(
      `the spec has more than ${MAX_OPERATIONS} operations, the most one proxy may have`,
    )
  }
}
