import { readFileSync } from 'node:fs';

/** Resident set size of process `pid` in bytes (Linux /proc), or NaN when unreadable. */
export function residentBytes(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? Number.NaN : Number(m[1]) * 1024;
  } catch {
    return Number.NaN;
  }
}
