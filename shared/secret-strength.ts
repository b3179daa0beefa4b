/**
 * Whether a configured secret (JWT_SECRET, ADMIN_PASSWORD) could be guessed: pure, so start-up
 * refuses it with one line before anything listens. Length alone is not strength: a published
 * value with a trailing newline, a repeated word or a keyboard run of any length is tried first.
 */

/**
 * Secrets and passwords that were ever published with this repository (defaults, examples,
 * placeholders): anyone can read them. Compared after `normalise`, and as parts of a longer
 * value too, so quoting, letter case or an added suffix does not hide one.
 */
const PUBLISHED = [
  'evently-development-secret-do-not-use-in-production',
  'evently-compose-development-secret-change-me-0123456789',
  'change-me-please',
  'replace-with-the-output-of-openssl-rand-base64-48',
  'replace-with-a-long-random-password',
];

/** Words every password guesser starts with. */
const COMMON_WORDS = ['password', 'passwort', 'admin', 'qwerty', 'letmein', 'changeme', 'secret', 'evently'];

/** Keyboard rows and digit runs: neighbours on one are a run, not randomness. */
const ROWS = ['1234567890', 'qwertyuiop', 'asdfghjkl', 'zxcvbnm', 'abcdefghijklmnopqrstuvwxyz'];

export interface SecretRules {
  name: string;
  /** Estimated bits (Shannon entropy of its characters times its length) it must reach. */
  minBits: number;
  /** Whether common words alone make it weak (passwords, typed by people). */
  refuseCommonWords: boolean;
}

const normalise = (value: string) => value.toLowerCase().replace(/[\s"'`]/g, '');

/** What is wrong with `value` as a secret, in one sentence naming it; null if nothing. */
export function secretProblem(value: string, rules: SecretRules): string | null {
  const { name } = rules;
  if (value !== value.trim() || /^["'`]|["'`]$/.test(value)) {
    return `${name} must not start or end with spaces, newlines or quotes (copied with them?)`;
  }
  const plain = normalise(value);
  if (PUBLISHED.some((published) => plain.includes(normalise(published)))) {
    return `${name} is or contains a published default; set a secret of your own`;
  }
  if (rules.refuseCommonWords && COMMON_WORDS.some((word) => plain.includes(word))) {
    return `${name} contains a common word (${COMMON_WORDS.join(', ')}); choose a random one`;
  }
  if (isPeriodic(plain) || isRun(plain) || estimatedBits(value) < rules.minBits) {
    return `${name} is too easy to guess (repeated, a keyboard run, or too few different characters); generate one, e.g. openssl rand -base64 48`;
  }
  return null;
}

/** `abcabcabc…`: a shorter unit repeated (a trailing partial unit included). */
function isPeriodic(value: string): boolean {
  for (let period = 1; period <= value.length / 2; period++) {
    let repeats = true;
    for (let i = period; i < value.length && repeats; i++) repeats = value[i] === value[i - period];
    if (repeats) return true;
  }
  return false;
}

/** Half or more of the neighbouring characters are neighbours on a keyboard row or in a run. */
function isRun(value: string): boolean {
  if (value.length < 2) return false;
  let adjacent = 0;
  for (let i = 1; i < value.length; i++) {
    const [a, b] = [value[i - 1]!, value[i]!];
    if (
      ROWS.some(
        (row) => Math.abs(row.indexOf(a) - row.indexOf(b)) === 1 && row.includes(a) && row.includes(b),
      )
    )
      adjacent++;
  }
  return adjacent * 2 >= value.length - 1;
}

/** Shannon entropy of the character distribution times the length, in bits. */
function estimatedBits(value: string): number {
  const counts = new Map<string, number>();
  for (const c of value) counts.set(c, (counts.get(c) ?? 0) + 1);
  let perCharacter = 0;
  for (const n of counts.values()) perCharacter -= (n / value.length) * Math.log2(n / value.length);
  return perCharacter * value.length;
}
