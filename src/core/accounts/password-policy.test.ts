import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PASSWORD_MIN_SCORE, passwordUserInputs } from '../../api/password-strength.ts';
import { passwordProblem } from './password-policy.ts';

const owner = { email: 'margaret.hamilton@example.com', displayName: 'Maggie Lovelace' };

describe('passwordProblem (zxcvbn-ts)', () => {
  test('length limits and NUL come first, with the limit named', async () => {
    assert.match((await passwordProblem('short')) ?? '', /at least 8 characters/);
    assert.match((await passwordProblem('x'.repeat(257))) ?? '', /at most 256 characters/);
    assert.match((await passwordProblem('correct\0horse battery staple')) ?? '', /NUL/);
  });

  test('common passwords, keyboard rows, the product name and repeats are refused with zxcvbn feedback', async () => {
    for (const [password, hint] of [
      ['password123!', /too easy to guess\. This is similar to a commonly used password/],
      ['Password123!', /commonly used password/],
      ['qwertyuiop', /frequently used password/],
      ['ponderponder', /Repeated character patterns/],
      ['aaaaaaaaaa', /Repeated characters/],
    ] as const) {
      const problem = await passwordProblem(password, owner);
      assert.match(problem ?? '', hint, password);
      // The suggestion says what to do instead, in plain words.
      assert.match(problem ?? '', /Add more words that are less common|Avoid repeated/, password);
    }
  });

  test("the user's own email, its local part and name count as guessable", async () => {
    for (const password of [
      'margaret.hamilton@example.com',
      'margaret.hamiltonmargaret.hamilton',
      'maggielovelace',
    ]) {
      assert.match((await passwordProblem(password, owner)) ?? '', /your email address, your name/, password);
    }
    assert.match((await passwordProblem('hamiltonhamilton1', owner)) ?? '', /too easy to guess/);
    // Without the owner's details the same local part is just an unusual name pair.
    assert.equal(await passwordProblem('margaret.hamiltonmargaret.hamilton'), null);
  });

  test('strong passwords pass, including the shared test password and non-ASCII ones', async () => {
    for (const password of [
      'correct horse battery staple',
      'new horse battery staple',
      'Tr0ub4dor&3',
      'kx7#mQ!v2pLz',
      'ледяной ветер над рекой',
    ]) {
      assert.equal(await passwordProblem(password, owner), null, password);
    }
  });

  test('user inputs: email, its local part and pieces, display name, "ponder"', () => {
    assert.equal(PASSWORD_MIN_SCORE, 3);
    assert.deepEqual(passwordUserInputs(owner), [
      'ponder',
      'margaret.hamilton@example.com',
      'margaret.hamilton',
      'margaret',
      'hamilton',
      'maggie lovelace',
      'maggie',
      'lovelace',
    ]);
    assert.deepEqual(passwordUserInputs(), ['ponder']);
  });
});
