import type { Metric, Registry } from 'prom-client';

/**
 * Counters and histograms for the request path (issue 19). prom-client hashes the label
 * object on every `inc`/`observe` (sort the names, join name:value pairs, look the string
 * up); here the caller keeps one series object per label tuple (found once through its own
 * `Map`s) and an update is an add. The families register in the same prom-client registry
 * as custom metrics, and the registry renders them, so the exposition text is the one
 * prom-client's `Counter`/`Histogram` gave: the same names, help, types, label order (`le`
 * first), values, and series in the order they were first used.
 */

type Labels = Readonly<Record<string, string>>;

/** One counter series: its label values and its count. */
export interface CounterSeries {
  readonly labels: Labels;
  value: number;
  /** Set by the family's `reset`: no longer shown; the caller must make a new series. */
  dropped: boolean;
}

/** One histogram series: per-bucket counts (not cumulative), sum and count. */
export interface HistogramSeries {
  readonly labels: Labels;
  readonly counts: Float64Array;
  sum: number;
  count: number;
  /** Set by the family's `reset`: no longer shown; the caller must make a new series. */
  dropped: boolean;
}

interface ValuePair {
  readonly labels: Record<string, string | number>;
  readonly value: number;
  readonly metricName?: string;
  readonly sharedLabels?: Labels;
}

interface MetricData {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'histogram';
  readonly values: ValuePair[];
  readonly aggregator: 'sum';
}

/**
 * Throws for a value a histogram refuses, as prom-client's `observe` did (before it made
 * the series): a NaN sum would poison the series for good.
 */
export function checkObservation(value: number): void {
  if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
}

/**
 * What both families share: registration in the prom-client registry as a custom metric,
 * the series in order of first use, and prom-client's `reset()` (what
 * `registry.resetMetrics()` calls): every series is dropped, so the exposition shows none
 * until they are used again, in the order of that new first use. Callers keep series
 * objects: a dropped one is marked, and they replace it through `series` (see
 * prometheus-metrics.ts).
 */
abstract class SeriesFamily<S extends { dropped: boolean }> {
  readonly aggregator = 'sum';
  protected list: S[] = [];

  constructor(
    readonly name: string,
    readonly help: string,
    registry: Registry,
  ) {
    registry.registerMetric(this as unknown as Metric);
  }

  reset(): void {
    for (const s of this.list) s.dropped = true;
    this.list = [];
  }

  protected add(s: S): S {
    this.list.push(s);
    return s;
  }
}

export class CounterFamily extends SeriesFamily<CounterSeries> {
  readonly type = 'counter';

  /** A new series, shown from the next scrape on; keep it and call `inc` with it. */
  series(labels: Labels): CounterSeries {
    return this.add({ labels, value: 0, dropped: false });
  }

  /** What prom-client's `Counter.get()` returns (the registry renders it). */
  get(): Promise<MetricData> {
    return Promise.resolve({
      name: this.name,
      help: this.help,
      type: this.type,
      values: this.list.map((s) => ({ value: s.value, labels: { ...s.labels } })),
      aggregator: this.aggregator,
    });
  }
}

export class HistogramFamily extends SeriesFamily<HistogramSeries> {
  readonly type = 'histogram';

  constructor(
    name: string,
    help: string,
    /** Upper bounds, ascending (`+Inf` is implicit). */
    private readonly bounds: readonly number[],
    registry: Registry,
  ) {
    super(name, help, registry);
  }

  /** A new series, shown from the next scrape on; keep it and call `observe` with it. */
  series(labels: Labels): HistogramSeries {
    return this.add({
      labels,
      counts: new Float64Array(this.bounds.length),
      sum: 0,
      count: 0,
      dropped: false,
    });
  }

  /**
   * Records `value` in `s`: the first bucket whose bound is ≥ value (none: only `+Inf`).
   * Call `checkObservation` first, before making a series for it.
   */
  observe(s: HistogramSeries, value: number): void {
    const bounds = this.bounds;
    for (let i = 0; i < bounds.length; i++)
      if (value <= bounds[i]!) {
        s.counts[i]! += 1;
        break;
      }
    s.sum += value;
    s.count += 1;
  }

  /** What prom-client's `Histogram.getForPromString()` returns: the registry renders it. */
  getForPromString(): Promise<MetricData> {
    const values: ValuePair[] = [];
    const bucket = `${this.name}_bucket`;
    for (const s of this.list) {
      let acc = 0;
      this.bounds.forEach((le, i) => {
        acc += s.counts[i]!;
        values.push({ labels: { le }, value: acc, metricName: bucket, sharedLabels: s.labels });
      });
      values.push(
        { labels: { le: '+Inf' }, value: s.count, metricName: bucket, sharedLabels: s.labels },
        { labels: {}, value: s.sum, metricName: `${this.name}_sum`, sharedLabels: s.labels },
        { labels: {}, value: s.count, metricName: `${this.name}_count`, sharedLabels: s.labels },
      );
    }
    return Promise.resolve({
      name: this.name,
      help: this.help,
      type: this.type,
      values,
      aggregator: this.aggregator,
    });
  }

  /** What prom-client's `Histogram.get()` returns (labels merged, for JSON readers). */
  async get(): Promise<MetricData> {
    const data = await this.getForPromString();
    return {
      ...data,
      values: data.values.map(({ labels, sharedLabels, ...rest }) => ({
        ...rest,
        labels: { ...labels, ...sharedLabels },
      })),
    };
  }
}
