import { z } from 'zod';
import { ROUTES, type ResponseDoc, type RouteSpec } from '../route-table.js';

/** Signed-request headers (docs/protocol.md §2), documented as header parameters of signed routes. */
const SIGNED_HEADERS = [
  ['X-Codex-Timestamp', 'unix seconds, digits only', z.string().regex(/^[0-9]{1,12}$/)],
  ['X-Codex-Nonce', 'fresh for every request', z.string().regex(/^[A-Za-z0-9_-]{16,64}$/)],
  [
    'X-Codex-Sig',
    'v1=<64 hex HMAC-SHA256>; several separated by ","',
    z.string().regex(/^v1=[0-9a-f]{64}( *, *v1=[0-9a-f]{64})*$/),
  ],
] as const;

/** JSON Schema (2020-12, the dialect of OpenAPI 3.1) of a zod schema, as the client sends it. */
function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    io: 'input',
    unrepresentable: 'any',
  }) as Record<string, unknown>;
  return rest;
}

/** `/v1/deploys/:id` → `/v1/deploys/{id}`. */
export function openApiPath(honoPath: string): string {
  return honoPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function response(status: number, doc: ResponseDoc): Record<string, unknown> {
  const type = doc.contentType ?? (status >= 400 ? 'application/problem+json' : 'application/json');
  return {
    description: doc.description,
    content: { [type]: doc.schema === undefined ? {} : { schema: jsonSchema(doc.schema) } },
  };
}

function operation(route: RouteSpec): Record<string, unknown> {
  const pathParams = [...route.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => ({
    name: m[1],
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }));
  const queryParams = Object.entries(route.query ?? {}).map(([name, q]) => ({
    name,
    in: 'query',
    required: q.required,
    schema: jsonSchema(q.schema),
  }));
  const headerParams =
    route.auth === 'signed'
      ? SIGNED_HEADERS.map(([name, description, schema]) => ({
          name,
          in: 'header',
          required: true,
          description,
          schema: jsonSchema(schema),
        }))
      : [];
  const parameters = [...pathParams, ...queryParams, ...headerParams];
  return {
    summary: route.summary,
    ...(route.scopes.length > 0 && {
      description: `Scope: ${route.scopes.join(' or ')}.`,
      'x-scopes': route.scopes,
    }),
    security: route.auth === 'none' ? [] : [{ apiKey: [] }],
    ...(parameters.length > 0 && { parameters }),
    ...(route.body !== undefined && {
      requestBody: {
        required: true,
        content: { 'application/json': { schema: jsonSchema(route.body) } },
      },
    }),
    responses: Object.fromEntries(
      Object.entries(route.responses).map(([status, doc]) => [
        status,
        response(Number(status), doc),
      ]),
    ),
  };
}

/**
 * Builds the OpenAPI 3.1 document of the gateway from `routes`, the route table the app
 * mounts (http/route-table.ts). Request bodies are converted from the same zod schemas the
 * routes validate with, so the document and the validation cannot disagree.
 */
export function buildOpenApiDocument(
  routes: readonly RouteSpec[] = ROUTES,
  version = '1.0.0',
): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const key = openApiPath(route.path);
    paths[key] = { ...paths[key], [route.method]: operation(route) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'codex-gateway',
      version,
      description:
        'Signed-webhook policy gateway. Wire contract: docs/protocol.md (codex-sig/v1 signatures, problem+json errors).',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    components: {
      securitySchemes: {
        apiKey: { type: 'apiKey', in: 'header', name: 'X-Api-Key' },
      },
    },
    paths,
  };
}
