import type { IncomingMessage } from 'node:http'

/*
 * A request body read whole before it is forwarded (the client route's bufferRequest):
 * up to a cap, so one client cannot make the gateway hold an unbounded body. A declared
 * length over the cap is refused before a byte is read.
 */

export type BodyOutcome = Buffer | 'too-large' | 'aborted'

export function readBody(
  req: IncomingMessage,
  limit: number,
  done: (outcome: BodyOutcome) => void,
): void {
  if (Number(req.headers['content-length']) > limit) {
    // Read and dropped until the refusal closes the connection, so the client sees it.
    req.resume()
    done('too-large')
    return
  }
  const chunks: Buffer[] = []
  let size = 0
  let over = false
  const finish = (outcome: BodyOutcome) => {
    if (over) return
    over = true
    req.off('data', onData)
    done(outcome)
  }
  const onData = (chunk: Buffer) => {
    size += chunk.length
    if (size <= limit) {
      chunks.push(chunk)
      return
    }
    finish('too-large')
    req.resume()
  }
  req.on('data', onData)
  req.once('end', () => finish(Buffer.concat(chunks, size)))
  req.once('error', () => finish('aborted'))
  // After 'end' this is a no-op; before it, the client went away mid-body.
  req.once('close', () => finish('aborted'))
}
