/**
 * The turn pipeline's tool loop against a scripted OpenAI-compatible upstream (a real HTTP server) that
 * answers with tool calls: the test is about the loop — rounds, results fed back, bounds — not a model.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type ChatChunk, InferenceError } from '../../inference/types.ts';
import { createUpstreamProvider } from '../../inference/upstream/provider.ts';
import {
  chatStream,
  type ScriptedUpstream,
  startScriptedUpstream,
  toolCallStream,
} from '../../inference/upstream/scripted-upstream.ts';
import { InferenceGateway } from '../inference-gateway.ts';
import { PlanCatalog } from '../quotas/plans.ts';
import { MemoryCounterStore } from '../rate-limit/memory.ts';
import { currentTimeTool } from './builtin-tools.ts';
import { ToolLimits } from './tool-limits.ts';
import { ToolRegistry } from './tool-registry.ts';
import { TurnPipeline, type TurnPipelineOptions } from './turn-pipeline.ts';

/** A round that reasons, then calls current_time (DeepSeek's wire format: arguments after the name). */
const callRound = (id: string, zone: string): string[] =>
  toolCallStream({
    id,
    name: 'current_time',
    args: `{"timezone":"${zone}"}`,
    reasoning: `Check the time in ${zone}.`,
    usage: { prompt: 20, completion: 10, cached: 18 },
  });
const answerRound = (text: string): string[] =>
  chatStream({
    reasoning: ['Now I know.'],
    content: [text],
    usage: {
      prompt_tokens: 30,
      completion_tokens: 5,
      total_tokens: 35,
      prompt_tokens_details: { cached_tokens: 28 },
    },
  });

const plansConfig = {
  free: {
    reasoningMessagesPerDay: 100,
    tokensPerDay: 100_000,
    maxConcurrency: 1,
    priority: 1,
    maxThinkingBudget: 512,
  },
};
const plans = new PlanCatalog(plansConfig, 'free');
const caller = { userId: 'u1', plan: 'free' };
const question = { role: 'user' as const, content: 'What time is it in Paris?' };
let upstream: ScriptedUpstream;

before(async () => {
  upstream = await startScriptedUpstream({ models: ['r1-test'] });
});
after(async () => {
  await upstream?.close();
});

function pipeline(extra: Partial<TurnPipelineOptions> = {}): TurnPipeline {
  const provider = createUpstreamProvider({
    id: 'scripted',
    baseUrl: upstream.baseUrl,
    reasoningFormat: 'auto',
  });
  const fixed = new Date('2026-12-06T23:05:00Z');
  return new TurnPipeline({
    gateway: new InferenceGateway({ providers: [provider] }),
    plans,
    tools: new ToolRegistry([currentTimeTool(() => fixed)]),
    ...extra,
  });
}

async function collect(stream: AsyncIterable<ChatChunk>): Promise<ChatChunk[]> {
  const out: ChatChunk[] = [];
  for await (const c of stream) out.push(c);
  return out;
}

test('two tool rounds, then the answer: calls run, results go back with the reasoning, usage adds up', async () => {
  upstream.enqueue(
    { lines: callRound('call_a', 'Europe/Paris') },
    { lines: callRound('call_b', 'Asia/Tokyo') },
    { lines: answerRound('It is past midnight.') },
  );
  const p = pipeline();
  const turn = await p.prepare(
    caller,
    { model: 'r1-test', messages: [question] },
    { ponderTools: ['current_time'] },
  );
  const before = upstream.chatRequests.length;
  const chunks = await collect(p.run(turn, { signal: AbortSignal.timeout(10_000) }));
  const kinds = chunks.map((c) => c.type);
  assert.deepEqual(kinds, [
    'reasoning',
    'tool_call',
    'tool_result',
    'reasoning',
    'tool_call',
    'tool_result',
    'reasoning',
    'text',
    'usage',
    'done',
  ]);
  const first = chunks[1];
  assert.ok(first?.type === 'tool_call');
  assert.deepEqual(
    [first.id, first.name, first.arguments],
    ['call_a', 'current_time', '{"timezone":"Europe/Paris"}'],
  );
  const result = chunks[2];
  assert.ok(result?.type === 'tool_result' && !result.isError);
  assert.match(result.content, /Monday, 7 December 2026 at 00:05:00/);
  assert.deepEqual(chunks.at(-2), {
    type: 'usage',
    promptTokens: 70,
    cachedPromptTokens: 64,
    completionTokens: 25,
    // The upstream reported none: the provider counts its reasoning deltas, one per round here.
    reasoningTokens: 3,
  });
  assert.equal(chunks.at(-1)?.type === 'done' && chunks.at(-1)?.type, 'done');

  const sent = upstream.chatRequests.slice(before).map((r) => r.body as Record<string, unknown>);
  assert.equal(sent.length, 3);
  assert.deepEqual(
    ((sent[0]?.tools ?? []) as Array<{ function: { name: string } }>).map((t) => t.function.name),
    ['current_time'],
  );
  // The third request carries both rounds: each call with its reasoning, each result by id.
  const messages = sent[2]?.messages as Array<Record<string, unknown>>;
  assert.deepEqual(
    messages.map((m) => m.role),
    ['user', 'assistant', 'tool', 'assistant', 'tool'],
  );
  assert.equal(messages[1]?.reasoning_content, 'Check the time in Europe/Paris.');
  assert.equal(((messages[1]?.tool_calls ?? []) as Array<{ id: string }>)[0]?.id, 'call_a');
  assert.equal(messages[2]?.tool_call_id, 'call_a');
  assert.match(String(messages[4]?.content), /Asia\/Tokyo/);
});

test('the loop is bounded: after the last round the model must answer (tool_choice none)', async () => {
  upstream.enqueue({ lines: callRound('call_1', 'UTC') }, { lines: answerRound('Done.') });
  const p = pipeline({ maxToolRounds: 1 });
  const turn = await p.prepare(
    caller,
    { model: 'r1-test', messages: [question] },
    { ponderTools: ['current_time'] },
  );
  const before = upstream.chatRequests.length;
  const chunks = await collect(p.run(turn, { signal: AbortSignal.timeout(10_000) }));
  assert.equal(
    chunks.at(-1)?.type === 'done' && (chunks.at(-1) as { finishReason: string }).finishReason,
    'stop',
  );
  const sent = upstream.chatRequests.slice(before).map((r) => r.body as Record<string, unknown>);
  assert.equal(sent[0]?.tool_choice, undefined);
  assert.equal(sent[1]?.tool_choice, 'none');
});

test("a caller's own tools stream through as the provider sends them; nothing runs here", async () => {
  upstream.enqueue({ lines: callRound('call_c', 'UTC') });
  const p = pipeline();
  const turn = await p.prepare(caller, {
    model: 'r1-test',
    messages: [question],
    tools: [{ name: 'current_time', parameters: { type: 'object' } }],
  });
  const chunks = await collect(p.run(turn, { signal: AbortSignal.timeout(10_000) }));
  assert.ok(!chunks.some((c) => c.type === 'tool_result'));
  const calls = chunks.filter((c) => c.type === 'tool_call');
  assert.ok(calls.length >= 2, 'fragments, as streamed');
  assert.equal(
    chunks.at(-1)?.type === 'done' && (chunks.at(-1) as { finishReason: string }).finishReason,
    'tool_calls',
  );
});

test('prepare: the plan caps thinking; unknown tools and mixed tool sources are refused', async () => {
  const p = pipeline();
  const capped = await p.prepare(caller, {
    model: 'r1-test',
    messages: [question],
    thinking: { enabled: true, effort: 'high' },
  });
  assert.equal(capped.request.thinking?.budgetTokens, 512);
  const asked = await p.prepare(caller, {
    model: 'r1-test',
    messages: [question],
    thinking: { enabled: true, budgetTokens: 100 },
  });
  assert.equal(asked.request.thinking?.budgetTokens, 100);
  await assert.rejects(
    p.prepare(caller, { model: 'r1-test', messages: [question] }, { ponderTools: ['rm_rf'] }),
    (err: unknown) => err instanceof InferenceError && /unknown tool "rm_rf"/.test(err.message),
  );
  await assert.rejects(
    p.prepare(
      caller,
      { model: 'r1-test', messages: [question], tools: [{ name: 'x' }] },
      { ponderTools: ['current_time'] },
    ),
    (err: unknown) => err instanceof InferenceError && err.code === 'invalid_request',
  );
});

test('over the daily allowance a call is not run; the model reads the limit; runs are reported for the audit', async () => {
  upstream.enqueue({ lines: callRound('call_x', 'UTC') }, { lines: answerRound('Fine.') });
  const audited: Array<{ tool: string; isError: boolean }> = [];
  const limited = new PlanCatalog({ free: { ...plansConfig.free, toolCallsPerDay: 0 } }, 'free');
  const p = pipeline({
    limits: new ToolLimits({ plans: limited, counters: new MemoryCounterStore() }),
    onToolRun: (e) => audited.push({ tool: e.tool, isError: e.isError }),
  });
  const turn = await p.prepare(
    caller,
    { model: 'r1-test', messages: [question] },
    { ponderTools: ['current_time'] },
  );
  const chunks = await collect(p.run(turn, { signal: AbortSignal.timeout(10_000) }));
  const result = chunks.find((c) => c.type === 'tool_result');
  assert.ok(result?.type === 'tool_result' && result.isError);
  assert.match(result.content, /daily limit of 0 tool calls/);
  assert.deepEqual(audited, [{ tool: 'current_time', isError: true }]);
});
