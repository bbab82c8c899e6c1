import { loadPasswordJudge, type PasswordOwner } from '../../api/password-strength.ts';

/**
 * Why a new password is refused, as a message for the user; `null` when it is acceptable. zxcvbn-ts
 * (common passwords, English words and names, keyboard patterns, repeats, the user's own email and name,
 * "ponder") must score it at least `PASSWORD_MIN_SCORE`, within the length limits. The dictionaries load
 * on the first call, not when the server starts.
 */
export async function passwordProblem(password: string, owner?: PasswordOwner): Promise<string | null> {
  return (await loadPasswordJudge())(password, owner).problem;
}
