// The README's list of error codes and lib/errors.ts must name the same codes.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { errors } from '../../lib/errors.js';

describe('error codes', () => {
  it('the README documents exactly the codes lib/errors.ts makes', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('### Errors'), readme.indexOf('## Connections'));
    const documented = [...section.matchAll(/^\| `(UVHTTP_ERR_[A-Z_]+)` \|/gm)].map((m) => m[1]).sort();
    const made = Object.values(errors)
      .map((make) => (make as (...args: unknown[]) => { code: string })('x', 'y').code)
      .sort();
    expect(documented.length).toBeGreaterThan(0);
    expect(documented).toEqual(made);
  });

  it('every code is distinct and every error is an Error', () => {
    const made = Object.values(errors).map((make) => (make as (...args: unknown[]) => Error & { code: string })('x', 'y'));
    expect(new Set(made.map((e) => e.code)).size).toBe(made.length);
    for (const e of made) expect(e).toBeInstanceOf(Error);
  });
});
