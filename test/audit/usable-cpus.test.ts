import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Flusher } from '../../src/audit/storage/flusher.js';
import { usableCpus } from '../../src/audit/storage/usable-cpus.js';
import { tempDir } from './fixtures/temp-log.js';

/**
 * The CPUs the file log's flusher counts (storage/usable-cpus.ts): its CPUs, lowered by a
 * CFS quota of its cgroup or any ancestor. The first tests read real files laid out as the
 * cgroup file systems are; the last puts a real process into a real cgroup with a quota.
 */
describe('usableCpus', () => {
  /** Writes `files` (path → content) under a fresh directory standing for /sys/fs/cgroup. */
  function cgroupfs(files: Record<string, string>): { root: string; remove: () => void } {
    const tmp = tempDir();
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(dirname(join(tmp.dir, file)), { recursive: true });
      writeFileSync(join(tmp.dir, file), text);
    }
    return { root: tmp.dir, remove: tmp.remove };
  }

  const cases: Array<[string, string, Record<string, string>, number, number]> = [
    ['v2, no quota anywhere', '0::/app\n', { 'app/cpu.max': 'max 100000\n' }, 4, 4],
    ['v2, the own cgroup', '0::/app\n', { 'app/cpu.max': '100000 100000\n' }, 4, 1],
    [
      'v2, the smallest quota of the ancestors',
      '0::/kubepods/pod1/c1\n',
      {
        'kubepods/cpu.max': '400000 100000\n',
        'kubepods/pod1/cpu.max': '150000 100000\n',
        'kubepods/pod1/c1/cpu.max': 'max 100000\n',
      },
      8,
      1.5,
    ],
    [
      'v2, a namespaced container reads its own root',
      '0::/\n',
      { 'cpu.max': '50000 100000' },
      2,
      0.5,
    ],
    ['a quota above the CPUs', '0::/\n', { 'cpu.max': '800000 100000' }, 2, 2],
    [
      'v1, cpu,cpuacct',
      '12:cpu,cpuacct:/docker/abc\n11:memory:/docker/abc\n0::/\n',
      {
        'cpu,cpuacct/docker/abc/cpu.cfs_quota_us': '100000\n',
        'cpu,cpuacct/docker/abc/cpu.cfs_period_us': '100000\n',
      },
      2,
      1,
    ],
    [
      'v1, no quota (-1)',
      '3:cpu:/h\n',
      { 'cpu/h/cpu.cfs_quota_us': '-1\n', 'cpu/h/cpu.cfs_period_us': '100000\n' },
      2,
      2,
    ],
    ['garbage and missing files count as no quota', '0::/x\n', { 'x/cpu.max': 'lots\n' }, 3, 3],
  ];
  for (const [what, procSelfCgroup, files, parallelism, expected] of cases)
    it(what, () => {
      const fs = cgroupfs(files);
      try {
        expect(usableCpus({ procSelfCgroup, cgroupRoot: fs.root, parallelism })).toBe(expected);
      } finally {
        fs.remove();
      }
    });

  it('the flusher flushes inline with one CPU or less, on the pool with more', () => {
    expect(new Flusher('auto', { cores: 1 }).inline).toBe(true);
    expect(new Flusher('auto', { cores: 0.5 }).inline).toBe(true);
    expect(new Flusher('auto', { cores: 1.5 }).inline).toBe(false);
  });

  // A real cgroup (v1 cpu controller, as on the machines this runs on) needs root.
  const v1 = '/sys/fs/cgroup/cpu';
  const canMakeCgroups =
    process.getuid?.() === 0 &&
    existsSync(join(v1, 'cpu.cfs_quota_us')) &&
    availableParallelism() > 1;
  it.skipIf(!canMakeCgroups)(
    'a process in a cgroup with a one-CPU quota flushes inline; the same process outside does not',
    () => {
      const child = fileURLToPath(new URL('./fixtures/usable-cpus-child.ts', import.meta.url));
      const run = (prefix: string[]) => {
        const r = spawnSync(
          'sh',
          ['-c', `${prefix.join(' ')} exec "$@"`, 'sh', process.execPath, '--import', 'tsx', child],
          { encoding: 'utf8' },
        );
        expect(r.status, r.stderr).toBe(0);
        return JSON.parse(r.stdout) as { cpus: number; inline: boolean };
      };
      const group = join(v1, `codex-test-${process.pid}`);
      mkdirSync(group);
      try {
        writeFileSync(join(group, 'cpu.cfs_period_us'), '100000');
        writeFileSync(join(group, 'cpu.cfs_quota_us'), '100000');
        expect(run([`echo $$ > ${group}/cgroup.procs &&`])).toEqual({ cpus: 1, inline: true });
        expect(run([])).toEqual({ cpus: availableParallelism(), inline: false });
      } finally {
        rmdirSync(group); // its only process has exited
      }
    },
  );
});
