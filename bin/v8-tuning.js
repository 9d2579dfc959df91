// V8 settings for every apiops process. This module is imported before anything else
// (by bin/apiops.js, and by `--import` in the bench's servers) because V8 flags must be
// set before the heap grows.
//
// Allocation-site pretenuring is off. Under steady HTTP load, about 4 apiops servers in
// 10 fell into a state that lasted for the rest of their life: each scavenge kept the
// previous requests' objects alive. V8's --trace-pretenuring-statistics showed one
// allocation site surviving at ratio 1.0, about one object per request. Scavenge pauses
// went from 0.6 ms to 10 ms, the old generation filled and was compacted every second,
// and throughput fell by about half (4 s of load on the open route, 7 of 17 runs).
// With this flag the state never came back (0 of 16 runs). A plain Fastify server never
// showed it. test/v8-tuning.test.ts checks that the flag takes effect.
import { setFlagsFromString } from 'node:v8'

setFlagsFromString('--no-allocation-site-pretenuring')
