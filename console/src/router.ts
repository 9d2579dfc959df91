import { useSyncExternalStore } from 'react'

/** A tiny History API router: the server answers index.html for every console path. */
const listeners = new Set<() => void>()

function subscribe(listener: () => void) {
  listeners.add(listener)
  window.addEventListener('popstate', listener)
  return () => {
    listeners.delete(listener)
    window.removeEventListener('popstate', listener)
  }
}

export function usePath(): string {
  return useSyncExternalStore(subscribe, () => window.location.pathname)
}

/** The query string ("?a=b" or ""), for pages that keep their filters in the address. */
export function useSearch(): string {
  return useSyncExternalStore(subscribe, () => window.location.search)
}

export function navigate(path: string): void {
  if (path === window.location.pathname + window.location.search) return
  window.history.pushState(null, '', path)
  for (const listener of listeners) listener()
  window.scrollTo(0, 0)
}

/** Changes the address in place (a tab, a filter), without a history entry or a scroll. */
export function replacePath(path: string): void {
  if (path === window.location.pathname + window.location.search) return
  window.history.replaceState(null, '', path)
  for (const listener of listeners) listener()
}

export type Route =
  | { page: 'overview' }
  | { page: 'profile'; tab: 'tokens' | 'activity' }
  | { page: 'users' }
  | { page: 'user'; username: string }
  | { page: 'projects' }
  | { page: 'project'; name: string }
  | { page: 'audit' }
  | { page: 'settings' }
  /** project null: the page picks the first of the person's projects. */
  | { page: 'proxies'; project: string | null }
  | { page: 'proxy'; project: string; name: string }
  | { page: 'not-found' }

export function parseRoute(path: string): Route {
  const parts = path
    .split('/')
    .filter(Boolean)
    .map((p) => {
      try {
        return decodeURIComponent(p)
      } catch {
        return p
      }
    })
  const [a, b, c] = parts
  if (parts.length === 0) return { page: 'overview' }
  if (a === 'profile' && parts.length === 1) return { page: 'profile', tab: 'tokens' }
  if (a === 'profile' && b === 'activity' && parts.length === 2)
    return { page: 'profile', tab: 'activity' }
  if (a === 'proxies' && parts.length <= 2) return { page: 'proxies', project: b ?? null }
  if (a === 'proxies' && b && c && parts.length === 3) return { page: 'proxy', project: b, name: c }
  if (a === 'admin' && b === 'audit' && parts.length === 2) return { page: 'audit' }
  if (a === 'admin' && b === 'settings' && parts.length === 2) return { page: 'settings' }
  if (a === 'admin' && b === 'users' && parts.length === 2) return { page: 'users' }
  if (a === 'admin' && b === 'users' && c && parts.length === 3)
    return { page: 'user', username: c }
  if (a === 'admin' && b === 'projects' && parts.length === 2) return { page: 'projects' }
  if (a === 'admin' && b === 'projects' && c && parts.length === 3)
    return { page: 'project', name: c }
  return { page: 'not-found' }
}

export const paths = {
  overview: '/',
  profile: '/profile',
  activity: '/profile/activity',
  audit: '/admin/audit',
  auditOf: (username: string) => `/admin/audit?username=${encodeURIComponent(username)}`,
  /** Failed logins under one unknown username, by the hash the audit log keeps of it. */
  auditOfUnknown: (hash: string) => `/admin/audit?username_hash=${encodeURIComponent(hash)}`,
  users: '/admin/users',
  user: (username: string) => `/admin/users/${encodeURIComponent(username)}`,
  projects: '/admin/projects',
  project: (name: string) => `/admin/projects/${encodeURIComponent(name)}`,
  settings: '/admin/settings',
  proxies: '/proxies',
  /** page is zero-based, as the API pages; the first page has no query string. */
  proxiesOf: (project: string, page = 0) =>
    `/proxies/${encodeURIComponent(project)}${page > 0 ? `?page=${page}` : ''}`,
  proxy: (project: string, name: string) =>
    `/proxies/${encodeURIComponent(project)}/${encodeURIComponent(name)}`,
}
