/**
 * No chat text at rest or in logs: plants a canary in a message, a title and a search, runs a generation,
 * then looks for it in the captured server logs, the SQLite file and its WAL, and a pg_dump.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ConversationDetail } from '../src/api/conversations.ts';
import { assertAbsent, assertAbsentFromPgDump } from './canary-helpers.ts';
import { type ChatTestServer, collectSse, startChatServer, THINK } from './conversations-helpers.ts';

async function plant(server: ChatTestServer): Promise<{ messageCanary: string; titleCanary: string }> {
  const messageCanary = `msgcanary${randomBytes(6).toString('hex')}`;
  const titleCanary = `titlecanary${randomBytes(6).toString('hex')}`;
  const { cookie } = await server.signup();
  const created = await server.request('/api/conversations', {
    method: 'POST',
    cookie,
    json: { title: `${titleCanary} first` },
  });
  const { id } = (await created.json()) as { id: string };
  const events = await collectSse(
    await server.request(`/api/conversations/${id}/messages`, {
      method: 'POST',
      cookie,
      json: { content: `Please remember ${messageCanary} for me.`, thinking: THINK },
    }),
  );
  assert.equal(events.at(-1)?.event, 'done');
  const renamed = await server.request(`/api/conversations/${id}`, {
    method: 'PATCH',
    cookie,
    json: { title: `${titleCanary} renamed` },
  });
  assert.equal(renamed.status, 200);
  // A second conversation gets an automatic title from the canary message.
  const auto = await server.request('/api/conversations', { method: 'POST', cookie, json: {} });
  const autoId = ((await auto.json()) as { id: string }).id;
  await collectSse(
    await server.request(`/api/conversations/${autoId}/messages`, {
      method: 'POST',
      cookie,
      json: { content: `${messageCanary} as a title`, thinking: THINK },
    }),
  );
  const search = await server.request(`/api/conversations/search?q=${messageCanary}`, { cookie });
  assert.equal(((await search.json()) as { results: unknown[] }).results.length, 2);
  await server.request(`/api/conversations/${id}/export?format=markdown`, { cookie });
  // The text is stored and readable by its owner…
  const detail = (await (
    await server.request(`/api/conversations/${id}`, { cookie })
  ).json()) as ConversationDetail;
  assert.ok(detail.title.includes(titleCanary));
  assert.ok(detail.messages.some((m) => m.content.includes(messageCanary)));
  return { messageCanary, titleCanary };
}

test('SQLite: no message or title text in the logs, the database file or its WAL', async () => {
  const server = await startChatServer('sqlite', { maxTokens: 32, logLevel: 'debug' });
  try {
    const { messageCanary, titleCanary } = await plant(server);
    const canaries = [messageCanary, titleCanary];
    assert.ok(server.logs.length > 0);
    assertAbsent(server.logs.join('\n'), canaries, 'server logs');
    const dbPath = join(server.config.dataDir, 'ponder.db');
    assertAbsent(await readFile(dbPath), canaries, 'ponder.db');
    const wal = await readFile(`${dbPath}-wal`).catch(() => Buffer.alloc(0));
    assertAbsent(wal, canaries, 'ponder.db-wal');
  } finally {
    await server.close();
  }
});

test('PostgreSQL: no message or title text in the logs or a pg_dump', async () => {
  const server = await startChatServer('postgres', { maxTokens: 32, logLevel: 'debug' });
  try {
    const { messageCanary, titleCanary } = await plant(server);
    const canaries = [messageCanary, titleCanary];
    assertAbsent(server.logs.join('\n'), canaries, 'server logs');
    assertAbsentFromPgDump(server.config.databaseUrl, canaries);
  } finally {
    await server.close();
  }
});
