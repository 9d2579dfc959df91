/**
 * `npm run bench`: the management bench (bench/auth.bench.ts), or with `--gateway` the
 * gateway bench (bench/gateway.bench.ts). The flag is taken out before the chosen bench
 * reads its own options.
 */
const at = process.argv.indexOf('--gateway')
if (at >= 0) {
  process.argv.splice(at, 1)
  await import('./gateway.bench.ts')
} else {
  await import('./auth.bench.ts')
}
