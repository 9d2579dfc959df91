import { useCallback, useEffect, useRef, useState } from 'react'
import { messageOf } from './api.ts'

export interface Loaded<T> {
  data: T | undefined
  error: string | null
  loading: boolean
  reload(): Promise<void>
}

/** Load once on mount (and whenever a key changes); `reload` after a change. */
export function useLoad<T>(load: () => Promise<T>, keys: readonly unknown[]): Loaded<T> {
  const [data, setData] = useState<T>()
  const [error, setError] = useState<string | null>(null)
  const [loading, setLoading] = useState(true)
  const loadRef = useRef(load)
  loadRef.current = load
  const generation = useRef(0)

  const reload = useCallback(async () => {
    const mine = ++generation.current
    setLoading(true)
    try {
      const value = await loadRef.current()
      if (mine !== generation.current) return
      setData(value)
      setError(null)
    } catch (e) {
      if (mine !== generation.current) return
      setError(messageOf(e))
    } finally {
      if (mine === generation.current) setLoading(false)
    }
  }, [])

  useEffect(
    () => {
      void reload()
    },
    // biome-ignore lint/correctness/useExhaustiveDependencies: the caller's keys decide when to reload
    keys,
  )

  return { data, error, loading, reload }
}
