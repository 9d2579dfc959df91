import { errors } from '../../../errors.ts'
import type { StoredRouting } from './settings.model.ts'

/*
 * Request mirroring: with mirrorEnabled, a gateway sends a copy of each request to every
 * mirror address and answers from the routing addresses alone. The docs name no mirror
 * backend, so apiops takes them in its own field, mirrorAddressList. The docs' own
 * example turns mirroring on without one, so that is stored (a script written from the
 * docs must work) and mirrors nothing until addresses are given.
 */

/** 400 when a mirror address does not parse as a URL. */
export function checkMirror(routing: Partial<StoredRouting>, prefix?: string): void {
  const field = (name: string) => (prefix ? `${prefix}.${name}` : name)
  const list = routing.mirrorAddressList ?? []
  const issues = list.flatMap(({ address }, i) =>
    URL.canParse(address)
      ? []
      : [{ field: field(`mirrorAddressList.${i}.address`), message: 'is not a valid URL' }],
  )
  if (issues.length > 0) throw errors.validationFailed(issues)
}
