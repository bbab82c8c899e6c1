import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { builtinTools, currentTimeTool } from './builtin-tools.ts';
import { runToolContract } from './tool-contract.ts';
import { defineTool, ToolRegistry } from './tool-registry.ts';

for (const tool of builtinTools()) {
  if (tool.definition.name === 'current_time')
    runToolContract(tool, { valid: { timezone: 'Europe/Paris' }, invalid: { timezone: 42 } });
}

const ctx = () => ({ userId: 'u1', signal: AbortSignal.timeout(10_000) });

test('current_time: the zone’s local time and UTC; an unknown zone is an input error the model reads', async () => {
  const fixed = new Date('2026-12-06T23:05:00Z');
  const registry = new ToolRegistry([currentTimeTool(() => fixed)]);
  const paris = await registry.execute(
    { id: 'a', name: 'current_time', arguments: '{"timezone":"Europe/Paris"}' },
    ctx(),
  );
  const value = JSON.parse(paris.content) as { utc: string; local: string; timezone: string };
  assert.equal(value.utc, '2026-12-06T23:05:00.000Z');
  assert.match(value.local, /Monday, 7 December 2026 at 00:05:00/);
  const utc = await registry.execute({ id: 'b', name: 'current_time', arguments: '' }, ctx());
  assert.equal((JSON.parse(utc.content) as { timezone: string }).timezone, 'UTC');
  const bad = await registry.execute(
    { id: 'c', name: 'current_time', arguments: '{"timezone":"Mars/Olympus"}' },
    ctx(),
  );
  assert.equal(bad.isError, true);
  assert.match(bad.content, /unknown time zone "Mars\/Olympus"/);
});

test('the registry turns every failure into an error result: unknown tool, bad JSON, a throw, a timeout', async () => {
  const slow = defineTool({
    name: 'slow',
    title: 'Slow',
    description: 'Never answers in time',
    readOnly: true,
    input: z.object({}),
    run: () => new Promise<string>(() => {}),
  });
  const broken = defineTool({
    name: 'broken',
    title: 'Broken',
    description: 'Throws with internals in the message',
    readOnly: true,
    input: z.object({}),
    run: async () => {
      throw new Error('connect ECONNREFUSED 10.0.0.7:5432');
    },
  });
  const registry = new ToolRegistry([slow, broken], { timeoutMs: 50 });
  const unknown = await registry.execute({ id: '1', name: 'nope', arguments: '{}' }, ctx());
  assert.deepEqual([unknown.isError, unknown.content], [true, 'error: there is no tool named "nope"']);
  const json = await registry.execute({ id: '2', name: 'broken', arguments: '{"a":' }, ctx());
  assert.match(json.content, /not valid JSON/);
  const thrown = await registry.execute({ id: '3', name: 'broken', arguments: '{}' }, ctx());
  assert.equal(thrown.content, 'error: the tool failed', 'no internals reach the model or the page');
  const late = await registry.execute({ id: '4', name: 'slow', arguments: '{}' }, ctx());
  assert.match(late.content, /did not answer within 0.05 s/);
});

test('results are capped; names are unique; definitions come in the order asked', async () => {
  const big = defineTool({
    name: 'big',
    title: 'Big',
    description: 'A long output',
    readOnly: true,
    input: z.object({}),
    run: async () => 'x'.repeat(500),
  });
  const registry = new ToolRegistry([big, currentTimeTool()], { maxOutputChars: 100 });
  const out = await registry.execute({ id: '1', name: 'big', arguments: '{}' }, ctx());
  assert.equal(out.content.startsWith('x'.repeat(100)), true);
  assert.match(out.content, /cut: 400 more characters/);
  assert.throws(() => registry.register(big), /registered twice/);
  assert.deepEqual(
    registry.definitions(['current_time', 'big']).map((d) => d.name),
    ['current_time', 'big'],
  );
  assert.throws(() => registry.definitions(['missing']), /unknown tool "missing"/);
});
