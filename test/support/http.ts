import type { Response } from 'supertest';

/** What a client must never see in an answer: stack frames, file paths, dependency or SQL text. */
const LEAKS: RegExp[] = [
  /\bat (?:async )?\S+ \(/, // "at fn (file:1:2)"
  /\bat (?:file|node):/, // "at file:///...", "at node:internal/..."
  /\.(?:[cm]?js|ts):\d+:\d+/,
  /node_modules/,
  /\b(?:SELECT|INSERT INTO|UPDATE \S+ SET|DELETE FROM)\b/,
  /sequelize|postgres|relation "|violates .* constraint|syntax error at/i,
];

export function expectNoInternals(res: Response): void {
  for (const leak of LEAKS) expect(res.text).not.toMatch(leak);
}

/**
 * The contract's error answer: `{"error": {"code", "message", "details"}}` as JSON with `status`
 * (and `code`, when given), and nothing internal in it. Status and body are compared together
 * so a failure shows what the service actually said.
 */
export function expectApiError(res: Response, status: number, code?: string): void {
  expect({ status: res.status, body: res.body }).toMatchObject({
    status,
    body: { error: { code: code ?? expect.any(String), message: expect.any(String) } },
  });
  expect(Object.keys(res.body.error).sort()).toEqual(['code', 'details', 'message']);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expectNoInternals(res);
}
