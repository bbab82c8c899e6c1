/**
 * Ponder instances as real child processes (`node bin/ponder.js serve`), each in its own process group
 * so that a kill reaches the engine child too. Every instance started is registered until stopped;
 * `stopAll()` is what the entry point runs on exit, failure and Ctrl-C.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { http, newAgent } from './http.ts';

const BIN = resolve(import.meta.dirname, '../../bin/ponder.js');
/** The same key for every instance so that two instances on one database can read each other's rows. */
export const MASTER_KEY = 'c'.repeat(64);
const PAGE = 4096;

export interface InstanceSpec {
  name: string;
  /** Reuse a data directory (restart after a crash); default a fresh temporary one. */
  dir?: string;
  model: string;
  /** Extra `PONDER_*` settings. */
  env: Record<string, string>;
}

export interface Instance {
  readonly spec: InstanceSpec;
  readonly url: string;
  readonly dir: string;
  readonly child: ChildProcess;
  readonly pid: number;
  readonly agent: ReturnType<typeof newAgent>;
  /** Set once the process has exited; `expectedExit` tells a planned stop from a crash. */
  exit: { code: number | null; signal: NodeJS.Signals | null } | null;
  expectedExit: boolean;
  readonly exited: Promise<void>;
  readonly logFile: string;
}

/**
 * The first-admin setup code the instance printed at start (its log is the child's stderr), once it is
 * there. Sent with every bench sign-up: the server ignores it once an admin exists.
 */
export function setupCodeOf(instance: Instance): string | undefined {
  let code = setupCodes.get(instance);
  if (code) return code;
  try {
    code = /setup code: ([A-Z0-9]{5}-[A-Z0-9]{5})/.exec(readFileSync(instance.logFile, 'utf8'))?.[1];
  } catch {
    return undefined;
  }
  if (code) setupCodes.set(instance, code);
  return code;
}
const setupCodes = new WeakMap<Instance, string>();

const running = new Set<Instance>();
const tempDirs = new Set<string>();

export function newDataDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `ponder-load-${name}-`));
  tempDirs.add(dir);
  return dir;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  await new Promise((r) => server.close(r));
  if (!address || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

function childEnv(dir: string, extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PONDER_')));
  return {
    ...env,
    PONDER_DATA_DIR: dir,
    PONDER_MASTER_KEY: MASTER_KEY,
    PONDER_LOG_LEVEL: 'warn',
    ...extra,
  };
}

/** Starts `ponder serve` and waits until `/readyz` answers 200 (store open, model loaded). */
export async function startInstance(spec: InstanceSpec, readyTimeoutMs = 120_000): Promise<Instance> {
  const dir = spec.dir ?? newDataDir(spec.name);
  const port = await freePort();
  const logFile = join(dir, `serve-${Date.now()}.log`);
  const log = openSync(logFile, 'a');
  const child = spawn(
    process.execPath,
    [BIN, 'serve', '--port', String(port), '--model', spec.model, '--no-pull', '--shutdown-grace', '2'],
    { env: childEnv(dir, spec.env), stdio: ['ignore', log, log], detached: true },
  );
  closeSync(log);
  if (child.pid === undefined) throw new Error(`${spec.name}: could not start ponder serve`);
  let markExited: () => void = () => {};
  const exited = new Promise<void>((r) => {
    markExited = r;
  });
  const instance: Instance = {
    spec: { ...spec, dir },
    url: `http://127.0.0.1:${port}`,
    dir,
    child,
    pid: child.pid,
    agent: newAgent(),
    exit: null,
    expectedExit: false,
    exited,
    logFile,
  };
  running.add(instance);
  child.once('exit', (code, signal) => {
    instance.exit = { code, signal };
    markExited();
  });
  const deadline = Date.now() + readyTimeoutMs;
  while (Date.now() < deadline) {
    if (instance.exit) break;
    const ok = await http(`${instance.url}/readyz`, { timeoutMs: 2000 })
      .then((r) => r.status === 200)
      .catch(() => false);
    if (ok) return instance;
    await new Promise((r) => setTimeout(r, 200));
  }
  await killInstance(instance);
  throw new Error(`${spec.name} did not become ready:\n${logTail(instance)}`);
}

export function logTail(instance: Instance, lines = 15): string {
  try {
    return readFileSync(instance.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** SIGKILL to the whole process group (server and engine), as a machine or container crash would. */
export async function killInstance(instance: Instance): Promise<void> {
  instance.expectedExit = true;
  signalGroup(instance.pid, 'SIGKILL');
  await Promise.race([instance.exited, sleep(10_000)]);
  // The engine child may outlive the server by a moment; wait until the group is empty.
  for (let i = 0; i < 50 && groupPids(instance.pid).length > 0; i++) await sleep(100);
  instance.agent.destroy();
  running.delete(instance);
}

/** Graceful stop (SIGTERM), then SIGKILL to the group after 10 s. */
export async function stopInstance(instance: Instance): Promise<void> {
  if (!running.has(instance)) return;
  instance.expectedExit = true;
  if (!instance.exit) {
    instance.child.kill('SIGTERM');
    await Promise.race([instance.exited, sleep(10_000)]);
  }
  await killInstance(instance);
}

export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((i) => stopInstance(i).catch(() => {})));
}

/** Synchronous last resort for `process.on('exit')`. */
export function killAllNow(): void {
  for (const i of running) signalGroup(i.pid, 'SIGKILL');
}

export function removeTempDirs(): void {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // Already gone.
  }
}

/** Pids whose process group is `pgid` (the instance's server and engine). */
function groupPids(pgid: number): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // fields[0] is the state, [2] the process group; zombies hold no memory.
      if (Number(fields[2]) === pgid && fields[0] !== 'Z') pids.push(Number(name));
    } catch {
      // Exited while reading.
    }
  }
  return pids;
}

/** Resident memory of the instance's process group (server + engine), bytes. */
export function groupRss(instance: Instance): number {
  let total = 0;
  for (const pid of groupPids(instance.pid)) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += Number(fields[21]) * PAGE;
    } catch {
      // Exited while reading.
    }
  }
  return total;
}

/** Samples the group's RSS every `everyMs` until stopped; returns the peak. */
export function rssSampler(instances: Instance[], everyMs = 500): { stop(): number } {
  let peak = 0;
  const sample = (): void => {
    peak = Math.max(
      peak,
      instances.reduce((s, i) => s + groupRss(i), 0),
    );
  };
  sample();
  const timer = setInterval(sample, everyMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return peak;
    },
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

const CLK_TCK = 100;

function cpuTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime + stime (+ waited-for children's, for the harness's own short-lived helpers).
    return Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
  } catch {
    return 0;
  }
}

function machineBusyTicks(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
  return (user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0);
}

/**
 * CPU used while a measurement runs, in cores: by the instances and this harness, and by everything
 * else on the machine. On a shared 2-core machine the second number says how far to trust the first.
 */
export function cpuMeter(instances: Instance[]): { stop(): { ours: number; others: number } } {
  const ours = (): number =>
    cpuTicks(process.pid) +
    instances.flatMap((i) => groupPids(i.pid)).reduce((s, pid) => s + cpuTicks(pid), 0);
  const t0 = Date.now();
  const machine0 = machineBusyTicks();
  const ours0 = ours();
  return {
    stop() {
      const seconds = Math.max(0.001, (Date.now() - t0) / 1000);
      const mine = Math.max(0, ours() - ours0) / CLK_TCK / seconds;
      const all = Math.max(0, machineBusyTicks() - machine0) / CLK_TCK / seconds;
      return { ours: mine, others: Math.max(0, all - mine) };
    },
  };
}
