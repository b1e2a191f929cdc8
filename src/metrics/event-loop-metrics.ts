import { performance } from 'node:perf_hooks';
import { Counter, type Registry } from 'prom-client';

/**
 * `gateway_event_loop_active_seconds_total`: the seconds the event loop has spent outside
 * its wait for I/O since start (`performance.eventLoopUtilization().active`), so running
 * callbacks or blocked in a synchronous call, such as an audit fdatasync made on the loop
 * (audit/storage/flusher.ts). Its rate is the loop's utilisation: near 1, every new
 * request queues behind the one in hand. CPU time alone misses the part spent blocked
 * while the core idles (bench/README.md, issue 19). Read at scrape time only.
 */
export function registerEventLoopMetrics(registry: Registry): void {
  new Counter({
    name: 'gateway_event_loop_active_seconds_total',
    help: 'Seconds the event loop spent outside its wait for I/O since start (running callbacks or blocked in a synchronous call); its rate is the loop utilisation.',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(performance.eventLoopUtilization().active / 1000);
    },
  });
}
