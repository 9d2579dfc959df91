/**
 * Messages between the bench (parent) and a server under test (child, bench/server.ts)
 * over the fork IPC channel. The child owns its own event loop so the load generator
 * never competes with it for one.
 */

export type ServerKind = 'bare' | 'auth'

/** Parent to child: which server to build. The secret travels over IPC, not argv, so `ps` never shows it. */
export type StartMessage =
  | { type: 'start'; target: 'bare' }
  | {
      type: 'start'
      target: 'auth'
      dataDir: string
      secretBase64: string
      /** LOG_LEVEL, as a deployment sets it; lines go to /dev/null (their cost, not a terminal's). */
      logLevel: string
    }

export type ParentMessage = StartMessage | { type: 'cpu'; id: number } | { type: 'stop' }

export type ChildMessage =
  | { type: 'ready'; port: number }
  | { type: 'failed'; message: string }
  /** The child's own CPU time and wall clock, both in microseconds, so utilisation needs no clock sync. */
  | { type: 'cpu'; id: number; cpuMicros: number; wallMicros: number }

/** The one route every server answers, in the same shape. */
export const HELLO_ROUTE = '/apiops/test/hello/:name'
export const HELLO_PATH = '/apiops/test/hello/John'
/**
 * The same route, handler and schema on the apiops server, marked public: what the
 * authenticated route costs without authentication, in an identical server.
 */
export const OPEN_HELLO_ROUTE = '/apiops/test/open-hello/:name'
export const OPEN_HELLO_PATH = '/apiops/test/open-hello/John'
export const HELLO_BODY = 'Hello John'
