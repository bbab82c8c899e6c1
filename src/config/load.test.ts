import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig } from './load.ts';

function dirWithConfig(content?: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'ponder-config-'));
  if (content !== undefined) {
    writeFileSync(
      join(dir, 'ponder.config.json'),
      typeof content === 'string' ? content : JSON.stringify(content),
    );
  }
  return dir;
}

describe('loadConfig', () => {
  test('defaults: ./data, 127.0.0.1:3000, 4 slots', () => {
    const config = loadConfig({ cwd: dirWithConfig(), env: {} });
    assert.equal(config.dataDir, './data');
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.port, 3000);
    assert.equal(config.engine.slots, 4);
    assert.equal(config.signupMode, 'open');
    assert.ok(config.plans.free);
  });

  test('file < env < flags', () => {
    const cwd = dirWithConfig({ port: 4000, host: '0.0.0.0', engine: { slots: 2 } });
    const fromFile = loadConfig({ cwd, env: {} });
    assert.equal(fromFile.port, 4000);
    assert.equal(fromFile.engine.slots, 2);

    const fromEnv = loadConfig({ cwd, env: { PONDER_PORT: '5000', PONDER_ENGINE_SLOTS: '8' } });
    assert.equal(fromEnv.port, 5000);
    assert.equal(fromEnv.host, '0.0.0.0');
    assert.equal(fromEnv.engine.slots, 8);

    const fromFlags = loadConfig({
      cwd,
      env: { PONDER_PORT: '5000' },
      flags: { port: 6000, host: undefined },
    });
    assert.equal(fromFlags.port, 6000);
    assert.equal(fromFlags.host, '0.0.0.0');
  });

  test('an unknown key in the file fails and names the key', () => {
    const cwd = dirWithConfig({ prot: 1 });
    assert.throws(
      () => loadConfig({ cwd, env: {} }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.match(err.message, /unknown config key "prot"/);
        return true;
      },
    );
  });

  test('an unknown nested key names its full path', () => {
    const cwd = dirWithConfig({ engine: { slot: 3 } });
    assert.throws(() => loadConfig({ cwd, env: {} }), /"engine\.slot"/);
  });

  test('a bad value names the key', () => {
    const cwd = dirWithConfig({ port: 'eighty' });
    assert.throws(() => loadConfig({ cwd, env: {} }), /config key "port"/);
    assert.throws(() => loadConfig({ cwd: dirWithConfig(), env: { PONDER_PORT: 'x' } }), /PONDER_PORT/);
    assert.throws(
      () => loadConfig({ cwd: dirWithConfig(), env: { PONDER_PORT: '70000' } }),
      /config key "port"/,
    );
    assert.throws(
      () => loadConfig({ cwd: dirWithConfig(), env: { PONDER_DATABASE_URL: 'mysql://x' } }),
      /"databaseUrl"/,
    );
  });

  test('an unknown PONDER_ variable fails and names it; test variables are ignored', () => {
    assert.throws(() => loadConfig({ cwd: dirWithConfig(), env: { PONDER_PROT: '1' } }), /PONDER_PROT/);
    const config = loadConfig({
      cwd: dirWithConfig(),
      env: { PONDER_TEST_PG_URL: 'postgres://x', PONDER_BENCH_FOO: '1' },
    });
    assert.equal(config.port, 3000);
  });

  test('admission and sign-up PoW knobs: defaults, file and env', () => {
    const defaults = loadConfig({ cwd: dirWithConfig(), env: {} });
    assert.deepEqual(defaults.admission, {
      maxQueued: 256,
      maxQueuedPerUser: 4,
      maxWaitMs: 120_000,
      fairShareWindowMs: 30_000,
    });
    assert.equal(defaults.signupPow.onRate, 20);
    assert.equal(defaults.signupPow.difficultyBits, 16);
    const config = loadConfig({
      cwd: dirWithConfig({ admission: { maxQueued: 10 }, signupPow: { onRate: 5 } }),
      env: {
        PONDER_ADMISSION_MAX_QUEUED_PER_USER: '0',
        PONDER_ADMISSION_MAX_WAIT_MS: '5000',
        PONDER_ADMISSION_FAIR_SHARE_WINDOW_MS: '0',
        PONDER_SIGNUP_POW_DIFFICULTY: '12',
        PONDER_SIGNUP_POW_OFF_RATE: '2',
      },
    });
    assert.deepEqual(config.admission, {
      maxQueued: 10,
      maxQueuedPerUser: 0,
      maxWaitMs: 5000,
      fairShareWindowMs: 0,
    });
    assert.deepEqual(config.signupPow, { onRate: 5, offRate: 2, difficultyBits: 12 });
    assert.equal(defaults.redisKeyPrefix, 'ponder:');
    assert.equal(defaults.metricsToken, undefined);
    assert.throws(
      () => loadConfig({ cwd: dirWithConfig(), env: { PONDER_METRICS_TOKEN: 'short' } }),
      /metricsToken/,
    );
    assert.equal(
      loadConfig({ cwd: dirWithConfig(), env: { PONDER_REDIS_KEY_PREFIX: 'eu1:' } }).redisKeyPrefix,
      'eu1:',
    );
    assert.throws(
      () => loadConfig({ cwd: dirWithConfig(), env: { PONDER_SIGNUP_POW_DIFFICULTY: '99' } }),
      /signupPow\.difficultyBits/,
    );
    const hardened = loadConfig({
      cwd: dirWithConfig(),
      env: {
        PONDER_FETCH_ALLOW_PRIVATE_HOSTS: 'mirror.internal, 10.1.0.0/16',
        PONDER_UPSTREAM_MAX_EVENT_BYTES: '65536',
      },
    });
    assert.deepEqual(hardened.fetch.allowPrivateHosts, ['mirror.internal', '10.1.0.0/16']);
    assert.equal(hardened.upstreamMaxEventBytes, 65536);
  });

  test('search: file < env; SearXNG needs a baseUrl, Brave and Tavily a key; off by default', () => {
    assert.equal(loadConfig({ cwd: dirWithConfig(), env: {} }).search, undefined);
    const cwd = dirWithConfig({ search: { provider: 'searxng', baseUrl: 'http://search.lan:8888' } });
    const searx = loadConfig({ cwd, env: {} }).search;
    assert.deepEqual(searx, {
      provider: 'searxng',
      baseUrl: 'http://search.lan:8888',
      maxResults: 5,
      timeoutMs: 10_000,
    });
    const brave = loadConfig({
      cwd,
      env: {
        PONDER_SEARCH_PROVIDER: 'brave',
        PONDER_SEARCH_URL: 'https://api.search.brave.com',
        PONDER_SEARCH_API_KEY: 'BSA-secret',
        PONDER_SEARCH_MAX_RESULTS: '3',
      },
    }).search;
    assert.equal(brave?.provider, 'brave');
    assert.equal(brave?.apiKey, 'BSA-secret');
    assert.equal(brave?.maxResults, 3);
    assert.throws(
      () => loadConfig({ cwd: dirWithConfig(), env: { PONDER_SEARCH_PROVIDER: 'searxng' } }),
      /search\.baseUrl.*SearXNG needs its baseUrl/,
    );
    assert.throws(
      () => loadConfig({ cwd: dirWithConfig(), env: { PONDER_SEARCH_PROVIDER: 'tavily' } }),
      /search\.apiKey.*tavily needs an apiKey/,
    );
    assert.throws(
      () => loadConfig({ cwd: dirWithConfig({ search: { provider: 'bing', apiKey: 'k' } }), env: {} }),
      /search\.provider/,
    );
  });

  test('invalid JSON in the file is a clear error', () => {
    assert.throws(() => loadConfig({ cwd: dirWithConfig('{ port: '), env: {} }), /not valid JSON/);
  });

  test('an explicit missing config file is an error, the default one is optional', () => {
    assert.throws(
      () => loadConfig({ cwd: dirWithConfig(), env: {}, configFile: 'nope.json' }),
      /cannot read config file/,
    );
  });

  test('upstreams from PONDER_UPSTREAMS JSON are validated', () => {
    const config = loadConfig({
      cwd: dirWithConfig(),
      env: { PONDER_UPSTREAMS: JSON.stringify([{ id: 'vllm', baseUrl: 'http://127.0.0.1:8000/v1' }]) },
    });
    assert.equal(config.upstreams[0]?.reasoningFormat, 'auto');
    assert.throws(
      () =>
        loadConfig({
          cwd: dirWithConfig(),
          env: { PONDER_UPSTREAMS: JSON.stringify([{ id: 'x', baseUrl: 'ftp://a' }]) },
        }),
      /upstreams\.0\.baseUrl/,
    );
  });
});
