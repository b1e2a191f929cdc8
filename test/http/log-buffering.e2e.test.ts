import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { STDOUT_BUFFERING } from '../../src/logger.js';
import { startGateway, type GatewayProcess } from '../helpers/gateway-process.js';
import { TYPESCRIPT_LOADER, repoRoot } from '../helpers/paths.js';

// The real process's stdout: log lines are gathered before they are written (src/logger.ts),
// and none may be lost on the way out or stay unwritten while the gateway idles.

const running: GatewayProcess[] = [];
afterEach(async () => {
  for (const gw of running.splice(0)) await gw.stop('SIGKILL');
});

async function gateway(): Promise<GatewayProcess> {
  const gw = await startGateway();
  running.push(gw);
  return gw;
}

describe('the gateway log on stdout', () => {
  it('gathers lines up to 4 KiB but writes a lone line once the periodic flush comes', async () => {
    expect(STDOUT_BUFFERING).toMatchObject({ sync: false, minLength: 4096, periodicFlush: 100 });
    const gw = await gateway();
    const res = await gw.post('/v1/events');
    expect(res.status).toBe(200);
    const id = res.headers.get('x-request-id')!;
    // One line is far below 4 KiB: only the timer can write it while no other traffic comes.
    expect(await gw.accessLine(id)).toMatchObject({ status: 200 });
  });

  it('writes every gathered line before a SIGTERM exit', async () => {
    const gw = await gateway();
    const ids: string[] = [];
    for (let i = 0; i < 25; i++) {
      const res = await gw.post('/v1/events');
      expect(res.status).toBe(200);
      ids.push(res.headers.get('x-request-id')!);
    }
    expect(await gw.stop('SIGTERM')).toBe(0);
    // The process is gone: a line not printed by now never will be (accessLine then throws).
    for (const id of ids) expect(await gw.accessLine(id)).toMatchObject({ status: 200 });
    expect(gw.output.some((l) => l.includes('"msg":"shutting down'))).toBe(true);
  });

  it('writes the lines logged before a refused start, then exits 1', async () => {
    const gw = await gateway();
    const dir = path.join(gw.dir, 'second');
    // Its own data dir and files, but the first gateway's port: listen fails after start-up logged.
    const second = spawnSync(
      process.execPath,
      [...TYPESCRIPT_LOADER, path.join(repoRoot, 'src/main.ts')],
      {
        cwd: repoRoot,
        encoding: 'utf8',
        timeout: 60_000,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '',
          PORT: String(gw.port),
          HOST: '127.0.0.1',
          LOG_LEVEL: 'info',
          GATEWAY_DATA_DIR: path.join(dir, 'data'),
          GATEWAY_CLIENTS_FILE: path.join(gw.dir, 'clients.json'),
          GATEWAY_POLICY_FILE: path.join(gw.dir, 'policy.json'),
          GATEWAY_LOG_ORIGIN: 'test.codex-gateway.local/log',
        },
      },
    );
    expect(second.status).toBe(1);
    expect(second.stderr).toMatch(/cannot listen on 127\.0\.0\.1:\d+: EADDRINUSE/);
    expect(second.stdout).toMatch(/"msg":"nonces of the current window recovered/);
  });
});
