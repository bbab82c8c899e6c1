import assert from 'node:assert/strict';
import { test } from 'node:test';
import { budgetsFor, paramsFromFileBytes, paramsFromName } from './thinking-budgets.ts';

test('model sizes from names: GGUF files, Ollama tags, none', () => {
  assert.equal(paramsFromName('DeepSeek-R1-Distill-Qwen-1.5B-Q4_K_M.gguf'), 1.5);
  assert.equal(paramsFromName('deepseek-r1:7b'), 7);
  assert.equal(paramsFromName('Qwen2.5-0.5b-instruct'), 0.5);
  assert.equal(paramsFromName('DeepSeek-R1-Distill-Llama-70B'), 70);
  assert.equal(paramsFromName('tiny'), undefined);
  assert.equal(paramsFromName('bf16-model'), undefined);
  assert.ok(Math.abs(paramsFromFileBytes(1.1e9) - 1.83) < 0.01);
});

test('smaller models think longer per effort; configured rules come first', () => {
  const small = budgetsFor('DeepSeek-R1-Distill-Qwen-1.5B', 1.5);
  const big = budgetsFor('DeepSeek-R1-Distill-Qwen-14B', 14);
  assert.deepEqual(small, { low: 384, medium: 1024, high: 3072 });
  assert.ok(big.medium < small.medium && big.low <= small.low && big.high < small.high);
  // A 2-core CPU decodes the 1.5B model at ~27 tokens/s: Medium thinks well under a minute.
  assert.ok(small.medium / 27 < 60);
  const rules = [{ match: 'qwen', maxParamsB: 2, low: 10, medium: 20, high: 30 }];
  assert.deepEqual(budgetsFor('DeepSeek-R1-Distill-Qwen-1.5B', 1.5, rules), {
    low: 10,
    medium: 20,
    high: 30,
  });
  assert.deepEqual(budgetsFor('deepseek-r1-llama-1b', 1, rules), small, 'no match: the built-in table');
  assert.deepEqual(budgetsFor('unknown', undefined), { low: 128, medium: 256, high: 768 }, 'unknown size');
});
