import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { authenticateApiKey } from '../src/core/accounts/index.ts';
import { openStore } from '../src/store/index.ts';

const BIN = resolve(import.meta.dirname, '../bin/ponder.js');

function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PONDER_')) env[k] = v;
  return env;
}

function ponder(
  args: string[],
  cwd: string,
  stdin?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: cleanEnv(), stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.end(stdin ?? '');
  });
}

describe('ponder user / key / serve', () => {
  let dir: string;
  let dataDir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ponder-cli-'));
    dataDir = join(dir, 'data');
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('user create --password-stdin, user list, key create prints a working pk- key, key revoke', async () => {
    let r = await ponder(
      ['user', 'create', '--email', 'Cli@Example.com', '--password-stdin', '--admin', '--data-dir', dataDir],
      dir,
      'a long cli passphrase\n',
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /created cli@example\.com .*admin/);

    r = await ponder(['user', 'list', '--data-dir', dataDir], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /cli@example\.com/);

    r = await ponder(
      ['key', 'create', '--user', 'cli@example.com', '--name', 'ci', '--data-dir', dataDir],
      dir,
    );
    assert.equal(r.code, 0, r.stderr);
    const key = r.stdout.trim();
    assert.match(key, /^pk-[A-Za-z0-9_-]{43}$/);

    {
      await using store = await openStore({ dataDir });
      const principal = await authenticateApiKey(store, key);
      assert.equal(principal?.user.email, 'cli@example.com');
    }

    r = await ponder(['key', 'list', '--user', 'cli@example.com', '--json', '--data-dir', dataDir], dir);
    const keys = JSON.parse(r.stdout) as Array<{ id: string; prefix: string }>;
    assert.equal(keys.length, 1);
    assert.ok(!r.stdout.includes(key));
    r = await ponder(['key', 'revoke', keys[0]?.id as string, '--data-dir', dataDir], dir);
    assert.equal(r.code, 0, r.stderr);
    {
      await using store = await openStore({ dataDir });
      assert.equal(await authenticateApiKey(store, key), null);
    }

    r = await ponder(['user', 'invite', '--data-dir', dataDir], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout.trim(), /^[A-Za-z0-9_-]{43}$/);

    r = await ponder(['user', 'delete', '--email', 'nobody@example.com', '--data-dir', dataDir], dir);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /no user/);
  });

  test('serve answers /healthz and /readyz (503 without a model) and exits 0 on SIGTERM', async () => {
    const child: ChildProcess = spawn(
      process.execPath,
      [BIN, 'serve', '--port', '0', '--data-dir', dataDir, '--no-pull'],
      { cwd: dir, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    try {
      const baseUrl = await new Promise<string>((done, fail) => {
        let err = '';
        const timer = setTimeout(() => fail(new Error(`serve did not start: ${err}`)), 90_000);
        child.stderr?.on('data', (d: Buffer) => {
          err += d.toString();
          const m = /listening on (http:\/\/\S+)/.exec(err);
          if (m?.[1]) {
            clearTimeout(timer);
            done(m[1]);
          }
        });
      });
      child.stdout?.resume();
      const health = await fetch(`${baseUrl}/healthz`);
      assert.equal(health.status, 200);
      assert.deepEqual(await health.json(), { ok: true });
      const ready = await fetch(`${baseUrl}/readyz`);
      assert.equal(ready.status, 503);
      const body = (await ready.json()) as { ready: boolean; model: { state: string; detail: string } };
      assert.equal(body.ready, false);
      assert.equal(body.model.state, 'missing');
      assert.match(body.model.detail, /--model/);
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
