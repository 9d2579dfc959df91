import { ensureConsoleBuilt } from './console-build.ts'

// `npm start` runs this first, so a fresh clone serves the console without a separate build step.
if (await ensureConsoleBuilt())
  process.stdout.write('apiops: built the console into console/dist\n')
