import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig } from './load.ts';
import { configSchema } from './schema.ts';

const provider = { id: 'corp', name: 'Corp', issuer: 'https://login.example.com', clientId: 'ponder' };

test('oidc config: defaults, checks, and the break-glass variable', () => {
  const none = configSchema.parse({});
  assert.deepEqual(none.oidc, { providers: [], localPasswords: true });
  const one = configSchema.parse({ oidc: { providers: [provider] } });
  assert.equal(one.oidc.providers[0]?.createAccounts, true);
  assert.deepEqual(one.oidc.providers[0]?.allowedEmailDomains, []);
  assert.throws(() => configSchema.parse({ oidc: { localPasswords: false } }), /at least one OIDC provider/);
  assert.throws(() => configSchema.parse({ oidc: { providers: [provider, { ...provider }] } }), /used twice/);
  assert.throws(() => configSchema.parse({ oidc: { providers: [{ ...provider, issuer: 'ftp://x' }] } }));
  assert.throws(() => configSchema.parse({ oidc: { providers: [{ ...provider, surprise: 1 }] } }));
  // Break-glass: the variable turns passwords back on over the config file.
  const dir = mkdtempSync(join(tmpdir(), 'ponder-oidc-config-'));
  try {
    writeFileSync(
      join(dir, 'ponder.config.json'),
      JSON.stringify({ oidc: { providers: [provider], localPasswords: false } }),
    );
    assert.equal(loadConfig({ cwd: dir, env: {} }).oidc.localPasswords, false);
    const glass = loadConfig({ cwd: dir, env: { PONDER_OIDC_LOCAL_PASSWORDS: 'true' } });
    assert.equal(glass.oidc.localPasswords, true);
    assert.equal(glass.oidc.providers.length, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
