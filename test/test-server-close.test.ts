/**
 * The test harness closes its server as `ponder serve` shuts down: the app's shutdown hooks run (they
 * stop the children services start), once, bounded by their grace period, and closing twice is harmless.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ShutdownHooks } from '../src/server/shutdown.ts';
import { startTestServer } from '../src/server/testing.ts';

test('close runs the shutdown hooks once, with a deadline, even when closed twice', async () => {
  const hooks = new ShutdownHooks();
  const runs: string[] = [];
  hooks.add('records', () => {
    runs.push('records');
  });
  // A hook that waits for its deadline: close must not wait longer than the grace period for it.
  hooks.add('waits', ({ deadline }) => {
    runs.push('waits');
    return new Promise<void>((resolve) =>
      deadline.addEventListener('abort', () => resolve(), { once: true }),
    );
  });
  const server = await startTestServer({ deps: { shutdownHooks: hooks } });
  const res = await server.request('/healthz');
  assert.equal(res.status, 200);
  await res.body?.cancel();
  assert.deepEqual(runs, []);
  await server.close();
  assert.deepEqual(runs.toSorted(), ['records', 'waits']);
  assert.equal(server.app.ponder.lifecycle.draining, true);
  await server.close();
  assert.equal(runs.length, 2, 'hooks run once');
});

test('hooks the test already ran are not run again by close', async () => {
  const hooks = new ShutdownHooks();
  let count = 0;
  hooks.add('counts', () => {
    count++;
  });
  const server = await startTestServer({ deps: { shutdownHooks: hooks } });
  await hooks.run(100);
  await server.close();
  assert.equal(count, 1);
});

test('the services the app starts register their hooks, and close runs them without failure', async () => {
  const server = await startTestServer();
  await server.close();
  assert.equal(
    server.logs.some((line) => line.includes('shutdown hooks')),
    false,
    'no hook failed or timed out',
  );
});
