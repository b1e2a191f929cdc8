import { GatewayRequestError } from '../client/index.js';
import { usageError, type CliCommand, type CommandArgs } from './command.js';
import { connectGateway, connectionOptions } from './gateway-connection.js';
import type { CliIo } from './io.js';

const STATES = ['pending', 'delivered', 'dead'] as const;
const DELIVERY_ID = /^msg_[0-9a-f]{32}$/;

/** `codex-gateway deliveries list`: what the gateway owes, delivered or gave up on. */
export const deliveriesList: CliCommand = {
  name: 'deliveries list',
  summary: 'List deliveries to the targets behind the gateway (pending, delivered or dead).',
  options: {
    state: {
      type: 'string',
      value: 'STATE',
      description: `one of ${STATES.join(', ')} (default pending)`,
    },
    limit: { type: 'string', value: 'N', description: 'at most N, 1-1000 (default 100)' },
    json: { type: 'boolean', description: 'print the answer as JSON' },
    ...connectionOptions,
  },
  notes: 'needs scope audit:read; exit 0 listed, 1 refused or unreachable, 2 usage',
  run: (args, io) => list(args, io),
};

/** `codex-gateway deliveries retry`: a dead delivery back to pending, due now. */
export const deliveriesRetry: CliCommand = {
  name: 'deliveries retry',
  summary: 'Put a dead delivery back to pending (same webhook-id, sent again now).',
  options: { ...connectionOptions },
  positionals: { usage: 'DELIVERY_ID', min: 1, max: 1 },
  notes:
    'needs scope deliveries:write; exit 0 pending again, 1 unknown, not dead or refused, 2 usage',
  run: (args, io) => retry(args, io),
};

async function list(args: CommandArgs, io: CliIo): Promise<number> {
  const state = args.string('state') ?? 'pending';
  if (!(STATES as readonly string[]).includes(state))
    return usageError(io, deliveriesList, `--state must be one of ${STATES.join(', ')}`);
  const limitText = args.string('limit') ?? '100';
  if (!/^[0-9]{1,4}$/.test(limitText) || Number(limitText) < 1 || Number(limitText) > 1000)
    return usageError(io, deliveriesList, '--limit must be a whole number from 1 to 1000');
  const gw = connectGateway(args, io, deliveriesList);
  if (typeof gw === 'number') return gw;
  let rows;
  try {
    rows = await gw.listDeliveries(state as (typeof STATES)[number], Number(limitText));
  } catch (err) {
    return failed(io, 'deliveries list', err);
  }
  if (args.flag('json')) {
    io.out(`${JSON.stringify({ deliveries: rows }, null, 2)}\n`);
    return 0;
  }
  const table = [
    ['ID', 'TARGET', 'TYPE', 'STATE', 'ATTEMPTS', 'LAST', 'NEXT'],
    ...rows.map((d) => [
      d.id,
      d.target,
      d.type,
      d.state,
      String(d.attempts),
      d.lastStatus === null ? '-' : String(d.lastStatus),
      d.nextAttemptAt ?? '-',
    ]),
  ];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
  for (const row of table)
    io.out(
      `${row
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd()}\n`,
    );
  return 0;
}

async function retry(args: CommandArgs, io: CliIo): Promise<number> {
  const id = args.positionals[0]!;
  if (!DELIVERY_ID.test(id))
    return usageError(io, deliveriesRetry, 'DELIVERY_ID must be msg_ and 32 lowercase hex');
  const gw = connectGateway(args, io, deliveriesRetry);
  if (typeof gw === 'number') return gw;
  try {
    await gw.retryDelivery(id);
  } catch (err) {
    return failed(io, 'deliveries retry', err);
  }
  io.out(`${id} pending\n`);
  return 0;
}

function failed(io: CliIo, name: string, err: unknown): number {
  const why = err instanceof GatewayRequestError ? err.message : (err as Error).message;
  io.err(`codex-gateway ${name}: FAILED: ${why}\n`);
  return 1;
}
