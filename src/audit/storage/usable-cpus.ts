import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, posix } from 'node:path';

/** Where to look; tests point these at a directory laid out like /proc and /sys/fs/cgroup. */
export interface CpuSources {
  /** Text of /proc/self/cgroup. */
  readonly procSelfCgroup?: string;
  /** Mount point of the cgroup file systems (default /sys/fs/cgroup). */
  readonly cgroupRoot?: string;
  /** CPUs the process may run on (default `os.availableParallelism()`). */
  readonly parallelism?: number;
}

/**
 * How many CPUs this process can keep busy: the CPUs it may run on, lowered by a CFS
 * bandwidth quota on its cgroup or any ancestor (cgroup v2 `cpu.max`, v1
 * `cpu.cfs_quota_us` / `cpu.cfs_period_us`), as a container limited with `--cpus=1` or a
 * Kubernetes CPU limit is. Node 20's `availableParallelism` counts only the CPUs (affinity
 * and cpusets). May be fractional. Anything unreadable counts as no quota, so a process
 * whose limits cannot be read is treated as it was before this was read.
 */
export function usableCpus(sources: CpuSources = {}): number {
  const cpus = sources.parallelism ?? availableParallelism();
  let text = sources.procSelfCgroup;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/self/cgroup', 'utf8');
    } catch {
      return cpus;
    }
  }
  const root = sources.cgroupRoot ?? '/sys/fs/cgroup';
  let quota = Infinity;
  for (const line of text.split('\n')) {
    const [id, controllers, path] = line.split(':');
    if (path === undefined || !path.startsWith('/')) continue;
    for (const dir of ancestors(path)) {
      if (id === '0' && controllers === '') quota = Math.min(quota, cpuMax(join(root, dir)));
      else if (controllers?.split(',').includes('cpu'))
        for (const mount of ['cpu', 'cpu,cpuacct'])
          quota = Math.min(quota, cfsQuota(join(root, mount, dir)));
    }
  }
  return Math.min(cpus, quota);
}

/** `/a/b` → `/a/b`, `/a`, `/`. */
function ancestors(path: string): string[] {
  const out = [path];
  for (let p = path; p !== '/';) out.push((p = posix.dirname(p)));
  return out;
}

/** cgroup v2: `cpu.max` is `<quota> <period>` or `max <period>`. */
function cpuMax(dir: string): number {
  const [quota, period] = readText(join(dir, 'cpu.max')).trim().split(/\s+/);
  return ratio(quota, period);
}

/** cgroup v1: a quota of -1 means none. */
function cfsQuota(dir: string): number {
  return ratio(readText(join(dir, 'cpu.cfs_quota_us')), readText(join(dir, 'cpu.cfs_period_us')));
}

function ratio(quota: string | undefined, period: string | undefined): number {
  const q = Number(quota);
  const p = Number(period);
  return Number.isFinite(q) && q > 0 && Number.isFinite(p) && p > 0 ? q / p : Infinity;
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
