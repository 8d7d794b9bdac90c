/**
 * The README's example session is the program's (issue 26, item 10): every `console` block after a line
 * `<!-- example session: checked by test/integration/readme-examples.test.ts -->` is run here, command by command
 * (`$ wikireverse ...`, in a scratch directory holding the bundled samples, against a private redis-server as the
 * README's user has), and each line the README shows must appear in that command's output (stdout then stderr), in
 * order. In a shown line `...` stands for anything (times, paths, sizes); everything else is compared as written. A
 * README edit that no longer matches the program, or a program change the README does not follow, fails here.
 */
import { execFile } from 'node:child_process';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ROOT } from '../helpers/cli.js';
import { tempDir } from '../helpers/fixtures.js';

const MARKER = '<!-- example session: checked by test/integration/readme-examples.test.ts -->';

interface Step {
  readonly command: string;
  readonly expected: string[];
}

/** The example sessions' steps: each `$ ` line a command, the lines after it (to the next one) what it prints. */
function exampleSteps(readme: string): Step[] {
  const steps: Step[] = [];
  const parts = readme.split(MARKER).slice(1);
  for (const part of parts) {
    const block = /^\s*```console\n([\s\S]*?)\n```/.exec(part);
    if (!block) throw new Error(`the README's example marker is not followed by a console block`);
    for (const line of (block[1] ?? '').split('\n')) {
      if (line.startsWith('$ ')) steps.push({ command: line.slice(2), expected: [] });
      else if (line.trim() !== '') steps.at(-1)?.expected.push(line);
    }
  }
  return steps;
}

/** A shown line as a pattern: `...` is anything, the rest literal. */
function pattern(line: string): RegExp {
  return new RegExp(`^${line.split('...').map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}

/** The shell words of a command (no quoting beyond '...' single quotes is used in the examples). */
function words(command: string): string[] {
  return [...command.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? '');
}

/** The environment of a user who has set nothing of the project's (the suite's own settings dropped). */
function userEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('WIKIREVERSE_') && !k.startsWith('AWS_')));
}

let work = '';
beforeAll(async () => {
  work = await tempDir('readme-examples');
  await fsp.cp(path.join(ROOT, 'test/fixtures/samples'), path.join(work, 'test/fixtures/samples'), { recursive: true });
});
afterAll(async () => {
  if (work) await fsp.rm(work, { recursive: true, force: true });
});

describe("the README's example session", () => {
  it('runs as shown: every command, every line it shows', async () => {
    const readme = await fsp.readFile(path.join(ROOT, 'README.md'), 'utf8');
    const steps = exampleSteps(readme);
    expect(steps.length).toBeGreaterThanOrEqual(5);
    for (const step of steps) {
      const [bin, ...args] = words(step.command);
      expect(bin, step.command).toBe('wikireverse');
      const res = await new Promise<{ code: number; streams: string[][] }>((resolve) => {
        execFile(process.execPath, [CLI, ...args], { cwd: work, env: userEnv(), maxBuffer: 64 << 20 },
          (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, streams: [stdout.split('\n'), stderr.split('\n')] }));
      });
      const printed = res.streams.map((l) => l.join('\n')).join('\n--- stderr ---\n');
      // In order within each stream (stdout and stderr interleave as the terminal shows them; each keeps its own order).
      const at = [0, 0];
      for (const shown of step.expected) {
        const re = pattern(shown);
        const hit = res.streams.map((lines, s) => lines.findIndex((l, i) => i >= (at[s] ?? 0) && re.test(l)));
        const s = (hit[0] ?? -1) >= 0 ? 0 : 1;
        expect(hit[s], `\`${step.command}\` does not print, after what came before:\n  ${shown}\nIt printed:\n${printed}`).toBeGreaterThanOrEqual(0);
        at[s] = (hit[s] ?? 0) + 1;
      }
      expect(res.code, `${step.command}: exit ${res.code}\n${printed}`).toBe(0);
    }
  }, 240_000);

  it('is found, and a shown line that the program does not print fails the comparison', () => {
    const steps = exampleSteps(`x\n${MARKER}\n\`\`\`console\n$ wikireverse runs --out out\nrun ... succeeded\n\`\`\`\n`);
    expect(steps).toEqual([{ command: 'wikireverse runs --out out', expected: ['run ... succeeded'] }]);
    expect(pattern('run ... succeeded: files 6/6').test('run demo-1 succeeded: files 6/6')).toBe(true);
    expect(pattern('run ... succeeded: files 6/6').test('run demo-1 failed: files 6/6')).toBe(false);
    expect(pattern('links (3)').test('links (3)')).toBe(true);
    expect(pattern('links (3)').test('links 3')).toBe(false);
  });
});
