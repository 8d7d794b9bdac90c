/**
 * The record reader's peers, timed on the same files in the same run: FastWARC (Resiliparse's C++ reader, through its
 * Python API) and warcio (Python), each framing every record and reading its payload, as the `reader` variant does
 * (scripts/bench-peers.py). They are installed by scripts/bench-peers.sh into .venv-bench/ (PyPI, pinned); where that
 * cannot be done, the bench says why and goes on without them.
 */
import { spawnSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Sample } from './measure.js';

export const PEERS = ['fastwarc', 'warcio'] as const;
export type Peer = (typeof PEERS)[number];
export const PEER_LABELS: Readonly<Record<Peer, string>> = { fastwarc: 'FastWARC (Python)', warcio: 'warcio (Python)' };

/** The peers' Python, installed when missing; or why there is none. */
export function ensurePeers(root: string): { readonly python: string } | { readonly why: string } {
  const r = spawnSync('bash', [path.join(root, 'scripts', 'bench-peers.sh')], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'inherit', 'pipe'], timeout: 600_000 });
  const python = path.join(root, '.venv-bench', 'bin', 'python');
  if (r.status === 0 && fs.existsSync(python)) return { python };
  const why = (r.stderr ?? '').trim().split('\n').at(-1) || r.error?.message || `scripts/bench-peers.sh exited ${r.status}`;
  return { why };
}

/** One peer's reading of `files`: its own figures (the reading only, not the interpreter's start-up). */
export function measurePeer(python: string, root: string, peer: Peer, files: readonly string[]): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, [path.join(root, 'scripts', 'bench-peers.py'), peer, ...files], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('error', (e) => reject(new Error(`${peer} could not start: ${e.message}`)));
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${peer} failed (exit ${code}): ${err.slice(-1000)}`));
      try {
        resolve(parsePeerReport(out.trim().split('\n').pop() ?? ''));
      } catch (e) {
        reject(new Error(`${peer}: ${(e as Error).message}`));
      }
    });
  });
}

/** The one schema a peer's report line goes through. */
export function parsePeerReport(line: string): Sample {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    throw new Error('its report is not JSON');
  }
  const o = (v ?? {}) as Record<string, unknown>;
  const num = (k: string): number => {
    const x = o[k];
    if (typeof x !== 'number' || !Number.isFinite(x) || x < 0) throw new Error(`its report has no ${k}`);
    return x;
  };
  return { seconds: num('seconds'), cpuSeconds: num('cpuSeconds'), maxRssMb: num('maxRssMb'), pages: 0, rows: num('records'), bytes: num('bytes') };
}
