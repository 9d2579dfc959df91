import { type Algorithm, hash } from '@node-rs/argon2'
import type { VerifyPriority } from '../../config.ts'
import { Argon2Threads, type PriorityWarn } from './argon2-threads.ts'

// The library's Algorithm is an ambient const enum, which isolated modules cannot read.
const ARGON2ID = 2 as Algorithm

/**
 * argon2id with explicit parameters: the library's defaults are below OWASP's floor
 * (m=19456 KiB, t=2, p=1). One verify with these costs 12-18 ms on the 2-core machines
 * apiops is tested on (more while other work shares the cores).
 */
export const ARGON2_PARAMS = {
  algorithm: ARGON2ID,
  memoryCost: 32768,
  timeCost: 2,
  parallelism: 1,
} as const

export const PASSWORD_MIN_LENGTH = 8
export const PASSWORD_MAX_LENGTH = 256

export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2_PARAMS)
}

/** Verifies run on threads below the event loop's priority (see argon2-threads.ts). */
const verifyThreads = new Argon2Threads()

/** The process's one set of verifying threads, like libuv's pool: configured once. */
export function setVerifyPriority(priority: VerifyPriority, warn?: PriorityWarn): void {
  verifyThreads.setPriority(priority, warn)
}

// Verified against when the user does not exist, so an unknown username costs the same
// time as a wrong password and timing does not reveal which usernames exist.
let dummyHash: Promise<string> | undefined

/** A hash that does not parse is a wrong password; a verifying thread that died throws. */
export async function verifyPassword(
  storedHash: string | undefined,
  password: string,
): Promise<boolean> {
  if (storedHash === undefined) {
    dummyHash ??= hashPassword('apiops-dummy-password-for-timing')
    await verifyThreads.verify(await dummyHash, password)
    return false
  }
  return verifyThreads.verify(storedHash, password)
}

/** Why a new password is refused, or null when it is acceptable. */
export function passwordProblem(password: string): string | null {
  if (password.length < PASSWORD_MIN_LENGTH)
    return `must be at least ${PASSWORD_MIN_LENGTH} characters`
  if (password.length > PASSWORD_MAX_LENGTH)
    return `must be at most ${PASSWORD_MAX_LENGTH} characters`
  return null
}
