/**
 * Messages between the bench (parent) and a server under test (child, bench/server.js)
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

export {
  HELLO_BODY,
  HELLO_PATH,
  HELLO_ROUTE,
  OPEN_HELLO_PATH,
  OPEN_HELLO_ROUTE,
} from './routes.js'
