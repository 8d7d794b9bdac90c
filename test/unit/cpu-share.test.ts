/** CpuShare: files processed at once share the process's CPU time instead of each counting all of it. */
import { describe, expect, it } from 'vitest';
import { CpuShare } from '../../src/worker/cpu-share.js';

describe('CpuShare', () => {
  it('gives a lone file all the CPU time of its span', () => {
    let cpu = 10;
    const share = new CpuShare(() => cpu);
    const a = share.start();
    cpu += 3;
    expect(share.end(a)).toBeCloseTo(3);
  });

  it('splits overlapping spans equally, and the shares add up to the process total', () => {
    let cpu = 0;
    const share = new CpuShare(() => cpu);
    const ha = share.start();
    cpu += 2; // a alone: a 2
    const hb = share.start();
    cpu += 4; // both: a 2, b 2
    const a = share.end(ha);
    cpu += 1; // b alone: b 1
    const b = share.end(hb);
    expect(a).toBeCloseTo(4);
    expect(b).toBeCloseTo(3);
    expect(a + b).toBeCloseTo(cpu);
    expect(share.end(hb)).toBe(0); // ending twice counts nothing
  });

  it('counts no CPU time spent while no file was active', () => {
    let cpu = 0;
    const share = new CpuShare(() => cpu);
    cpu += 5;
    const a = share.start();
    cpu += 1;
    expect(share.end(a)).toBeCloseTo(1);
  });

  it('keeps two runs of the same file apart (a handle per start)', () => {
    let cpu = 0;
    const share = new CpuShare(() => cpu);
    const first = share.start();
    cpu += 3;
    const second = share.start();
    cpu += 4;
    expect(share.end(first)).toBeCloseTo(5);
    cpu += 2;
    expect(share.end(second)).toBeCloseTo(4);
  });
});
