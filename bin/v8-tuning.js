// V8 settings for every apiops process. Imported before anything else (by bin/apiops.js,
// and first by the bench's servers, bench/server.js) because V8 flags must be set before
// the heap grows. That is also why this file reads its one setting from the environment
// itself: src/config.ts, the reader of every other variable, loads far too late.
//
// APIOPS_V8_PRETENURING=off (the default) turns V8's allocation-site pretenuring off;
// =on leaves V8's default. Why (docs/performance.md, "V8 pretenuring", has the traces):
// every response makes a two-element listener array, at one line of Node's events.js
// (_addListener, `[existing, listener]`): Node's http server listens for 'finish' with a
// function bound to the request, and Fastify adds its own, a closure over the reply.
// When hundreds of requests are in flight at once (a burst of connections on a fresh
// process), V8 sees those arrays survive and decides to allocate them in the old
// generation for good. From then
// on each array outlives its request until a full collection, and through it both
// listeners and the whole request: every scavenge copies the previous requests' objects
// (scavenges 5-12 ms instead of about 1, 2 MB promoted each time, a full collection
// every few seconds, half the throughput). apiops cannot avoid the array (the two listeners
// belong to Node and Fastify); with pretenuring off V8 never makes that decision.
import { setFlagsFromString } from 'node:v8'

const raw = process.env.APIOPS_V8_PRETENURING
const setting = (raw || 'off').toLowerCase()
if (setting !== 'on' && setting !== 'off') {
  // The configuration's own wording and exit status (src/main.ts), before anything runs.
  process.stderr.write(`apiops: APIOPS_V8_PRETENURING must be on or off (got "${raw}")\n`)
  process.exit(2)
}
if (setting === 'off') setFlagsFromString('--no-allocation-site-pretenuring')
