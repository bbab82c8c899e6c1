/**
 * `ponder serve` on a first start without network: the default model download fails (HF_ENDPOINT points
 * at a closed local port, so this holds online too), and what the terminal shows depends on the log format.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { plainText, runInTerminal, terminalAvailable } from './terminal-testing.ts';

const BIN = resolve(import.meta.dirname, '../../bin/ponder.js');
const FAILED = /default model download failed/;

/** A local port nothing listens on: connecting to it is refused at once, like an unreachable hub. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const address = server.address();
  await new Promise<void>((ok) => server.close(() => ok()));
  return typeof address === 'object' && address ? address.port : 9;
}

async function offlineEnv(): Promise<Record<string, string>> {
  return { HF_ENDPOINT: `http://127.0.0.1:${await closedPort()}` };
}

/** `ponder serve` with piped output until `until` shows in stdout+stderr, then SIGTERM. */
async function servePiped(
  args: string[],
  env: Record<string, string>,
  until: RegExp,
  whileUp?: (url: string) => Promise<void>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PONDER_')));
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', ...args], {
    env: { ...clean, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let stopping = false;
  const deadline = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const check = () => {
    const url = /listening on (http:\/\/\S+)/.exec(stderr)?.[1];
    if (stopping || !url || !until.test(stdout + stderr)) return;
    stopping = true;
    void (whileUp ? whileUp(url) : Promise.resolve()).finally(() => child.kill('SIGTERM'));
  };
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
    check();
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    check();
  });
  const code = await new Promise<number | null>((ok) => child.on('close', ok));
  clearTimeout(deadline);
  return { code, stdout, stderr };
}

describe('ponder serve, first start offline', () => {
  test('human lines: what failed, the ways on with exact commands and the real models folder', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ponder-serve-'));
    const result = await servePiped(
      ['--data-dir', dataDir, '--log-format', 'human'],
      await offlineEnv(),
      FAILED,
      async (url) => {
        // Page loads and probes: their request lines are at debug, not on the terminal.
        for (const path of ['/', '/healthz', '/readyz', '/api/models']) await fetch(`${url}${path}`);
      },
    );
    assert.equal(result.code, 0, result.stderr);
    const out = result.stdout;
    assert.doesNotMatch(out, /"level":/, 'no JSON lines');
    assert.match(out, /WARN +default model download failed/);
    assert.match(out, /No model: cannot reach 127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
    assert.ok(
      out.includes(
        `ponder pull hf:bartowski/DeepSeek-R1-Distill-Qwen-1.5B-GGUF:Q4_K_M --data-dir ${dataDir}`,
      ),
      out,
    );
    assert.ok(out.includes(`ponder serve --data-dir ${dataDir} --model /path/to/model.gguf`), out);
    assert.ok(out.includes(`copy it into ${join(dataDir, 'models')}/`), out);
    assert.match(out, /PONDER_UPSTREAMS='\[.*\]' ponder serve/);
    assert.doesNotMatch(out, /\brequest\b.*status=/, 'no per-request lines at info');
    assert.match(out, /INFO +stopped/);
  });

  test('piped output without a flag stays JSON, with the same hint as a field', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ponder-serve-'));
    const result = await servePiped(['--data-dir', dataDir], await offlineEnv(), FAILED);
    assert.equal(result.code, 0, result.stderr);
    const records = result.stdout
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as { msg?: string; code?: string; hint?: string });
    const failed = records.find((r) => r.msg === 'default model download failed');
    assert.equal(failed?.code, 'offline');
    assert.match(failed?.hint ?? '', /ponder pull hf:/);
  });

  test('a bad --log-format is one clear line', async () => {
    const result = await servePiped(['--log-format', 'pretty'], {}, /never/);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--log-format must be auto, json or human, got "pretty"/);
  });

  const onTerminal = terminalAvailable() ? test : test.skip;
  onTerminal('on a terminal, auto is human; PONDER_LOG_FORMAT=json keeps JSON', async () => {
    for (const format of ['auto', 'json']) {
      const dataDir = mkdtempSync(join(tmpdir(), 'ponder-serve-'));
      const env = { ...(await offlineEnv()), ...(format === 'json' ? { PONDER_LOG_FORMAT: 'json' } : {}) };
      const run = runInTerminal(['serve', '--port', '0', '--data-dir', dataDir], env);
      try {
        const shown = plainText(await run.waitFor(format === 'auto' ? /PONDER_UPSTREAMS=/ : FAILED));
        if (format === 'auto') {
          assert.match(shown, /WARN +default model download failed/);
          assert.match(shown, /ponder pull hf:/);
          assert.doesNotMatch(shown, /"level":/);
        } else {
          assert.match(shown, /"msg":"default model download failed"/);
        }
        run.type('\x03'); // Ctrl-C: SIGINT, a graceful stop
        assert.equal(await run.exited, 0, run.output());
      } finally {
        run.kill();
      }
    }
  });
});
