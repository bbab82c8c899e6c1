/**
 * `ponder chat`: talk to an embedded model in the terminal. Interactive (multi-turn) by default, one
 * answer with `--prompt`, NDJSON ChatChunks with `--json`.
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import { createEmbeddedProvider, type EmbeddedProvider } from '../inference/llama/index.ts';
import { ModelFileError, modelsDirOf, resolveModel } from '../inference/llama/model-files.ts';
import { DEFAULT_MODEL_NAME } from '../inference/llama/pull.ts';
import { type ChatMessage, InferenceError, type ThinkingOptions } from '../inference/types.ts';
import { ChatPrinter } from './chat-printer.ts';
import { ChatPrompt } from './chat-prompt.ts';
import { CliError } from './cli-error.ts';
import { type CliContext, configFor } from './context.ts';
import { InterruptController } from './interrupts.ts';

interface ChatFlags {
  model?: string;
  prompt?: string;
  thinking: ThinkingOptions;
  maxTokens?: number;
  json?: boolean;
  dataDir?: string;
  contextSize?: number;
}

/** The id the CLI gives its one model inside the engine. */
const MODEL_ID = 'chat';

export function registerChat(program: Command, ctx: CliContext): void {
  program
    .command('chat')
    .description('chat in the terminal with an embedded model (reasoning shown apart from the answer)')
    .option('--model <path|name>', 'a .gguf path or a model name under <data-dir>/models')
    .option('--prompt <text>', 'answer one prompt and exit (default: interactive)')
    .addOption(
      new Option('--thinking <on|off|N>', 'reasoning: on, off, or a budget of N tokens')
        .default({ enabled: true }, 'on')
        .argParser(parseThinking),
    )
    .option('--max-tokens <n>', 'cap on generated tokens, reasoning included', parsePositiveInt)
    .option('--json', 'print one ChatChunk per line (NDJSON)')
    .option('--data-dir <dir>', 'data directory (models are looked up in <dir>/models)')
    .option('--context-size <n>', 'context tokens for this chat', parsePositiveInt)
    .action(async (flags: ChatFlags, command: Command) => {
      if (flags.prompt !== undefined && flags.prompt.trim() === '')
        throw new CliError('the prompt is empty', 2);
      const config = configFor(ctx, command, { dataDir: flags.dataDir, model: flags.model });
      const modelPath = await findModel(config.model, config.dataDir, ctx.cwd);
      const provider = createEmbeddedProvider({
        models: { [MODEL_ID]: modelPath },
        defaultModel: MODEL_ID,
        slots: 1,
        threads: config.engine.threads,
        contextSize: flags.contextSize ?? config.engine.contextSize,
        batchSize: config.engine.batchSize,
        gpu: config.engine.gpu,
      });
      const interrupts = new InterruptController();
      try {
        await loadModel(provider);
        if (flags.prompt !== undefined) await oneShot(provider, flags, flags.prompt, interrupts);
        else await interactive(provider, flags, interrupts);
      } finally {
        await provider[Symbol.asyncDispose]();
        interrupts.dispose();
      }
    });
}

async function findModel(ref: string | undefined, dataDir: string, cwd: string): Promise<string> {
  try {
    return await resolveModel(ref ?? DEFAULT_MODEL_NAME, { modelsDir: modelsDirOf(dataDir, cwd), cwd });
  } catch (err) {
    if (err instanceof ModelFileError) {
      const hint = ref ? '' : ' (no --model given: the default model has not been pulled; run `ponder pull`)';
      throw new CliError(`${err.message}${hint}`);
    }
    throw err;
  }
}

async function loadModel(provider: EmbeddedProvider): Promise<void> {
  try {
    await provider.load(MODEL_ID);
  } catch (err) {
    if (err instanceof InferenceError) throw new CliError(`cannot load the model: ${err.message}`);
    throw err;
  }
}

async function oneShot(
  provider: EmbeddedProvider,
  flags: ChatFlags,
  prompt: string,
  interrupts: InterruptController,
): Promise<void> {
  const outcome = await runTurn(provider, flags, [{ role: 'user', content: prompt }], interrupts);
  if (outcome.error) throw new CliError(outcome.error);
}

async function interactive(
  provider: EmbeddedProvider,
  flags: ChatFlags,
  interrupts: InterruptController,
): Promise<void> {
  const prompt = new ChatPrompt();
  const history: ChatMessage[] = [];
  process.stderr.write(
    'Ponder chat. Ctrl-C stops an answer; Ctrl-C twice at the prompt (or Ctrl-D) exits.\n',
  );
  try {
    for (let line = await prompt.next(); line !== null; line = await prompt.next()) {
      if (line.trim() === '') continue;
      history.push({ role: 'user', content: line });
      prompt.suspend();
      try {
        const outcome = await runTurn(provider, flags, history, interrupts);
        if (outcome.error) process.stderr.write(`ponder: ${outcome.error}\n`);
        if (outcome.answer || outcome.reasoning) {
          history.push({ role: 'assistant', content: outcome.answer, reasoning: outcome.reasoning });
        } else {
          history.pop();
        }
      } finally {
        prompt.resume();
      }
    }
  } finally {
    prompt.close();
  }
}

interface TurnOutcome {
  answer: string;
  reasoning: string;
  error?: string;
}

async function runTurn(
  provider: EmbeddedProvider,
  flags: ChatFlags,
  messages: ChatMessage[],
  interrupts: InterruptController,
): Promise<TurnOutcome> {
  const printer = new ChatPrinter(process.stdout, { json: flags.json ?? false });
  const outcome: TurnOutcome = { answer: '', reasoning: '' };
  const signal = interrupts.begin(() => printer.stop());
  try {
    const stream = provider.chat(
      { model: MODEL_ID, messages, maxTokens: flags.maxTokens, thinking: flags.thinking },
      { signal, affinityKey: 'cli' },
    );
    for await (const chunk of stream) {
      printer.print(chunk);
      // What arrives after a stop was not shown, so it is not part of the conversation either.
      if (signal.aborted && (chunk.type === 'reasoning' || chunk.type === 'text')) continue;
      if (chunk.type === 'reasoning') outcome.reasoning += chunk.text;
      else if (chunk.type === 'text') outcome.answer += chunk.text;
      else if (chunk.type === 'done' && chunk.finishReason === 'error') {
        outcome.error = chunk.error ?? 'generation failed';
      }
    }
  } catch (err) {
    if (err instanceof InferenceError) return { ...outcome, error: err.message };
    throw err;
  } finally {
    interrupts.end();
    printer.end();
  }
  return outcome;
}

function parseThinking(value: string): ThinkingOptions {
  const v = value.trim().toLowerCase();
  if (v === 'on') return { enabled: true };
  if (v === 'off') return { enabled: false };
  if (/^\d+$/.test(v) && Number(v) > 0) return { enabled: true, budgetTokens: Number(v) };
  throw new InvalidArgumentError('expected on, off or a positive number of tokens');
}

function parsePositiveInt(value: string): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) <= 0 || !Number.isSafeInteger(Number(value))) {
    throw new InvalidArgumentError('expected a positive whole number');
  }
  return Number(value);
}
