/*
 * The layers of src/, top to bottom: a module may import its own layer and any layer
 * below it, never one above. README.md ("Layers") says what lives in each; keep the two
 * in step. `npm run lint` runs this; test/layers.test.ts shows that it fails on a
 * planted upward import, a planted cycle and a file outside every layer.
 */
const LAYERS = [
  { name: 'entry', path: '^src/(main\\.ts$|cli/)' },
  { name: 'composition', path: '^src/(app|composition|runtime|openapi)\\.ts$' },
  { name: 'gateway', path: '^src/gateway/' },
  { name: 'features', path: '^src/(resources|settings|system)/' },
  { name: 'identity', path: '^src/identity/' },
  { name: 'audit', path: '^src/audit/' },
  { name: 'http', path: '^src/http/' },
  { name: 'notifications', path: '^src/notifications/' },
  { name: 'cluster', path: '^src/cluster/' },
  { name: 'traffic', path: '^src/traffic/' },
  { name: 'db', path: '^src/db/' },
  {
    name: 'leaves',
    path: '^src/(errors|config|clock|keys|sealed|outbound-address|outbound-connect|ip-entries|worker-pool|metrics)\\.ts$',
  },
]

const PLACED = LAYERS.map((layer) => layer.path)

// One rule per layer (except the top one): nothing in it imports a layer above it.
const upward = LAYERS.slice(1).map((layer, index) => ({
  name: `layer-upward-from-${layer.name}`,
  severity: 'error',
  comment: `${layer.name} may not import ${LAYERS.slice(0, index + 1)
    .map((above) => above.name)
    .join(', ')} (layers above it)`,
  from: { path: layer.path },
  to: { path: LAYERS.slice(0, index + 1).map((above) => above.path) },
}))

module.exports = {
  forbidden: [
    ...upward,
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Import cycles, type-only imports included (tsPreCompilationDeps).',
      from: {},
      to: { circular: true },
    },
    {
      name: 'layer-unplaced',
      severity: 'error',
      comment: 'Every module under src/ belongs to a layer in .dependency-cruiser.cjs.',
      from: { path: '^src/', pathNot: PLACED },
      to: {},
    },
    {
      name: 'layer-unplaced',
      severity: 'error',
      comment: 'Every module under src/ belongs to a layer in .dependency-cruiser.cjs.',
      from: {},
      to: { path: '^src/', pathNot: PLACED },
    },
    {
      name: 'layer-unplaced',
      severity: 'error',
      comment: 'Every module under src/ belongs to a layer in .dependency-cruiser.cjs.',
      from: { orphan: true, path: '^src/', pathNot: PLACED },
      to: {},
    },
  ],
  options: {
    includeOnly: '^src/',
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
}
