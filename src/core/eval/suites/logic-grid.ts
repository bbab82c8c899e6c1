/**
 * Logic grids: n people, each with one pet and one house colour (level 1: 3 people, 2: 4, 3: 5). Clues are
 * drawn from the hidden solution and added until exactly one assignment fits them (checked by brute force
 * over all (n!)² assignments, at most 14 400), so the reference answer is provably the only one.
 */

import type { Rng } from './random.ts';
import type { EvalProblem } from './types.ts';

const PEOPLE = ['Ana', 'Ben', 'Chen', 'Dara', 'Eli'];
const PETS = ['cat', 'dog', 'parrot', 'rabbit', 'turtle'];
const COLOURS = ['red', 'blue', 'green', 'yellow', 'white'];

/** pet[i] / colour[i]: the index of person i's pet and colour. */
interface Assignment {
  pet: number[];
  colour: number[];
}

type Clue =
  | { type: 'has-pet'; person: number; pet: number; yes: boolean }
  | { type: 'has-colour'; person: number; colour: number; yes: boolean }
  | { type: 'pet-colour'; pet: number; colour: number; yes: boolean };

function permutations(n: number): number[][] {
  if (n === 0) return [[]];
  const out: number[][] = [];
  for (const rest of permutations(n - 1)) {
    for (let i = 0; i <= rest.length; i++) out.push([...rest.slice(0, i), n - 1, ...rest.slice(i)]);
  }
  return out;
}

function holds(clue: Clue, a: Assignment): boolean {
  switch (clue.type) {
    case 'has-pet':
      return (a.pet[clue.person] === clue.pet) === clue.yes;
    case 'has-colour':
      return (a.colour[clue.person] === clue.colour) === clue.yes;
    case 'pet-colour': {
      const owner = a.pet.indexOf(clue.pet);
      return (a.colour[owner] === clue.colour) === clue.yes;
    }
    default:
      return clue satisfies never;
  }
}

function say(clue: Clue): string {
  switch (clue.type) {
    case 'has-pet':
      return `${PEOPLE[clue.person]} ${clue.yes ? 'owns' : 'does not own'} the ${PETS[clue.pet]}.`;
    case 'has-colour':
      return `${PEOPLE[clue.person]} ${clue.yes ? 'lives' : 'does not live'} in the ${COLOURS[clue.colour]} house.`;
    case 'pet-colour':
      return `The owner of the ${PETS[clue.pet]} ${clue.yes ? 'lives' : 'does not live'} in the ${COLOURS[clue.colour]} house.`;
    default:
      return clue satisfies never;
  }
}

function randomClue(rng: Rng, n: number, truth: Assignment): Clue {
  const person = rng.int(0, n - 1);
  const yes = rng.next() < 0.35;
  switch (rng.int(0, 2)) {
    case 0: {
      const pet = yes
        ? (truth.pet[person] as number)
        : rng.pick([...Array(n).keys()].filter((p) => p !== truth.pet[person]));
      return { type: 'has-pet', person, pet, yes };
    }
    case 1: {
      const colour = yes
        ? (truth.colour[person] as number)
        : rng.pick([...Array(n).keys()].filter((c) => c !== truth.colour[person]));
      return { type: 'has-colour', person, colour, yes };
    }
    default: {
      const pet = truth.pet[person] as number;
      const colour = yes
        ? (truth.colour[person] as number)
        : rng.pick([...Array(n).keys()].filter((c) => c !== truth.colour[person]));
      return { type: 'pet-colour', pet, colour, yes };
    }
  }
}

export function logicGrid(rng: Rng, level: number): Omit<EvalProblem, 'id' | 'level'> {
  const n = level <= 1 ? 3 : level === 2 ? 4 : 5;
  const perms = permutations(n);
  const truth: Assignment = {
    pet: rng.shuffle([...Array(n).keys()]),
    colour: rng.shuffle([...Array(n).keys()]),
  };
  let candidates: Assignment[] = [];
  for (const pet of perms) for (const colour of perms) candidates.push({ pet, colour });
  const clues: Clue[] = [];
  while (candidates.length > 1) {
    const clue = randomClue(rng, n, truth);
    const left = candidates.filter((a) => holds(clue, a));
    if (left.length === candidates.length) continue; // tells nothing new
    clues.push(clue);
    candidates = left;
  }
  const askPet = rng.int(0, n - 1);
  const owner = truth.pet.indexOf(askPet);
  const people = PEOPLE.slice(0, n).join(', ');
  const pets = PETS.slice(0, n).join(', ');
  const colours = COLOURS.slice(0, n).join(', ');
  return {
    problem: [
      `${people} each own exactly one of these pets: ${pets}, and each live in a house of one of these colours: ${colours} (no two share a pet or a colour).`,
      ...clues.map(say),
      `Who owns the ${PETS[askPet]}? Answer with the name.`,
    ].join('\n'),
    answer: PEOPLE[owner] as string,
    kind: 'text',
  };
}
