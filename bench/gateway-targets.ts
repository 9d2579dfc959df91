/**
 * The processes bench/gateway.bench.ts measures, each started on its own loopback port
 * and killed when the bench exits: the upstream, nginx, @fastify/http-proxy, the minimal
 * undici proxy and the apiops gateway. Their CPU time is read from /proc, so a target
 * needs no cooperation (nginx gives none) and every target is measured the same way.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer, request } from 'node:http'
import { join } from 'node:path'
import type { ServerHandle } from './children.ts'
import { registerChild } from './children.ts'

const NGINX = '/usr/sbin/nginx'
const STARTUP_TIMEOUT_MS = 30_000
/** Clock ticks per second of /proc/<pid>/stat (USER_HZ; 100 on every Linux we run on). */
const TICKS_PER_SECOND = 100
export const BENCH_PATH = '/bench/hello'

const root = new URL('..', import.meta.url).pathname

/** A free loopback port: bound, then released for the child to take. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}

/** Status of one GET, or 0 when nothing answers. */
function statusOf(port: number, path: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false, timeout: 2_000 }, (res) => {
      res.resume()
      resolve(res.statusCode ?? 0)
    })
    req.once('error', () => resolve(0))
    req.once('timeout', () => req.destroy())
    req.end()
  })
}

/** Waits until the target answers the bench path with 200, or the child dies, or time runs out. */
async function answering(name: string, child: ChildProcess, port: number): Promise<void> {
  const end = Date.now() + STARTUP_TIMEOUT_MS
  let last = 0
  while (Date.now() < end) {
    if (child.exitCode !== null) throw new Error(`${name} exited with code ${child.exitCode}`)
    last = await statusOf(port, BENCH_PATH)
    if (last === 200) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`${name} did not answer ${BENCH_PATH} with 200 (last status ${last})`)
}

/** The pid and its direct children (nginx's worker under its master). */
function processTree(pid: number): number[] {
  const children = readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        return statFields(Number(entry))[1] === String(pid)
      } catch {
        return false
      }
    })
    .map(Number)
  return [pid, ...children]
}

/** /proc/<pid>/stat after the command name: state, ppid, ... (field 3 onwards). */
function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')
}

/** utime + stime of the processes, in µs; a process that is gone counts zero. */
function cpuMicros(pids: readonly number[]): number {
  let ticks = 0
  for (const pid of pids) {
    try {
      const fields = statFields(pid)
      ticks += Number(fields[11]) + Number(fields[12])
    } catch {
      // exited
    }
  }
  return (ticks * 1e6) / TICKS_PER_SECOND
}

function handle(name: string, port: number, child: ChildProcess): ServerHandle {
  const pids = processTree(child.pid as number)
  let stopped = false
  // A child's own children (nginx's worker) would outlive a SIGKILL of their parent.
  process.on('exit', () => {
    if (stopped) return
    for (const pid of pids.slice(1)) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // already gone
      }
    }
  })
  return {
    name,
    port,
    async cpuSample() {
      return { cpuMicros: cpuMicros(pids), wallMicros: Number(process.hrtime.bigint() / 1000n) }
    },
    async stop() {
      stopped = true
      if (child.exitCode !== null) return
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
      await exited
      clearTimeout(timer)
    },
  }
}

async function startChild(
  name: string,
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<ServerHandle> {
  const port = await freePort()
  const child = spawn(argv[0] as string, [...argv.slice(1), String(port)].filter(Boolean), {
    cwd: root,
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  registerChild(child)
  await answering(name, child, port)
  return handle(name, port, child)
}

/** A TypeScript file of bench/ under plain node with the tsx loader: `<file> [args] <port>`. */
const tsNode = (file: string, ...args: string[]) => [
  process.execPath,
  '--import',
  'tsx',
  join(root, 'bench', file),
  ...args,
]

export const startUpstream = () => startChild('direct', tsNode('upstream-server.ts'))
export const startMinimalProxy = (upstream: string) =>
  startChild('minimal undici proxy', tsNode('minimal-proxy.ts', upstream))
export const startFastifyProxy = (upstream: string) =>
  startChild('@fastify/http-proxy', tsNode('fastify-proxy.ts', upstream))

function nginxConfig(dir: string, port: number, upstreamPort: number): string {
  const temp = (name: string) => {
    mkdirSync(join(dir, name), { recursive: true })
    return join(dir, name)
  }
  return `# Generated by bench/gateway-targets.ts: one worker, upstream keep-alive, no logs.
daemon off;
worker_processes 1;
${process.getuid?.() === 0 ? 'user root;' : ''}
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${temp('body')};
  proxy_temp_path ${temp('proxy')};
  fastcgi_temp_path ${temp('fastcgi')};
  uwsgi_temp_path ${temp('uwsgi')};
  scgi_temp_path ${temp('scgi')};
  keepalive_requests 10000000;
  keepalive_timeout 120s;
  upstream bench_upstream {
    server 127.0.0.1:${upstreamPort};
    keepalive 128;
    keepalive_requests 10000000;
    keepalive_timeout 120s;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://bench_upstream;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`
}

/** nginx as a child on its own config, or null (with the reason) where it is not installed. */
export async function startNginx(
  dir: string,
  upstreamPort: number,
): Promise<ServerHandle | string> {
  if (!existsSync(NGINX)) return `nginx: not installed at ${NGINX}, skipped`
  const port = await freePort()
  const config = join(dir, 'nginx.conf')
  writeFileSync(config, nginxConfig(dir, port, upstreamPort))
  const child = spawn(NGINX, ['-p', dir, '-c', config], { stdio: ['ignore', 'ignore', 'inherit'] })
  registerChild(child)
  await answering('nginx', child, port)
  return handle('nginx', port, child)
}

/**
 * How the apiops slot starts a gateway node (the command issue 13 names), given its
 * port; the data dir and secret come in the environment, as for `apiops serve`.
 */
export const gatewayArgv = (port: number) => [
  process.execPath,
  join(root, 'dist', 'main.js'),
  'gateway',
  '--environment',
  'bench',
  '--port',
  String(port),
]

/** Whether this build has the gateway command at all. */
export function gatewayAvailable(): boolean {
  const argv = gatewayArgv(0)
  const probe = spawnSync(argv[0] as string, [argv[1] as string, 'gateway', '--help'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 30_000,
  })
  return probe.status === 0 && /Usage: apiops gateway/.test(probe.stdout)
}

export async function startGateway(
  name: string,
  dataDir: string,
  secretBase64: string,
): Promise<ServerHandle> {
  const port = await freePort()
  const argv = gatewayArgv(port)
  const child = spawn(argv[0] as string, argv.slice(1), {
    cwd: root,
    env: {
      ...process.env,
      APIOPS_DATA_DIR: dataDir,
      APIOPS_SECRET_KEY: secretBase64,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  registerChild(child)
  await answering(name, child, port)
  return handle(name, port, child)
}
