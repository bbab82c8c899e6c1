/** `ponder synth-model`: write a random-weight GGUF with the real R1-Distill-Qwen tokenizer (tests, benchmarks). */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { SynthModelError, synthesizeModel } from '../inference/gguf/synth-model.ts';
import { CliError } from './cli-error.ts';
import type { CliContext } from './context.ts';
import { createByteProgressBar, formatBytes } from './pull.ts';

export function registerSynthModel(program: Command, ctx: CliContext): void {
  program
    .command('synth-model')
    .description(
      'write a synthetic DeepSeek-R1-Distill-Qwen GGUF (random weights, real tokenizer and template)',
    )
    .option(
      '--preset <preset>',
      'tiny (tests), r1-1.5b (benchmarks) or embed-tiny (an embedding model)',
      'tiny',
    )
    .option('--quant <quant>', 'q8_0 or q4_0', 'q8_0')
    .requiredOption('--out <file>', 'output .gguf file')
    .action(async (opts: { preset: string; quant: string; out: string }) => {
      const bar = opts.preset === 'tiny' ? undefined : createByteProgressBar('synth-model');
      const started = performance.now();
      try {
        const result = await synthesizeModel({
          preset: opts.preset,
          quant: opts.quant,
          out: resolve(ctx.cwd, opts.out),
          ...(bar && {
            onProgress: (written: number, total: number) => {
              const seconds = (performance.now() - started) / 1000;
              const speed = seconds > 0 ? written / seconds : 0;
              bar.update(written, total, speed, speed > 0 ? (total - written) / speed : null);
            },
          }),
        });
        bar?.stop();
        process.stderr.write(`ponder: wrote ${result.path} (${formatBytes(result.bytes)})\n`);
        process.stdout.write(`${result.path}\n`);
      } catch (err) {
        bar?.stop();
        if (err instanceof SynthModelError) throw new CliError(err.message);
        throw err;
      }
    });
}
