/**
 * A proxy's policies and a project's credentials as the console reads them
 * (GET .../apiProxies/{name}/policies/, GET .../credentials/ and .../access/), and the
 * words a policy's type and condition are shown in.
 */

export interface Variable {
  type: string
  name?: string
  headerName?: string
  paramType?: string
  paramName?: string
  paramPath?: string
  formName?: string
  xpathValue?: string
  jsonPathValue?: string
  bodyJsonPath?: string
  contextValue?: string
}

export interface ConditionRule {
  conditionCriteria: 'VALUE' | 'NOT' | 'AND' | 'OR'
  conditionRuleList?: ConditionRule[]
  firstVariable?: Variable
  valueComparisonOperator?: string
  secondValueSource?: 'VALUE' | 'VARIABLE'
  secondValue?: string
  secondVariable?: Variable
}

/** Only the fields the page shows: the rest (secrets masked by the API) is never rendered. */
export interface PolicyView {
  name: string
  type: string
  description?: string
  active: boolean
  policyCondition?: { conditionRuleList?: ConditionRule[] } | null
}

interface Pipelines {
  requestPolicyList: PolicyView[]
  responsePolicyList: PolicyView[]
  errorPolicyList: PolicyView[]
}

export interface ProxyPolicies extends Pipelines {
  endpointList: (Pipelines & { endpoint: string; httpMethod: string })[]
}

export interface CredentialView {
  username: string
  fullName: string
  enabled: boolean
  expired: boolean
}

export interface CredentialAccess {
  name: string
  type: 'API_PROXY' | 'API_PROXY_GROUP'
}

export const PIPELINES = [
  ['requestPolicyList', 'Request'],
  ['responsePolicyList', 'Response'],
  ['errorPolicyList', 'Error'],
] as const

const ACRONYMS: Record<string, string> = {
  api: 'API',
  ip: 'IP',
  jwt: 'JWT',
  json: 'JSON',
  xml: 'XML',
  oidc: 'OIDC',
  saml: 'SAML',
  mtls: 'mTLS',
  jose: 'JOSE',
  ws: 'WS',
  oauth2: 'OAuth2',
}

/** The documented spellings name some types after the Apinizer UI's wording, not the key. */
const NAMED: Record<string, string> = {
  'policy-black-ip': 'Blocked IP list',
  'policy-white-ip': 'Allowed IP list',
}

/** 'policy-api-based-throttling' → 'API based throttling'. */
export function typeLabel(type: string): string {
  const known = NAMED[type]
  if (known) return known
  const words = type.replace(/^policy-/, '').split('-')
  const text = words.map((w) => ACRONYMS[w] ?? w).join(' ')
  return text.charAt(0).toUpperCase() + text.slice(1)
}

function variableText(v: Variable | undefined): string {
  if (!v) return '?'
  switch (v.type) {
    case 'HEADER':
      return `HEADER ${v.headerName ?? v.name ?? '?'}`
    case 'PARAMETER':
      return `${v.paramType ?? ''} PARAMETER ${v.paramName ?? v.paramPath ?? v.formName ?? '?'}`.trim()
    case 'BODY':
      return `BODY ${v.jsonPathValue ?? v.bodyJsonPath ?? v.xpathValue ?? v.name ?? ''}`.trim()
    case 'CONTEXT_VALUES':
      return `CONTEXT ${v.contextValue ?? v.name ?? '?'}`
    default:
      return `${v.type} ${v.name ?? ''}`.trim()
  }
}

const UNARY = new Set(['IS_EMPTY', 'IS_NOT_EMPTY', 'IS_EXISTS', 'IS_NOT_EXISTS'])

function ruleText(r: ConditionRule, nested: boolean): string {
  if (r.conditionCriteria === 'VALUE') {
    const op = r.valueComparisonOperator ?? '?'
    const first = variableText(r.firstVariable)
    if (UNARY.has(op)) return `${first} ${op}`
    const second =
      r.secondValueSource === 'VARIABLE' ? variableText(r.secondVariable) : (r.secondValue ?? '')
    return `${first} ${op} ${second}`
  }
  const inner = r.conditionRuleList ?? []
  if (r.conditionCriteria === 'NOT') return `NOT (${listText(inner, 'AND', false)})`
  const text = listText(inner, r.conditionCriteria, true)
  return nested && inner.length > 1 ? `(${text})` : text
}

function listText(rules: readonly ConditionRule[], join: string, nested: boolean): string {
  return rules.map((r) => ruleText(r, nested || rules.length > 1)).join(` ${join} `)
}

/** A condition in words; no rules: the policy always runs. Rules side by side must all hold. */
export function conditionText(condition: PolicyView['policyCondition']): string {
  const rules = condition?.conditionRuleList ?? []
  return rules.length === 0 ? 'Always' : listText(rules, 'AND', false)
}
