import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { startTestServer } from '../src/server/testing.ts';

describe('static web app', () => {
  test('serves index.html for client routes, caches hashed assets, keeps API 404s as JSON', async () => {
    const webDir = await mkdtemp(join(tmpdir(), 'ponder-web-'));
    await mkdir(join(webDir, 'assets'));
    await writeFile(join(webDir, 'index.html'), '<!doctype html><div id="root"></div>');
    await writeFile(join(webDir, 'assets', 'app-abc123.js'), 'console.log(1)');
    const s = await startTestServer({ deps: { webDir } });
    try {
      let res = await s.request('/');
      assert.equal(res.status, 200);
      assert.match(await res.text(), /id="root"/);
      assert.match(res.headers.get('cache-control') ?? '', /no-cache/);

      res = await s.request('/c/Zz9Zz9Zz9Zz9Zz9Zz9Zz9A');
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /text\/html/);
      assert.match(await res.text(), /id="root"/);
      assert.ok(res.headers.get('content-security-policy'));

      res = await s.request('/assets/app-abc123.js');
      assert.equal(res.status, 200);
      assert.match(res.headers.get('cache-control') ?? '', /max-age=31536000.*immutable/);

      res = await s.request('/assets/missing-123.js');
      assert.equal(res.status, 404);
      await res.arrayBuffer();
      res = await s.request('/api/unknown');
      assert.equal(res.status, 404);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'not_found');
      res = await s.request('/v1/unknown-thing');
      assert.equal(res.status, 404);
      await res.arrayBuffer();
    } finally {
      await s.close();
      await rm(webDir, { recursive: true, force: true });
    }
  });

  test('without a build, / says to run npm run build', async () => {
    const s = await startTestServer({ deps: { webDir: join(tmpdir(), 'ponder-no-such-web-dir') } });
    try {
      const res = await s.request('/');
      assert.equal(res.status, 200);
      assert.match(await res.text(), /npm run build/);
    } finally {
      await s.close();
    }
  });
});
