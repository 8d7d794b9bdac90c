/** Summarises a V8 `.cpuprofile` (from `node --cpu-prof`): self time per function, the top entries first. */
import fsp from 'node:fs/promises';
import path from 'node:path';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface ProfileEntry {
  readonly name: string;
  readonly selfMs: number;
  readonly share: number;
}

export async function summariseProfile(file: string, top = 20): Promise<ProfileEntry[]> {
  const profile = JSON.parse(await fsp.readFile(file, 'utf8')) as CpuProfile;
  const names = new Map<number, string>();
  for (const n of profile.nodes) {
    const { functionName, url, lineNumber } = n.callFrame;
    const where = url ? `${path.basename(url)}:${lineNumber + 1}` : '';
    names.set(n.id, `${functionName || '(anonymous)'} ${where}`.trim());
  }
  const self = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    // The first delta runs from the profiler's start to its first sample: not time spent where that sample was taken.
    const dt = i === 0 ? 0 : (profile.timeDeltas[i] ?? 0);
    total += dt;
    const name = names.get(id) ?? '?';
    self.set(name, (self.get(name) ?? 0) + dt);
  });
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, us]) => ({ name, selfMs: us / 1000, share: total > 0 ? us / total : 0 }));
}

export function formatProfile(title: string, entries: readonly ProfileEntry[]): string {
  return [title, ...entries.map((e) => `  ${(e.share * 100).toFixed(1).padStart(5)}%  ${e.selfMs.toFixed(0).padStart(7)} ms  ${e.name}`)].join('\n');
}
