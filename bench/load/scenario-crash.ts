/**
 * (e) Crash: overload one SQLite instance, SIGKILL its process group mid-load, check the database file
 * with `PRAGMA integrity_check` (read-only, process down), restart on the same data and look up every
 * user message whose `meta` event arrived (acknowledged) through the API.
 */
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { chatTurn } from './chat.ts';
import { closedLoop } from './drivers.ts';
import { http } from './http.ts';
import { type Instance, killInstance, sleep, startInstance, stopInstance } from './instances.ts';
import type { LoadOptions } from './options.ts';
import { targetsFor } from './scenario-overload.ts';
import { countBy, type Row, verdict } from './stats.ts';
import type { BenchUser } from './users.ts';

function integrityCheck(file: string): string {
  try {
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      const rows = db.pragma('integrity_check') as Array<{ integrity_check: string }>;
      return rows.map((r) => r.integrity_check).join('; ');
    } finally {
      db.close();
    }
  } catch (err) {
    return `cannot check: ${(err as Error).message}`;
  }
}

export async function crash(instance: Instance, users: BenchUser[], opts: LoadOptions): Promise<Row[]> {
  const clients = opts.overloadFactor * opts.slots;
  const stop = new AbortController();
  process.stderr.write(`  ${clients} streams, SIGKILL after ${opts.crashAfterSeconds} s…\n`);
  const loop = closedLoop(targetsFor([instance], users, clients), {
    durationMs: opts.crashAfterSeconds * 1000 + 30_000,
    turnTimeoutMs: opts.turnTimeoutMs,
    maxBackoffMs: opts.maxBackoffMs,
    signal: stop.signal,
  });
  await sleep(opts.crashAfterSeconds * 1000);
  const killedAt = performance.now();
  await killInstance(instance);
  // Let the clients see the cut streams before ending the loop.
  await sleep(300);
  stop.abort();
  const run = await loop;
  const acked = run.turns.filter((t) => t.ack);
  const completeBefore = run.turns.filter((t) => t.outcome === 'admitted' && t.endAt < killedAt).length;
  const integrity = integrityCheck(`${instance.dir}/ponder.db`);

  process.stderr.write(`  restarting on the same data; checking ${acked.length} acknowledged messages…\n`);
  const restarted = await startInstance({
    ...instance.spec,
    name: `${instance.spec.name}-restart`,
    dir: instance.dir,
  });
  let missing = 0;
  let completedLost = 0;
  const statuses: string[] = [];
  try {
    for (const t of acked) {
      if (!t.ack) continue;
      const res = await http(`${restarted.url}/api/conversations/${t.ack.conversationId}`, {
        headers: { cookie: t.user.cookie },
        agent: restarted.agent,
      });
      if (res.status !== 200) {
        missing++;
        continue;
      }
      const conv = JSON.parse(res.body) as {
        messages: Array<{ id: string; role: string; parentId: string | null; status: string }>;
      };
      const userMessageId = t.ack.userMessageId;
      if (!conv.messages.some((m) => m.id === userMessageId)) missing++;
      // An answer the client saw finish (`done`) must come back complete.
      const answer = conv.messages.find((m) => m.id === t.ack?.assistantMessageId);
      if (t.outcome === 'admitted' && answer?.status !== 'complete') completedLost++;
      for (const m of conv.messages)
        if (m.parentId === userMessageId && m.role === 'assistant') statuses.push(m.status);
    }
    const after = await chatTurn(restarted, users[0]!, { timeoutMs: opts.turnTimeoutMs });
    return [
      ['turns answered before the kill', '', String(completeBefore), ''],
      ['acknowledged user messages (meta seen)', '', String(acked.length), ''],
      [
        'acknowledged messages missing after restart',
        '0',
        String(missing),
        verdict(missing === 0 && acked.length > 0),
      ],
      ['their answers after restart (status)', '', countBy(statuses, (s) => s), ''],
      [
        'answers seen complete before the kill, not complete after',
        '0',
        String(completedLost),
        verdict(completedLost === 0),
      ],
      ['PRAGMA integrity_check (read-only, process down)', 'ok', integrity, verdict(integrity === 'ok')],
      [
        'a new turn after restart',
        'admitted',
        after.outcome === 'admitted' ? 'admitted' : `${after.outcome} ${after.status} ${after.error ?? ''}`,
        verdict(after.outcome === 'admitted'),
      ],
    ];
  } finally {
    await stopInstance(restarted);
  }
}
