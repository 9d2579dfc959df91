import { createContext, useContext } from 'react'
import type { Api, Session } from './api.ts'

export interface SignedIn {
  session: Session
  api: Api
  isAdmin: boolean
  logout(): Promise<void>
}

export const SignedInContext = createContext<SignedIn | null>(null)

/** The signed-in person and their API; only used below the login gate. */
export function useSignedIn(): SignedIn {
  const value = useContext(SignedInContext)
  if (!value) throw new Error('useSignedIn outside the signed-in part of the console')
  return value
}
