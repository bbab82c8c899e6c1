/**
 * Two narrowings of node-llama-cpp 3.21.1's JSON grammar, so that what the grammar lets a model write also
 * passes node-llama-cpp's own schema check and a client's validator (a forced tool call or a formatted
 * answer must never end in an error):
 * - numbers: it allows an exponent of up to 16 digits, integers too, so a sampled `50340E44826` parses
 *   to `Infinity` ("Expected type integer"). Integers now have no exponent, other numbers at most a
 *   two-digit one.
 * - string characters: a grammar character is a code point, but `maxLength` is checked on JavaScript's
 *   UTF-16 length, where a character outside the Basic Multilingual Plane (most emoji) counts twice, so
 *   a 20-character limit let 21 through. Such characters are left out of strings (a `\u` escape pair can
 *   still write one).
 * Both patch the rule classes in place (every grammar built afterwards uses them) and fail loudly if a
 * class moved: re-check them on any node-llama-cpp upgrade, like the lockstep hook.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

interface Terminal {
  getGrammar(): string;
}
interface NumberTerminal extends Terminal {
  allowFractional: boolean;
}

let patched = false;

/** node-llama-cpp's grammar terminal class `name` (not exported: the very module its generator imports). */
async function terminalPrototype(name: string): Promise<Terminal> {
  const dist = dirname(fileURLToPath(import.meta.resolve('node-llama-cpp')));
  const url = pathToFileURL(join(dist, `utils/gbnfJson/terminals/${name}.js`)).href;
  const mod = (await import(url)) as Record<string, { prototype: Terminal } | undefined>;
  const proto = mod[name]?.prototype;
  if (typeof proto?.getGrammar !== 'function')
    throw new Error(`node-llama-cpp internals changed: ${name}.getGrammar not found`);
  return proto;
}

export async function patchJsonGrammar(): Promise<void> {
  if (patched) return;
  const number = (await terminalPrototype('GbnfNumber')) as NumberTerminal;
  number.getGrammar = function narrowedNumberGrammar(this: NumberTerminal): string {
    const integer = '"-"? ("0" | [1-9] [0-9]{0,15})';
    if (!this.allowFractional) return integer;
    return `${integer} ("." [0-9]{1,16})? ([eE] [-+]? [0-9]{1,2})?`;
  };
  const stringChar = await terminalPrototype('GbnfInsideStringChar');
  stringChar.getGrammar = function bmpStringCharGrammar(): string {
    return [
      '[^"\\\\\\x7F\\x00-\\x1F\\U00010000-\\U0010FFFF]',
      '"\\\\" ["\\\\/bfnrt]',
      '"\\\\u" [0-9a-fA-F]{4}',
    ].join(' | ');
  };
  patched = true;
}
