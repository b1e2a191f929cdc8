import { z } from 'zod';

/** Thrown when configuration is unusable; the message is one line and never holds a secret. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const intInRange = (min: number, max: number) =>
  z
    .string()
    .regex(/^[0-9]{1,12}$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

const envSchema = z.object({
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: intInRange(0, 65_535).default(8787),
  NODE_ENV: z.string().optional(),
  GATEWAY_CLIENTS_FILE: z.string().min(1).optional(),
  GATEWAY_TARGETS_FILE: z.string().min(1).optional(),
  GATEWAY_POLICY_FILE: z.string().min(1).default('policy/policy.json'),
  GATEWAY_POLICY_CANDIDATE_FILE: z.string().min(1).optional(),
  GATEWAY_DATA_DIR: z.string().min(1).default('./data'),
  GATEWAY_LOG_ORIGIN: z
    .string()
    .regex(/^[^\s+]{1,255}$/, 'must be 1-255 characters without spaces or "+"')
    .optional(),
  GATEWAY_LOG_KEY_FILE: z.string().min(1).optional(),
  GATEWAY_TOLERANCE_SECONDS: intInRange(1, 3600).default(300),
  GATEWAY_NONCE_CAPACITY: intInRange(1, 100_000_000).default(100_000),
  GATEWAY_BODY_LIMIT_BYTES: intInRange(1, 64 * 1024 * 1024).default(262_144),
  GATEWAY_PENDING_DEPLOYS_PER_CLIENT: intInRange(1, 10_000).default(100),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must start with redis:// or rediss://')
    .optional(),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://')
    .optional(),
  REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9:_.-]{1,64}$/)
    .default('codex:'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/** The gateway's configuration, read once at start and frozen. */
export interface GatewayConfig {
  readonly host: string;
  readonly port: number;
  readonly production: boolean;
  readonly clientsFile: string | undefined;
  /** docs/protocol.md §11: where deliveries go; undefined: no deliveries. */
  readonly targetsFile: string | undefined;
  readonly policyFile: string;
  /** A second policy evaluated in the shadow of every event (docs/protocol.md §13); never decides. */
  readonly policyCandidateFile: string | undefined;
  readonly dataDir: string;
  readonly logOrigin: string | undefined;
  readonly logKeyFile: string | undefined;
  readonly toleranceSeconds: number;
  readonly nonceCapacity: number;
  readonly bodyLimitBytes: number;
  /** Most open (pending, unexpired) deploys one client may hold at once (issue 13). */
  readonly pendingDeploysPerClient: number;
  readonly redisUrl: string | undefined;
  readonly redisPrefix: string;
  /** docs/protocol.md §14: the audit log lives in this PostgreSQL database (one log for all instances). */
  readonly databaseUrl: string | undefined;
  readonly logLevel: string;
}

/**
 * Parses the environment (docs/protocol.md §8). Throws ConfigError naming the first bad variable;
 * the value itself is never echoed since REDIS_URL or DATABASE_URL may hold a password.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): GatewayConfig {
  // Empty strings count as unset, like most shells' `VAR= cmd`.
  const present = Object.fromEntries(
    Object.entries(env).filter(([, v]) => v !== undefined && v !== ''),
  );
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue?.path[0] ?? 'environment');
    throw new ConfigError(`invalid configuration: ${name} ${issue?.message ?? 'is invalid'}`);
  }
  const e = parsed.data;
  // docs/protocol.md §14: every instance of a shared log must present the same origin and key, so
  // neither may be derived per host.
  if (e.DATABASE_URL !== undefined && e.GATEWAY_LOG_ORIGIN === undefined)
    throw new ConfigError(
      'invalid configuration: GATEWAY_LOG_ORIGIN is required with DATABASE_URL',
    );
  if (e.DATABASE_URL !== undefined && e.GATEWAY_LOG_KEY_FILE === undefined)
    throw new ConfigError(
      'invalid configuration: GATEWAY_LOG_KEY_FILE is required with DATABASE_URL (the same key on every instance)',
    );
  return Object.freeze({
    host: e.HOST,
    port: e.PORT,
    production: e.NODE_ENV === 'production',
    clientsFile: e.GATEWAY_CLIENTS_FILE,
    targetsFile: e.GATEWAY_TARGETS_FILE,
    policyFile: e.GATEWAY_POLICY_FILE,
    policyCandidateFile: e.GATEWAY_POLICY_CANDIDATE_FILE,
    dataDir: e.GATEWAY_DATA_DIR,
    logOrigin: e.GATEWAY_LOG_ORIGIN,
    logKeyFile: e.GATEWAY_LOG_KEY_FILE,
    toleranceSeconds: e.GATEWAY_TOLERANCE_SECONDS,
    nonceCapacity: e.GATEWAY_NONCE_CAPACITY,
    bodyLimitBytes: e.GATEWAY_BODY_LIMIT_BYTES,
    pendingDeploysPerClient: e.GATEWAY_PENDING_DEPLOYS_PER_CLIENT,
    redisUrl: e.REDIS_URL,
    redisPrefix: e.REDIS_PREFIX,
    databaseUrl: e.DATABASE_URL,
    logLevel: e.LOG_LEVEL,
  });
}
