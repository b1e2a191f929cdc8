/**
 * Renders bench results (bench/run.mjs) as a short Markdown report: the load table with
 * ratios to the echo baseline, then the micro figures. Also picks which round counts
 * (`medianRound` for a maximum, `medianP99Round` for the 50% phase), so the rule and the
 * report that states it live together.
 */

const fmt = (n, digits = 0) =>
  typeof n === 'number' && Number.isFinite(n) ? n.toFixed(digits) : '–';
const pct = (x) => (typeof x === 'number' && Number.isFinite(x) ? `${(x * 100).toFixed(0)}%` : '–');
/**
 * The histogram bound (ms) an audit batch's durable wait fell under, as the run output and
 * the report print it: `slowestMsAtMost`, or '> 5000' past the histogram's largest bucket.
 */
export const slowestBound = (ms) => ms ?? '> 5000';

/** Numeric leaves of an object as [dotted.path, value], at most `limit` of them. */
function numericLeaves(value, prefix = '', out = [], limit = 30) {
  if (out.length >= limit || value === null || typeof value !== 'object') return out;
  for (const [k, v] of Object.entries(value)) {
    const key = prefix === '' ? k : `${prefix}.${k}`;
    if (typeof v === 'number') out.push([key, v]);
    else if (typeof v === 'string' && /^(skipped|failed)$/.test(k)) out.push([key, v]);
    else numericLeaves(v, key, out, limit);
    if (out.length >= limit) break;
  }
  return out;
}

/**
 * The audit log's figures of issue 16 in one place: the HTTP pipeline in PostgreSQL mode as
 * a ratio of file mode (same run), the receipt's cost in file mode, and the PostgreSQL
 * driver's durable appends/s, p99 latency and proof latency at size.
 */
function auditSummary(results) {
  const out = [];
  const rows = [];
  for (const [size, t] of Object.entries(results.load ?? {})) {
    const pgRps = t.postgres?.max?.rps;
    const fileRps = t.memory?.max?.rps;
    if (pgRps === undefined || fileRps === undefined) continue;
    rows.push(
      `| HTTP pipeline ${size}, PostgreSQL mode ÷ file mode (max req/s) | ${fmt(pgRps)} ÷ ${fmt(fileRps)} = ${fmt(pgRps / fileRps, 2)} |`,
    );
  }
  if (results.postgresSkipped) rows.push('| PostgreSQL mode | skipped: server not reachable |');
  const r = results.micro?.receipt;
  if (r?.ratio64Writers !== undefined)
    rows.push(
      `| file log with receipts ÷ without, 64 writers (appends/s, medians) | ${fmt(r.withReceipts64Writers)} ÷ ${fmt(r.withoutReceipts64Writers)} = ${fmt(r.ratio64Writers, 3)} |`,
      `| file log with receipts ÷ without, 1 writer (appends/s, medians) | ${fmt(r.withReceipts1Writers)} ÷ ${fmt(r.withoutReceipts1Writers)} = ${fmt(r.ratio1Writers, 3)} |`,
    );
  const p = results.micro?.['pg-audit'];
  if (p?.appendsPerSec64Writers !== undefined) {
    for (const [k, label] of [
      ['1Writer', '1 writer'],
      ['64Writers', '64 writers, one instance'],
      ['2Instances', '2 instances (own pools), 64 writers'],
    ])
      rows.push(
        `| PostgreSQL driver, ${label}: durable appends/s; p99 append latency | ${fmt(p[`appendsPerSec${k}`])}; ${fmt(p[`p99AppendMs${k}`], 1)} ms |`,
      );
    rows.push(
      `| PostgreSQL proofs at ${fmt(p.leaves)} entries: inclusion / consistency, median (p99) | ${fmt(p.inclusionProofMedianUs)} (${fmt(p.inclusionProofP99Us)}) / ${fmt(p.consistencyProofMedianUs)} (${fmt(p.consistencyProofP99Us)}) µs |`,
    );
    if (p.openMsAtLeaves !== undefined)
      rows.push(
        `| a new instance starting on ${fmt(p.leaves)} PostgreSQL entries (head and tail checked; the rest swept in the background) | ${fmt(p.openMsAtLeaves)} ms |`,
      );
  } else if (p?.skipped !== undefined) rows.push(`| PostgreSQL driver | skipped: ${p.skipped} |`);
  if (rows.length === 0) return out;
  out.push('## Audit log (issue 16)', '', '| figure | value |', '|---|---:|', ...rows, '');
  return out;
}

/** How the other servers were kept out of each measured drive (BENCH_PAUSE_OTHERS). */
function pausedWording(pauseOthers) {
  if (pauseOthers === true)
    return " Each measured drive had the servers' core to itself: the other servers were stopped (SIGSTOP) meanwhile.";
  if (pauseOthers === false)
    return ' The other servers kept running during each drive (BENCH_PAUSE_OTHERS=0).';
  return '';
}

/** Where the PostgreSQL target ran (results before `postgresLast` existed alternated it). */
function postgresWording(settings, load) {
  const measured = load !== undefined && Object.values(load).some((t) => t.postgres?.max);
  return settings?.postgresLast === true && measured
    ? " The PostgreSQL target ran after all the others, not alternated with them, and its round ratios are to the echo's earlier rounds."
    : '';
}

/** How phase 2 offered its 50% rate (results before `rateDriver` existed used autocannon). */
function rateWording(settings) {
  const n = settings?.rateConnections;
  return (settings?.rateDriver ?? 'autocannon') === 'open-loop'
    ? `open-loop, ${n} connections (latency from each request's scheduled time)`
    : `autocannon overallRate (closed loop), ${n} connections`;
}

/**
 * The audit log's batches in each gateway phase (`gateway_audit_batch_*`, read before and
 * after the phase): at the maximum and at 50%, how many entries each batch carried and how
 * long it waited to be durable. Every answer of a batch waited that long, so the count of
 * batches over 5 ms bounds how far the p99 at 50% can come down on this disk.
 */
function batchTable(load) {
  const rows = [];
  for (const [size, targets] of Object.entries(load))
    for (const [name, t] of Object.entries(targets))
      for (const [phase, r] of [
        ['max', t.max],
        ['50%', t.halfRate],
      ]) {
        const b = r?.auditBatches;
        if (b === undefined) continue;
        rows.push(
          `| ${size} | ${name} | ${phase} | ${fmt(b.batches)} | ${fmt(b.meanLeaves, 1)} | ${fmt(b.meanCommitMs, 2)} | ${fmt(b.over5ms)} | ${slowestBound(b.slowestMsAtMost)} |`,
        );
      }
  if (rows.length === 0) return [];
  return [
    "Audit batches per phase (`gateway_audit_batch_size`, `gateway_audit_batch_commit_seconds`): the durable wait is the file log's two fdatasyncs as the event loop saw them complete (memory and Redis modes; a busy loop adds to it) or the PostgreSQL transaction; every answer of a batch waited for it.",
    '',
    '| body | target | phase | batches | entries per batch | durable wait mean (ms) | batches over 5 ms | slowest ≤ (ms) |',
    '|---|---|---|---:|---:|---:|---:|---:|',
    ...rows,
    '',
  ];
}

/**
 * What one request costs the server at its maximum and at the 50% rate: CPU over all
 * threads, how busy its one core was at 50% (CPU) and how busy a gateway's event loop
 * was (also blocked in synchronous calls while the core idled), and its context switches
 * per request (all threads; and how often the main thread was preempted). The bare echo
 * is also shown at the memory-mode gateway's 50% rate, so the cost of serving that rate
 * on this machine is read apart from the gateway's own work. The last column is the
 * open-loop driver's own share of the latency: from each request's scheduled time to its
 * write.
 */
function halfRateCostTable(load) {
  const rows = [];
  const row = (size, name, max, half) => {
    const busy =
      half?.serverCpuUsPerRequest === undefined
        ? undefined
        : (half.rps * half.serverCpuUsPerRequest.all) / 1e6;
    rows.push(
      `| ${size} | ${name} | ${fmt(half?.offeredRate)} | ${fmt(max?.serverCpuUsPerRequest?.all)} / ${fmt(half?.serverCpuUsPerRequest?.all)} | ${fmt(busy, 2)} | ${fmt(half?.serverLoopBusy, 2)} | ` +
        `${fmt(max?.serverSwitchesPerRequest?.all, 1)} / ${fmt(half?.serverSwitchesPerRequest?.all, 1)} | ${fmt(half?.serverSwitchesPerRequest?.mainPreempted, 1)} | ` +
        `${fmt(max?.serverMinorFaultsPerRequest, 2)} / ${fmt(half?.serverMinorFaultsPerRequest, 2)} | ${fmt(half?.latencyMs?.p99, 2)} | ${fmt(half?.openLoop?.sendLagMs?.p50, 2)} / ${fmt(half?.openLoop?.sendLagMs?.p99, 2)} |`,
    );
  };
  for (const [size, targets] of Object.entries(load)) {
    for (const [name, t] of Object.entries(targets)) row(size, name, t.max, t.halfRate);
    const echoLow = targets.echo?.atMemoryHalfRate;
    if (echoLow !== undefined) row(size, "echo at memory's 50% rate", targets.echo?.max, echoLow);
  }
  const measured = Object.values(load).some((targets) =>
    Object.values(targets).some((t) => t.halfRate?.serverSwitchesPerRequest !== undefined),
  );
  if (!measured) return [];
  return [
    "What a request costs the server at its maximum and at the 50% rate (CPU over all threads and minor page faults, from `/proc/<pid>/stat`; context switches from `/proc/<pid>/task/*/status`; core busy = answered rate × CPU per request; event loop busy = the share of the phase a gateway's event loop was not waiting for I/O, from `gateway_event_loop_active_seconds_total`, which also counts inline fdatasyncs while the core idles):",
    '',
    "| body | target | 50% rate (req/s) | CPU µs/req, max / 50% | core busy at 50% | event loop busy at 50% | context switches per req, max / 50% | main thread preempted per req at 50% | minor page faults per req, max / 50% | p99 at 50% (ms) | driver's send lag at 50%, p50 / p99 (ms) |",
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
    '',
  ];
}

/** Issue 19's 64 KiB target (memory gateway ÷ echo), also the body floor's yardstick. */
const LARGE_BODY_RATIO = 0.35;

/**
 * Issue 19's four targets, each judged on this run's figures alone: the memory gateway at
 * 1 KiB at least 0.50 of the echo's maximum, Redis mode at 1 KiB at least 0.40, the memory
 * gateway at 64 KiB at least 0.35, and its p99 at 50% load at 1 KiB at most 5 ms (the
 * issue names it in its 1 KiB memory-mode line; Redis mode's p99 is in the load table).
 * `value` is undefined (and `met` false) when the run did not measure it (Redis skipped, a
 * body size left out). `met` compares the unrounded figure; the table shows three decimals.
 * The issue is done only when one run meets all four.
 */
export function targetChecks(load) {
  const ratio = (size, name) => {
    const echo = load?.[size]?.echo?.max?.rps;
    const rps = load?.[size]?.[name]?.max?.rps;
    return echo > 0 && rps !== undefined ? rps / echo : undefined;
  };
  const checks = [
    {
      figure: '1 KiB, memory mode ÷ echo (max req/s)',
      value: ratio('1KiB', 'memory'),
      atLeast: 0.5,
    },
    { figure: '1 KiB, Redis mode ÷ echo (max req/s)', value: ratio('1KiB', 'redis'), atLeast: 0.4 },
    {
      figure: '64 KiB, memory mode ÷ echo (max req/s)',
      value: ratio('64KiB', 'memory'),
      atLeast: LARGE_BODY_RATIO,
    },
    {
      figure: '1 KiB, memory mode, p99 at 50% load (ms)',
      value: load?.['1KiB']?.memory?.halfRate?.latencyMs?.p99,
      atMost: 5,
      rounds: p99Rounds(load?.['1KiB']?.memory?.halfRate),
    },
  ];
  // Each threshold is written once: the target's text and its verdict both come from it.
  return checks.map(({ figure, value, atLeast, atMost, rounds }) => ({
    figure,
    rounds,
    want: atLeast !== undefined ? `≥ ${atLeast.toFixed(2)}` : `≤ ${atMost}`,
    value,
    met: Number.isFinite(value) && (atLeast !== undefined ? value >= atLeast : value <= atMost),
  }));
}

/** The targets table: each figure against its target, and how many this run met. */
function targetsTable(load) {
  const checks = targetChecks(load);
  const met = checks.filter((c) => c.met).length;
  return [
    `Issue 19's targets in this run: ${met} of ${checks.length} met${met === checks.length ? ' (all in one run)' : ''}. The echo's p99 at the memory gateway's 50% rate (table below) is what this machine charges for serving that rate with no gateway work.`,
    '',
    '| figure | target | this run | met |',
    '|---|---|---:|---|',
    ...checks.map(
      (c) =>
        `| ${c.figure} | ${c.want} | ${c.value === undefined ? 'not measured' : fmt(c.value, 3) + (c.rounds ?? '')} | ${c.met ? 'yes' : 'no'} |`,
    ),
    '',
  ];
}

/**
 * What the 64 KiB body's own work leaves of the 64 KiB target on this machine: the echo's
 * main-thread CPU per request at its maximum (E, which a gateway also spends receiving the
 * request), and the body's SHA-256 and check 7's parse per body (F, bench/micro/body.bench.mjs,
 * which every gateway must do). A gateway that did nothing else would reach about
 * E ÷ (E + F) of the echo. An estimate, not a bound: the gateway's events lane skips the
 * Hono layer the echo runs, and the micro figure is taken with warm caches.
 */
export function bodyCeiling(results) {
  const echoUs = results.load?.['64KiB']?.echo?.max?.serverCpuUsPerRequest?.main;
  const body = results.micro?.body?.results?.['64KiB'];
  if (!(echoUs > 0) || !(body?.requiredUs > 0)) return [];
  const ceiling = echoUs / (echoUs + body.requiredUs);
  return [
    `At 64 KiB the body's own work caps the ratio: the echo used ${fmt(echoUs, 1)} µs of main-thread CPU per request at its maximum; the SHA-256 the signature covers (${fmt(body.sha256Us, 1)} µs) and check 7's parse (${fmt(body.parseJsonBodyUs, 1)} µs, \`JSON.parse\` alone ${fmt(body.jsonParseUs, 1)}) take ${fmt(body.requiredUs, 1)} µs per body (micro benchmark \`body\`). A gateway doing only that would reach about ${fmt(echoUs, 1)} ÷ (${fmt(echoUs, 1)} + ${fmt(body.requiredUs, 1)}) = ${fmt(ceiling, 2)} of the echo; ${LARGE_BODY_RATIO} needs the echo to spend at least ${fmt((body.requiredUs * LARGE_BODY_RATIO) / (1 - LARGE_BODY_RATIO), 1)} µs.`,
    '',
  ];
}

/**
 * The p99 target's rounds beside the disk: each 1 KiB 50% round of the memory gateway as
 * its p99, the number of its audit batches whose durable wait (the fdatasyncs every answer
 * of the batch waited for) passed 5 ms and the bound the slowest fell under, sorted by that
 * number, so a run shows how much of its p99 the disk's slow flushes set. Empty when the
 * rounds or their batches were not measured.
 */
export function p99BySlowFlushes(load) {
  const half = load?.['1KiB']?.memory?.halfRate;
  const p99s = half?.roundsP99 ?? [];
  const slow = half?.roundsSlowBatches ?? [];
  // A round without batch counts: undefined in memory, null once read back from JSON.
  if (p99s.length === 0 || p99s.some((_, i) => slow[i] == null)) return [];
  const rounds = p99s
    .map((p99, i) => ({ p99, ...slow[i] }))
    .sort((a, b) => a.over5ms - b.over5ms || a.p99 - b.p99)
    .map((r) =>
      r.over5ms === 0
        ? `${fmt(r.p99, 2)} ms (0)`
        : `${fmt(r.p99, 2)} ms (${r.over5ms}, slowest ≤ ${slowestBound(r.slowestMsAtMost)} ms)`,
    );
  return [
    `The p99 target's rounds beside the disk: each 1 KiB 50% round of the memory gateway as its p99 and, in brackets, its audit batches whose durable wait passed 5 ms (every answer of such a batch waited that long) with the histogram bound the slowest fell under: ${rounds.join(', ')}. The \`disk\` micro benchmark shows how often this machine's fdatasync alone takes that long.`,
    '',
  ];
}

/** The middle of `rounds` ranked from best to worst by `worse` (of an even count, the worse middle one). */
function middleRound(rounds, worse) {
  const ranked = [...rounds].sort((a, b) => worse(a) - worse(b));
  return ranked[ranked.length >> 1];
}

/**
 * The median round of one target at one connection level, by req/s (of an even count, the
 * slower middle one), with every round's req/s in run order as `roundsRps`.
 */
export function medianRound(rounds) {
  return { ...middleRound(rounds, (r) => -r.rps), roundsRps: rounds.map((r) => r.rps) };
}

/**
 * The 50% phase's round with the median p99 (of an even count, the higher of the two
 * middle ones), with every round's p99, failed requests and driver warnings beside it, and
 * for a gateway each round's count of audit batches whose durable wait passed 5 ms and the
 * histogram bound its slowest batch fell under.
 */
export function medianP99Round(rounds) {
  return {
    ...middleRound(rounds, (r) => r.latencyMs.p99),
    roundsP99: rounds.map((r) => r.latencyMs.p99),
    roundsSlowBatches: rounds.map((r) =>
      r.auditBatches === undefined
        ? undefined
        : { over5ms: r.auditBatches.over5ms, slowestMsAtMost: r.auditBatches.slowestMsAtMost },
    ),
    roundsFailed: rounds.reduce((n, r) => n + (r.non2xx ?? 0) + (r.errors ?? 0), 0),
    roundsWarnings: rounds.flatMap((r, i) =>
      r.openLoop?.warning === undefined ? [] : [`round ${i + 1}: ${r.openLoop.warning}`],
    ),
  };
}

/**
 * `rounds 0.31–0.36` between `before` and `after`: the lowest and highest per-round
 * figure, or '' when there were no rounds.
 */
function roundRange(values, before, after = '') {
  if (!Array.isArray(values) || values.length < 2) return '';
  return `${before}rounds ${fmt(Math.min(...values), 2)}–${fmt(Math.max(...values), 2)}${after}`;
}

/** ` (rounds 3.12–21.07)`: the 50% phase's lowest and highest p99, when it ran in rounds. */
function p99Rounds(half) {
  return roundRange(half?.roundsP99, ' (', ')');
}

export function renderMarkdown(results) {
  const openLoop = results.settings?.rateDriver === 'open-loop';
  const warnings = [];
  const lines = [`# Bench results (${results.startedAt})`, ''];
  const m = results.machine ?? {};
  lines.push(
    `Machine: ${m.cpus} × ${m.cpuModel}, Node ${m.node}, ${m.platform}. ` +
      `Runs of ${results.settings?.durationSec} s; connections ${results.settings?.connections?.join(', ')} for the maximum` +
      (results.settings?.rounds === undefined
        ? '; '
        : ` (${results.settings.rounds} rounds, targets alternated inside each; the median round at the best level counts, and the ratio column gives the range of each round's ratio to the echo's run of that round); `) +
      `${rateWording(results.settings)} at 50% of the maximum` +
      (results.load !== undefined &&
      Object.values(results.load).some((t) => t.memory?.halfRate?.roundsP99?.length > 1)
        ? " (in rounds too, targets alternated; the round with the median p99 counts, and every round's p99 range is given)"
        : '') +
      `. Gateway LOG_LEVEL=${results.settings?.gatewayLogLevel}.` +
      pausedWording(results.settings?.pauseOthers) +
      postgresWording(results.settings, results.load) +
      (results.settings?.glibcTunables
        ? ` Every server: GLIBC_TUNABLES=${results.settings.glibcTunables}.`
        : '') +
      (results.settings?.redis === undefined ? '' : ` Redis mode: ${results.settings.redis}.`),
    '',
  );
  if (results.load !== undefined) {
    lines.push(
      `| body | target | max req/s (conns) | ratio to echo | server CPU µs/req at max (main thread / all) | p50 / p99 at max (ms) | 50% rate (req/s${openLoop ? ', offered (answered)' : ''}) | p50 / p99 at 50% (ms) | non-2xx / errors |`,
      '|---|---|---:|---:|---:|---:|---:|---:|---:|',
    );
    for (const [size, targets] of Object.entries(results.load)) {
      const echo = targets.echo?.max?.rps;
      for (const [name, t] of Object.entries(targets)) {
        const max = t.max ?? {};
        const half = t.halfRate ?? {};
        const bad =
          (t.levels ?? []).reduce((a, r) => a + (r.non2xx ?? 0) + (r.errors ?? 0), 0) +
          (half.roundsFailed ?? (half.non2xx ?? 0) + (half.errors ?? 0));
        lines.push(
          `| ${size} | ${name} | ${fmt(max.rps)} (${max.connections ?? '–'}) | ${name === 'echo' ? '1.00' : fmt(max.rps / echo, 2) + ` (${pct(max.rps / echo)}${roundRange(max.roundRatios, '; ')})`} | ` +
            `${fmt(max.serverCpuUsPerRequest?.main)} / ${fmt(max.serverCpuUsPerRequest?.all)} | ` +
            `${fmt(max.latencyMs?.p50, 1)} / ${fmt(max.latencyMs?.p99, 1)} | ${fmt(half.offeredRate)}` +
            `${openLoop ? ` (${fmt(half.rps)})` : ''} | ` +
            `${fmt(half.latencyMs?.p50, openLoop ? 2 : 1)} / ${fmt(half.latencyMs?.p99, openLoop ? 2 : 1)}${p99Rounds(half)} | ${bad} |`,
        );
        for (const w of half.roundsWarnings ??
          (half.openLoop?.warning === undefined ? [] : [half.openLoop.warning]))
          warnings.push(`${size} ${name} at 50%: ${w}.`);
      }
    }
    lines.push('');
    if (warnings.length > 0)
      lines.push(
        'The 50% schedule was not kept (open-loop driver):',
        '',
        ...warnings.map((w) => `- ${w}`),
        '',
      );
  } else {
    lines.push('Load phase did not complete (see the run output).', '');
  }
  if (results.load !== undefined)
    lines.push(
      ...targetsTable(results.load),
      ...bodyCeiling(results),
      ...p99BySlowFlushes(results.load),
      ...halfRateCostTable(results.load),
      ...batchTable(results.load),
    );
  if (results.redisSkipped) lines.push('Redis mode skipped: Redis was not reachable.', '');
  lines.push(...auditSummary(results));
  if (results.stages !== undefined) {
    lines.push(
      'Where a gateway request spends its time, over every request of the run (`gateway_stage_duration_seconds`; p99 is the upper bound of its histogram bucket):',
      '',
      '| mode | verify (checks 1–6) µs, mean / p99 ≤ | policy µs, mean / p99 ≤ | audit append (durable) µs, mean / p99 ≤ |',
      '|---|---:|---:|---:|',
    );
    const cell = (x) => `${x?.meanMicros ?? '–'} / ${x?.p99BucketMicros ?? '–'}`;
    for (const [mode, st] of Object.entries(results.stages))
      lines.push(
        `| ${mode} | ${cell(st.verify)} | ${cell(st.policy)} | ${cell(st.audit_append)} |`,
      );
    lines.push('');
  }
  lines.push('## Micro benchmarks', '');
  for (const [name, value] of Object.entries(results.micro ?? {})) {
    const leaves = numericLeaves(value).filter(([k]) => k !== 'bench');
    lines.push(`**${name}**`, '');
    if (leaves.length === 0) {
      lines.push('(no figures)', '');
      continue;
    }
    lines.push('| figure | value |', '|---|---:|');
    for (const [k, v] of leaves)
      lines.push(`| ${k} | ${typeof v === 'number' ? +v.toPrecision(4) : v} |`);
    lines.push('');
  }
  return lines.join('\n') + '\n';
}
