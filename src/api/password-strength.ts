/**
 * The password rule shared by the server (the authority) and the web page's live meter, so both say the
 * same thing. Nothing runs at import time: zxcvbn-ts and its dictionaries (several MB) are imported on
 * the first `loadPasswordJudge()`, which the bundler turns into a lazy chunk for the web page.
 */
import type * as ZxcvbnCore from '@zxcvbn-ts/core';
import type * as ZxcvbnCommon from '@zxcvbn-ts/language-common';
import type * as ZxcvbnEn from '@zxcvbn-ts/language-en';

/** Length limits in characters (code points); the web page imports them without pulling in zod. */
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 256;

/**
 * Lowest zxcvbn score accepted (0–4). 3 means "safely unguessable: moderate protection from an offline
 * slow-hash scenario" (~10^8 guesses), which argon2id storage makes the relevant attack.
 */
export const PASSWORD_MIN_SCORE = 3;

export interface ZxcvbnModules {
  core: typeof ZxcvbnCore;
  common: typeof ZxcvbnCommon;
  en: typeof ZxcvbnEn;
}

/** Who the password is for: their own details make it easy to guess. */
export interface PasswordOwner {
  email?: string | null | undefined;
  displayName?: string | null | undefined;
}

export interface PasswordVerdict {
  /** zxcvbn's score, 0 (guessable) to 4 (very unguessable); 0 when a length rule fails. */
  score: number;
  /** Why the password is refused, as a message for the user; `null` when it is acceptable. */
  problem: string | null;
  /** zxcvbn's hints in plain words (empty when it has none). */
  hints: string[];
}

export type PasswordJudge = (password: string, owner?: PasswordOwner) => PasswordVerdict;

/** The user's own details and the product name, which zxcvbn treats as a dictionary ranked first. */
export function passwordUserInputs(owner: PasswordOwner = {}): string[] {
  const inputs = ['ponder'];
  const email = owner.email?.trim().toLowerCase();
  if (email) {
    inputs.push(email);
    const local = email.split('@')[0];
    if (local) inputs.push(local, ...local.split(/[._+-]+/u).filter((part) => part.length >= 3));
  }
  const name = owner.displayName?.trim().toLowerCase();
  if (name) inputs.push(name, ...name.split(/\s+/u).filter((part) => part.length >= 3));
  return [...new Set(inputs)];
}

/** Builds the checker once: constructing zxcvbn indexes ~100k dictionary words (~150 ms). */
export function createPasswordJudge({ core, common, en }: ZxcvbnModules): PasswordJudge {
  const zxcvbn = new core.ZxcvbnFactory({
    dictionary: { ...common.dictionary, ...en.dictionary },
    graphs: common.adjacencyGraphs,
    translations: {
      ...en.translations,
      // zxcvbn's own wording ("personal or page related data") is vague about what it found.
      warnings: {
        ...en.translations.warnings,
        userInputs: 'It contains your email address, your name or the name of this site.',
      },
    },
  });
  return (password, owner) => {
    const length = [...password].length;
    if (length < PASSWORD_MIN) return refuse(`The password must have at least ${PASSWORD_MIN} characters.`);
    if (length > PASSWORD_MAX) return refuse(`The password must have at most ${PASSWORD_MAX} characters.`);
    if (password.includes('\0')) return refuse('The password must not contain NUL characters.');
    const result = zxcvbn.check(password, passwordUserInputs(owner));
    const hints = [result.feedback.warning, ...result.feedback.suggestions].filter(
      (hint): hint is string => !!hint,
    );
    if (result.score >= PASSWORD_MIN_SCORE) return { score: result.score, problem: null, hints };
    const why = hints.length > 0 ? hints.join(' ') : 'Make it longer, for example with a few uncommon words.';
    return { score: result.score, problem: `This password is too easy to guess. ${why}`, hints };
  };
}

let judge: Promise<PasswordJudge> | undefined;

/** The judge, built once on first use; a failed load (e.g. an offline chunk) is retried next time. */
export function loadPasswordJudge(): Promise<PasswordJudge> {
  judge ??= Promise.all([
    import('@zxcvbn-ts/core'),
    import('@zxcvbn-ts/language-common'),
    import('@zxcvbn-ts/language-en'),
  ]).then(
    ([core, common, en]) => createPasswordJudge({ core, common, en }),
    (err: unknown) => {
      judge = undefined;
      throw err;
    },
  );
  return judge;
}

function refuse(problem: string): PasswordVerdict {
  return { score: 0, problem, hints: [] };
}
