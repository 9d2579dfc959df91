import { errors } from '../../../errors.ts'
import type { StoredRouting } from './settings.model.ts'

/*
 * Request mirroring: with mirrorEnabled, a gateway sends a copy of each request to every
 * mirror address and answers from the routing addresses alone. The docs name no mirror
 * backend, so apiops takes them in its own field, mirrorAddressList; turning mirroring on
 * without one would do nothing, so it is refused rather than stored.
 */

/** 400 when mirroring is on with nowhere to send the copies, or an address does not parse. */
export function checkMirror(routing: Partial<StoredRouting>, prefix?: string): void {
  const field = (name: string) => (prefix ? `${prefix}.${name}` : name)
  const list = routing.mirrorAddressList ?? []
  const issues = list.flatMap(({ address }, i) =>
    URL.canParse(address)
      ? []
      : [{ field: field(`mirrorAddressList.${i}.address`), message: 'is not a valid URL' }],
  )
  if (routing.mirrorEnabled === true && list.length === 0) {
    issues.push({
      field: field('mirrorEnabled'),
      message:
        'needs a mirrorAddressList: give the addresses the copies go to (apiops field; the documentation names none)',
    })
  }
  if (issues.length > 0) throw errors.validationFailed(issues)
}
