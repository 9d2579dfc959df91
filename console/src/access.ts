import { useSignedIn } from './context.ts'
import { useLoad } from './hooks.ts'

/**
 * May this person read API proxies? The API lets members of a project read its proxies
 * (administrators are members of every project); no role is needed to read, roles are
 * for writing. undefined while it is being found out.
 */
export function useProxyReader(): boolean | undefined {
  const { api, isAdmin } = useSignedIn()
  const me = useLoad(() => (isAdmin ? Promise.resolve(null) : api.me()), [api, isAdmin])
  if (isAdmin) return true
  if (me.error) return false
  return me.data ? me.data.projects.length > 0 : undefined
}
