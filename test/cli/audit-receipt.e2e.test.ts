import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, testClient } from '../helpers/credentials.js';
import { runCliProcess } from '../helpers/cli-process.js';
import { startGateway, type GatewayProcess } from '../helpers/gateway-process.js';

/**
 * `codex-gateway audit verify --receipt FILE` (docs/protocol.md §9) through the real CLI process
 * against a real gateway process: a saved answer verifies offline and live; a tampered
 * receipt, a wrong key and a log that no longer holds the receipt's tree all fail with one
 * FAILED line and exit 1.
 */
const client = testClient();
let gw: GatewayProcess;
let vkey: string;
const dir = tempDir('codex-receipt-e2e-');
const saved: string[] = [];

async function saveAnswer(body: unknown, name: string): Promise<Record<string, unknown>> {
  const res = await gw.post('/v1/events', body);
  expect(res.status).toBe(200);
  const answer = (await res.json()) as Record<string, unknown>;
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify(answer));
  saved.push(file);
  return answer;
}

const verifyArgs = (file: string, key = vkey) => [
  'audit',
  'verify',
  '--receipt',
  file,
  '--vkey',
  key,
];
const live = (g: GatewayProcess) => ['--url', g.url, '--api-key', client.apiKey];

beforeAll(async () => {
  gw = await startGateway({ client, dir, startTimeoutMs: 30_000 });
  vkey = ((await (await gw.get('/v1/audit/key')).json()) as { vkey: string }).vkey;
  for (let i = 0; i < 3; i++)
    await saveAnswer({ action: 'build', target: `acme/r${i}`, steps: [] }, `answer-${i}.json`);
}, 60_000);
afterAll(async () => {
  await gw.stop();
});

describe('audit verify --receipt', () => {
  it('verifies a saved answer offline and against the live log, also after the log grew', async () => {
    const offline = await runCliProcess(verifyArgs(saved[0]!), { timeoutMs: 30_000 });
    expect(offline.stderr).toBe('');
    expect(offline.code).toBe(0);
    expect(offline.stdout).toMatch(
      /^audit verify: OK: receipt for entry \d+: checkpoint of size \d+ signed by/,
    );
    await saveAnswer({ action: 'build', target: 'acme/later', steps: [] }, 'answer-later.json');
    // Only the audit object, as a client might keep it.
    const auditOnly = path.join(dir, 'audit-only.json');
    const answer = JSON.parse((await import('node:fs')).readFileSync(saved[1]!, 'utf8'));
    writeFileSync(auditOnly, JSON.stringify(answer.audit));
    for (const file of [saved[0]!, auditOnly]) {
      const r = await runCliProcess([...verifyArgs(file), ...live(gw)], { timeoutMs: 30_000 });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(
        /live log of size \d+ is consistent with it and still includes entry/,
      );
    }
  }, 90_000);

  it('fails a tampered receipt: another leaf hash, an edited checkpoint, a shortened proof, a wrong key', async () => {
    const { readFileSync } = await import('node:fs');
    const answer = JSON.parse(readFileSync(saved[2]!, 'utf8')) as {
      audit: { index: number; leafHash: string; checkpoint: string; proof: string[] };
    };
    const cases: [string, unknown, RegExp][] = [
      ['leaf', { ...answer.audit, leafHash: 'ab'.repeat(32) }, /is NOT included in its checkpoint/],
      [
        'size',
        {
          ...answer.audit,
          checkpoint: answer.audit.checkpoint.replace(
            /\n(\d+)\n/,
            (_m, n: string) => `\n${Number(n) + 1}\n`,
          ),
        },
        /does not verify/,
      ],
      ['proof', { ...answer.audit, proof: answer.audit.proof.slice(1) }, /NOT included/],
      [
        'index',
        { ...answer.audit, index: answer.audit.index + 100 },
        /not in its checkpoint's tree/,
      ],
    ];
    for (const [name, receipt, message] of cases) {
      const file = path.join(dir, `tampered-${name}.json`);
      writeFileSync(file, JSON.stringify(receipt));
      const r = await runCliProcess([...verifyArgs(file), ...live(gw)], { timeoutMs: 30_000 });
      expect(r.code, name).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^audit verify: FAILED: /);
      expect(r.stderr, name).toMatch(message);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    }
    const other = await startGateway({ client, startTimeoutMs: 30_000 });
    try {
      const otherKey = ((await (await other.get('/v1/audit/key')).json()) as { vkey: string }).vkey;
      const r = await runCliProcess(verifyArgs(saved[2]!, otherKey), { timeoutMs: 30_000 });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^audit verify: FAILED: note has no signature by/);
    } finally {
      await other.stop();
    }
  }, 120_000);

  it('catches a log that no longer holds the receipt (same key, history cut)', async () => {
    // A gateway with the SAME log key and origin but a shorter, different history: the
    // operator "lost" the entries the receipts cover. Offline the receipt still verifies.
    const cut = await startGateway({
      client,
      startTimeoutMs: 30_000,
      env: { GATEWAY_LOG_KEY_FILE: path.join(dir, 'data', 'audit-log.key') },
    });
    try {
      await cut.post('/v1/events', { action: 'build', target: 'acme/other', steps: [] });
      const r = await runCliProcess([...verifyArgs(saved[2]!), ...live(cut)], {
        timeoutMs: 30_000,
      });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /^audit verify: FAILED: (log shrank from \d+ to \d+ entries \(rollback\)|signed checkpoint of size \d+ is NOT consistent|log of size \d+ now has a different root)/,
      );
    } finally {
      await cut.stop();
    }
  }, 120_000);
});
