import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'

/**
 * The console: static files the server serves at `/` under a strict CSP (no inline
 * script or style), so everything is emitted as files under dist/assets.
 * `npx vite --config console/vite.config.ts` serves it for development, proxying the
 * API to a server started with `npm start`.
 */
export default defineConfig(({ command }) => ({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  // A build is always production React, even when started from a process whose
  // NODE_ENV says otherwise (vitest sets it to "test").
  define: {
    'process.env.NODE_ENV': JSON.stringify(command === 'build' ? 'production' : 'development'),
  },
  // React 19's automatic JSX runtime, compiled by Vite's own oxc transform.
  oxc: { jsx: { runtime: 'automatic', development: command !== 'build' } },
  build: {
    // Next to the compiled server (src/http/console.ts serves it): dist/ is the whole build.
    outDir: '../dist/console',
    emptyOutDir: true,
    target: 'es2022',
    // The polyfill would be an inline script; every supported browser has modulepreload.
    modulePreload: { polyfill: false },
    // Never inline assets as data: URLs in CSS or JS; files keep the CSP simple.
    assetsInlineLimit: 0,
  },
  server: {
    proxy: { '/apiops': 'http://127.0.0.1:8080' },
  },
}))
