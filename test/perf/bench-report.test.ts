import { describe, expect, it } from 'vitest';
import {
  bodyCeiling,
  medianP99Round,
  medianRound,
  p99BySlowFlushes,
  renderMarkdown,
  targetChecks,
  // @ts-expect-error: a plain ESM module of the bench, without type declarations
} from '../../bench/report.mjs';

interface Check {
  readonly figure: string;
  readonly want: string;
  readonly value: number | undefined;
  readonly met: boolean;
}

/** A bench run's `load` with the figures issue 19 judges (bench/run.mjs's shape). */
function load(f: {
  echo1: number;
  mem1: number;
  redis1?: number;
  echo64?: number;
  mem64?: number;
  p99: number;
}) {
  const max = (rps: number) => ({ max: { rps } });
  return {
    '1KiB': {
      echo: max(f.echo1),
      memory: { ...max(f.mem1), halfRate: { latencyMs: { p50: 1, p99: f.p99 } } },
      ...(f.redis1 === undefined ? {} : { redis: max(f.redis1) }),
    },
    ...(f.echo64 === undefined || f.mem64 === undefined
      ? {}
      : { '64KiB': { echo: max(f.echo64), memory: max(f.mem64) } }),
  };
}

const verdicts = (l: unknown): boolean[] => (targetChecks(l) as Check[]).map((c) => c.met);

// bench/report.mjs states in every report which of issue 19's four targets the run met, so
// a reader does not compare each figure by hand; these pin the thresholds and their edges.
describe('bench report: issue 19 targets', () => {
  it('meets each target exactly at its threshold and misses it just past it', () => {
    const at = load({
      echo1: 10_000,
      mem1: 5_000,
      redis1: 4_000,
      echo64: 1_000,
      mem64: 350,
      p99: 5,
    });
    expect(verdicts(at)).toEqual([true, true, true, true]);
    const past = load({
      echo1: 10_000,
      mem1: 4_999,
      redis1: 3_999,
      echo64: 1_000,
      mem64: 349,
      p99: 5.001,
    });
    expect(verdicts(past)).toEqual([false, false, false, false]);
    const values = (targetChecks(past) as Check[]).map((c) => c.value);
    expect(values).toEqual([0.4999, 0.3999, 0.349, 5.001]);
  });

  it('reports a figure the run did not measure as not met, never as met', () => {
    const checks = targetChecks(load({ echo1: 10_000, mem1: 6_000, p99: 2 })) as Check[];
    expect(checks.map((c) => [c.value, c.met])).toEqual([
      [0.6, true],
      [undefined, false],
      [undefined, false],
      [2, true],
    ]);
  });

  it('renders each figure with three decimals, its verdict from the unrounded figure, and the count met', () => {
    const results = {
      startedAt: 'test',
      settings: { rateDriver: 'open-loop' },
      load: load({
        echo1: 10_000,
        mem1: 4_999,
        redis1: 4_100,
        echo64: 1_000,
        mem64: 400,
        p99: 7.5,
      }),
    };
    const md = renderMarkdown(results) as string;
    expect(md).toContain("Issue 19's targets in this run: 2 of 4 met.");
    expect(md).toContain('| 1 KiB, memory mode ÷ echo (max req/s) | ≥ 0.50 | 0.500 | no |');
    expect(md).toContain('| 1 KiB, Redis mode ÷ echo (max req/s) | ≥ 0.40 | 0.410 | yes |');
    expect(md).toContain('| 1 KiB, memory mode, p99 at 50% load (ms) | ≤ 5 | 7.500 | no |');
    const all = renderMarkdown({
      ...results,
      load: load({ echo1: 10_000, mem1: 5_500, redis1: 4_100, echo64: 1_000, mem64: 400, p99: 4 }),
    }) as string;
    expect(all).toContain('4 of 4 met (all in one run)');
  });

  it("takes the 50% phase's round with the median p99 (the worse middle one of an even count)", () => {
    const round = (p99: number, non2xx = 0, warning?: string) => ({
      latencyMs: { p50: 1, p99 },
      non2xx,
      errors: 0,
      ...(warning === undefined ? {} : { openLoop: { warning } }),
    });
    const three = medianP99Round([round(21.07, 2, 'late'), round(4.2), round(3.81, 1)]);
    expect(three.latencyMs.p99).toBe(4.2);
    expect(three.roundsP99).toEqual([21.07, 4.2, 3.81]);
    expect(three.roundsFailed).toBe(3);
    expect(three.roundsWarnings).toEqual(['round 1: late']);
    expect(medianP99Round([round(3), round(9)]).latencyMs.p99).toBe(9);
    expect(medianP99Round([round(7)]).roundsP99).toEqual([7]);
    const withBatches = (p99: number, over5ms: number, slowestMsAtMost: number | null) => ({
      ...round(p99),
      auditBatches: { batches: 900, over5ms, slowestMsAtMost },
    });
    expect(
      medianP99Round([withBatches(24.21, 3, 25), withBatches(4.7, 0, 5)]).roundsSlowBatches,
    ).toEqual([
      { over5ms: 3, slowestMsAtMost: 25 },
      { over5ms: 0, slowestMsAtMost: 5 },
    ]);
    // The echo's rounds have no audit batches.
    expect(medianP99Round([round(2)]).roundsSlowBatches).toEqual([undefined]);
  });

  it("sets each 50% round's p99 beside its audit batches over 5 ms, fewest first", () => {
    const rounds = load({ echo1: 10_000, mem1: 5_500, p99: 13.23 });
    const slow: ({ over5ms: number; slowestMsAtMost: number } | undefined)[] = [
      { over5ms: 3, slowestMsAtMost: 25 },
      { over5ms: 0, slowestMsAtMost: 5 },
      { over5ms: 2, slowestMsAtMost: 10 },
    ];
    Object.assign(rounds['1KiB'].memory.halfRate, {
      roundsP99: [24.21, 4.7, 13.23],
      roundsSlowBatches: slow,
    });
    const [line] = p99BySlowFlushes(rounds) as string[];
    expect(line).toContain(
      ': 4.70 ms (0), 13.23 ms (2, slowest ≤ 10 ms), 24.21 ms (3, slowest ≤ 25 ms).',
    );
    expect(renderMarkdown({ startedAt: 'test', settings: {}, load: rounds })).toContain(line);
    // A round whose batches were not counted (an older results file, or null as JSON
    // writes an undefined in an array): nothing is claimed.
    slow[1] = undefined;
    expect(p99BySlowFlushes(rounds)).toEqual([]);
    const readBack = JSON.parse(JSON.stringify(rounds));
    expect(readBack['1KiB'].memory.halfRate.roundsSlowBatches[1]).toBeNull();
    expect(p99BySlowFlushes(readBack)).toEqual([]);
    expect(p99BySlowFlushes({})).toEqual([]);
  });

  it("takes a maximum's round with the median req/s (the slower middle one of an even count)", () => {
    const round = (rps: number) => ({ rps });
    const three = medianRound([round(7_000), round(5_000), round(6_000)]);
    expect(three.rps).toBe(6_000);
    expect(three.roundsRps).toEqual([7_000, 5_000, 6_000]);
    expect(medianRound([round(9_000), round(3_000)]).rps).toBe(3_000);
    expect(medianRound([round(4_000)]).roundsRps).toEqual([4_000]);
  });

  it('shows the 50% rounds: their p99 range, failures and warnings', () => {
    const rounds = load({ echo1: 10_000, mem1: 5_500, p99: 4.2 });
    Object.assign(rounds['1KiB'].memory.halfRate, {
      roundsP99: [21.07, 4.2, 3.81],
      roundsFailed: 3,
      roundsWarnings: ['round 1: scheduler fell up to 12 ms behind'],
    });
    const md = renderMarkdown({
      startedAt: 'test',
      settings: { rateDriver: 'open-loop' },
      load: rounds,
    }) as string;
    expect(md).toContain('the round with the median p99 counts');
    expect(md).toContain(
      '| 1 KiB, memory mode, p99 at 50% load (ms) | ≤ 5 | 4.200 (rounds 3.81–21.07) | yes |',
    );
    expect(md).toContain('1.00 / 4.20 (rounds 3.81–21.07) | 3 |');
    expect(md).toContain('- 1KiB memory at 50%: round 1: scheduler fell up to 12 ms behind.');
  });

  it("sets the 64 KiB body's own work against the echo's CPU per request", () => {
    const results = {
      load: {
        '64KiB': { echo: { max: { rps: 20_000, serverCpuUsPerRequest: { main: 40, all: 42 } } } },
      },
      micro: {
        body: {
          results: {
            '64KiB': { sha256Us: 39, parseJsonBodyUs: 41, jsonParseUs: 31, requiredUs: 80 },
          },
        },
      },
    };
    const [line] = bodyCeiling(results) as string[];
    // 40 ÷ (40 + 80) = 0.33; 0.35 needs 80 × 0.35 ÷ 0.65 = 43.1 µs of echo CPU.
    expect(line).toContain('40.0 ÷ (40.0 + 80.0) = 0.33 of the echo');
    expect(line).toContain('at least 43.1 µs');
    expect(renderMarkdown({ startedAt: 'test', settings: {}, ...results })).toContain(line);
    // Without the micro figure (BENCH_SKIP_MICRO=1) or the 64 KiB echo, nothing is claimed.
    expect(bodyCeiling({ load: results.load, micro: {} })).toEqual([]);
    expect(bodyCeiling({ load: {}, micro: results.micro })).toEqual([]);
  });

  it('says whether the other servers were stopped during each drive', () => {
    const header = (settings: object) =>
      (renderMarkdown({ startedAt: 'test', settings }) as string).split('\n')[2];
    expect(header({ pauseOthers: true })).toContain(
      'the other servers were stopped (SIGSTOP) meanwhile',
    );
    expect(header({ pauseOthers: false })).toContain('kept running during each drive');
    // An older results file says neither.
    expect(header({})).not.toMatch(/SIGSTOP|kept running/);
  });

  it('says when the PostgreSQL target ran after the others', () => {
    const header = (settings: object, load?: object) =>
      (renderMarkdown({ startedAt: 'test', settings, load }) as string).split('\n')[2];
    const load = { '1KiB': { postgres: { max: { rps: 1, connections: 8 } } } };
    expect(header({ postgresLast: true }, load)).toContain(
      'The PostgreSQL target ran after all the others',
    );
    // Not measured (skipped), or an older results file: nothing is said.
    expect(header({ postgresLast: true }, { '1KiB': {} })).not.toContain('PostgreSQL target');
    expect(header({}, load)).not.toContain('PostgreSQL target');
  });
});
