import type { Queryable } from '../../db/types.ts'
import { ApiError, errors } from '../../errors.ts'
import {
  type Action,
  authorize,
  authorizeInProject,
  checkProjectParam,
  checkReadOnly,
  POLICY,
  type Principal,
  type ProjectAction,
} from './permissions.ts'

/*
 * "Can I?": what a request would be answered, judged by the same checks the request
 * itself meets (the token's address rule, read-only, the action's roles, the token's
 * projects, membership), without running it. Checks a route's body decides (a policy
 * saved with deployTargets also deploys) and whether the resource exists are not judged.
 */

/** A registered route as the app's route table lists it. */
export interface KnownRoute {
  readonly method: string
  readonly url: string
  readonly public: boolean
  readonly action: Action | undefined
}

export interface CanIQuestion {
  method: string
  path: string
  /** The client address to judge the token's allowFrom rule by. */
  from: string
}

export interface CanIAnswer {
  allowed: boolean
  reason: string
  /** The matched route's pattern, e.g. "POST /apiops/projects/:projectName/apiProxies/". */
  route: string | null
  action: Action | null
  /** What the request would be answered instead, when refused. */
  status: number | null
}

const segments = (path: string) => path.split('/').filter((s) => s !== '')

/** 0 static, 1 parameter, 2 wildcard: the router prefers the lowest at each segment. */
function matchScore(
  pattern: string[],
  path: string[],
  params: Record<string, string>,
): number[] | null {
  const score: number[] = []
  for (const [i, part] of pattern.entries()) {
    const value = path[i]
    if (part === '*') return [...score, 2]
    if (value === undefined) return null
    if (part.startsWith(':')) {
      params[part.slice(1)] = safeDecode(value)
      score.push(1)
    } else if (part === value) score.push(0)
    else return null
  }
  return pattern.length === path.length ? score : null
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

const lower = (a: number[], b: number[]) => {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i] ?? 0
    const y = b[i] ?? 0
    if (x !== y) return x < y
  }
  return a.length < b.length
}

/** The route a request would reach (trailing slash ignored, as the router does). */
export function matchRoute(
  routes: readonly KnownRoute[],
  method: string,
  path: string,
): { route: KnownRoute; params: Record<string, string> } | undefined {
  const wanted = segments(path)
  const asMethod = method === 'HEAD' ? 'GET' : method
  let best: { route: KnownRoute; params: Record<string, string>; score: number[] } | undefined
  for (const route of routes) {
    if (route.method !== asMethod) continue
    const params: Record<string, string> = {}
    const score = matchScore(segments(route.url), wanted, params)
    if (score === null) continue
    if (!best || lower(score, best.score)) best = { route, params, score }
  }
  return best && { route: best.route, params: best.params }
}

async function judge(
  deps: { db: Queryable },
  principal: Principal,
  question: CanIQuestion,
  route: KnownRoute,
  projectName: string | undefined,
): Promise<void> {
  const limits = principal.limits
  if (limits?.allows && !limits.allows(question.from)) {
    throw errors.tokenAddressNotAllowed(question.from, limits.allowFrom ?? [])
  }
  checkReadOnly(principal, question.method)
  const action = route.action
  if (action) authorize(principal, action)
  if (projectName === undefined) return
  await checkProjectParam(deps, principal, projectName)
  const inProject = action && POLICY[action].inProject ? (action as ProjectAction) : 'project.read'
  await authorizeInProject(deps, principal, inProject, projectName)
}

export async function canI(
  deps: { db: Queryable },
  principal: Principal,
  routes: readonly KnownRoute[],
  question: CanIQuestion,
): Promise<CanIAnswer> {
  const found = matchRoute(routes, question.method, question.path)
  if (!found) {
    return {
      allowed: false,
      reason: `no such route: ${question.method} ${question.path}`,
      route: null,
      action: null,
      status: 404,
    }
  }
  const { route, params } = found
  const answer = { route: `${route.method} ${route.url}`, action: route.action ?? null }
  if (route.public) {
    return {
      ...answer,
      allowed: true,
      reason: 'a public route: no credentials needed',
      status: null,
    }
  }
  try {
    await judge(deps, principal, question, route, params.projectName)
  } catch (error) {
    if (!(error instanceof ApiError)) throw error
    // The request itself answers 404 so as not to confirm the project exists; the caller
    // asking about it is told the same, in words.
    const reason =
      error.code === 'not_found'
        ? `You are not a member of project '${params.projectName}' (or it does not exist): the request would answer 404.`
        : error.description
    return { ...answer, allowed: false, reason, status: error.status }
  }
  const why = route.action ? `the ${route.action} action is allowed` : 'any signed-in caller may'
  return { ...answer, allowed: true, reason: `allowed: ${why}`, status: null }
}
