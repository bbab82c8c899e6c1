import { createPasswordJudge, type PasswordJudge, type PasswordOwner } from '../../api/password-strength.ts';

let judge: Promise<PasswordJudge> | undefined;

/** zxcvbn's dictionaries are several MB: loaded on the first password checked, not when the server starts. */
function passwordJudge(): Promise<PasswordJudge> {
  judge ??= Promise.all([
    import('@zxcvbn-ts/core'),
    import('@zxcvbn-ts/language-common'),
    import('@zxcvbn-ts/language-en'),
  ]).then(
    ([core, common, en]) => createPasswordJudge({ core, common, en }),
    (err: unknown) => {
      judge = undefined; // let the next call retry rather than caching a failed import
      throw err;
    },
  );
  return judge;
}

/**
 * Why a new password is refused, as a message for the user; `null` when it is acceptable. zxcvbn-ts
 * (common passwords, English words and names, keyboard patterns, repeats, the user's own email and name,
 * "ponder") must score it at least `PASSWORD_MIN_SCORE`, within the length limits.
 */
export async function passwordProblem(password: string, owner?: PasswordOwner): Promise<string | null> {
  return (await passwordJudge())(password, owner).problem;
}
