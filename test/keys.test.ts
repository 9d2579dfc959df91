import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { buildKeyRing } from '../src/keys.ts'
import { seal, unseal } from '../src/sealed.ts'

describe('rotating the master secret', () => {
  const oldMaster = randomBytes(32)
  const newMaster = randomBytes(32)
  const before = buildKeyRing(oldMaster)
  const after = buildKeyRing(newMaster, [oldMaster])

  it('keeps old tokens verifiable: the old kid stays in the key map, new tokens get a new kid', () => {
    expect(after.current.kid).not.toBe(before.current.kid)
    expect(after.byKid.get(before.current.kid)?.signing.equals(before.current.signing)).toBe(true)
  })

  it('keeps secrets sealed under the old secret readable, and seals new ones under the new', () => {
    const sealed = seal(before.atRest, 'db password', 'connections:1:secret')
    expect(unseal(after.atRestKeys, sealed, 'connections:1:secret')).toBe('db password')
    expect(() => unseal(after.atRest, sealed, 'connections:1:secret')).toThrow()
    const fresh = seal(after.atRest, 'new', 'connections:2:secret')
    expect(() => unseal(before.atRest, fresh, 'connections:2:secret')).toThrow()
    // The row binding still holds across keys.
    expect(() => unseal(after.atRestKeys, sealed, 'connections:2:secret')).toThrow()
  })
})
