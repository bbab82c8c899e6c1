/**
 * The contract every Ponder tool passes, run by each tool's test file (and later by every web search,
 * page-reading and MCP tool): `runToolContract(tool, { valid, invalid })`.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { toGrammarSchema } from '../../inference/llama/grammar-schema.ts';
import { type PonderTool, ToolRegistry } from './tool-registry.ts';

export interface ToolExamples {
  /** Arguments the tool must accept. */
  valid: Record<string, unknown>;
  /** Arguments its schema must refuse. */
  invalid: Record<string, unknown>;
}

export function runToolContract(tool: PonderTool, examples: ToolExamples): void {
  const name = tool.definition.name;
  describe(`tool contract: ${name}`, () => {
    const registry = new ToolRegistry([tool], { timeoutMs: 10_000 });
    const ctx = () => ({ userId: 'u1', signal: AbortSignal.timeout(15_000) });

    test('its definition is one a model can be given: name, description, a compilable object schema', () => {
      assert.match(name, /^[A-Za-z0-9_-]{1,64}$/);
      assert.ok((tool.definition.description ?? '').length > 10, 'a description the model can go by');
      assert.ok(tool.title.length > 0);
      const schema = tool.definition.parameters as { type?: string };
      assert.equal(schema?.type, 'object');
      toGrammarSchema(schema, name);
    });

    test('valid arguments give a non-empty result', async () => {
      const out = await registry.execute(
        { id: 'c1', name, arguments: JSON.stringify(examples.valid) },
        ctx(),
      );
      assert.equal(out.isError, false, out.content);
      assert.ok(out.content.length > 0);
      assert.ok(out.ms >= 0);
    });

    test('arguments outside the schema are an error result that says why, not a throw', async () => {
      const out = await registry.execute(
        { id: 'c2', name, arguments: JSON.stringify(examples.invalid) },
        ctx(),
      );
      assert.equal(out.isError, true);
      assert.match(out.content, /invalid arguments/);
    });

    test('a stopped turn ends the call at once', async () => {
      const stopped = AbortSignal.abort();
      const out = await registry.execute(
        { id: 'c3', name, arguments: JSON.stringify(examples.valid) },
        { userId: 'u1', signal: stopped },
      );
      assert.equal(out.isError, true);
    });
  });
}
