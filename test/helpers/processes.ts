import { readFileSync, readdirSync } from 'node:fs';

/** A process as Linux's `/proc/<pid>/stat` gives it: its parent and its state letter. */
interface ProcStat {
  readonly pid: number;
  readonly ppid: number;
  /** R running, S sleeping, T stopped (SIGSTOP), Z zombie, … */
  readonly state: string;
}

function procStat(pid: number): ProcStat | undefined {
  try {
    // The name (field 2) is in parentheses and may hold spaces: read after its last ')'.
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const [state, ppid] = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { pid, ppid: Number(ppid), state: state ?? '' };
  } catch {
    return undefined;
  }
}

/**
 * True while a process with this pid runs: it exists (signal 0 only checks) and is not a
 * zombie (killed, waiting for its parent to reap it).
 */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = procStat(pid);
  return stat !== undefined && stat.state !== 'Z';
}

/** Every live descendant of `root` (children, their children, …), from /proc. */
export function descendants(root: number): ProcStat[] {
  const all = readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map((name) => procStat(Number(name)))
    .filter((p): p is ProcStat => p !== undefined && p.state !== 'Z');
  const found: ProcStat[] = [];
  const parents = new Set([root]);
  for (let grew = true; grew;) {
    grew = false;
    for (const p of all)
      if (parents.has(p.ppid) && !parents.has(p.pid)) {
        parents.add(p.pid);
        found.push(p);
        grew = true;
      }
  }
  return found;
}
