import { COMMON_ERRORS, PUBLIC, ROUTES, type ErrorSpec, type RouteSpec } from './route-table.js';
import { ERROR_RESPONSE, type JsonSchema } from './schemas.js';

/**
 * OpenAPI 3.1 from the route table and its JSON Schemas, by hand: the table
 * is small and a generator dependency would weigh more than this file. The
 * scope of each operation is in `x-scope` (and in the bearer security
 * requirement's scope list). Pure and deterministic, so docs/local-api.md
 * generated from it can be checked for drift.
 */
export interface OpenApiInfo {
  version: string;
}

export function routeErrors(route: RouteSpec): ErrorSpec[] {
  if (route.scope === PUBLIC) return [...route.errors];
  // Every route has a query schema (an unknown parameter is a 400), so invalid_request applies to all.
  const common = [...COMMON_ERRORS];
  const own = [...route.errors];
  if (route.body || route.method !== 'GET') own.unshift({ status: 413, code: 'body_too_large', when: 'body over the size limit' }, { status: 415, code: 'unsupported_media_type', when: 'a body that is not application/json' });
  return [...common, ...own];
}

export function hasQuery(route: RouteSpec): boolean {
  const props = route.query.properties as Record<string, unknown> | undefined;
  return !!props && Object.keys(props).length > 0;
}

function parameters(route: RouteSpec): unknown[] {
  const props = (route.query.properties ?? {}) as Record<string, JsonSchema>;
  return Object.entries(props).map(([name, schema]) => ({
    name,
    in: 'query',
    required: ((route.query.required as string[] | undefined) ?? []).includes(name),
    schema,
    ...(schema.description ? { description: schema.description } : {}),
  }));
}

function operation(route: RouteSpec): Record<string, unknown> {
  const responses: Record<string, unknown> = {};
  const content: Record<string, unknown> = { [route.response.contentType]: { schema: route.response.schema } };
  if (route.response.also) content[route.response.also.contentType] = { schema: route.response.also.schema };
  responses[String(route.response.status)] = { description: route.summary, content };
  const byStatus = new Map<number, ErrorSpec[]>();
  for (const e of routeErrors(route)) byStatus.set(e.status, [...(byStatus.get(e.status) ?? []), e]);
  for (const [status, errs] of [...byStatus].sort((a, b) => a[0] - b[0])) {
    responses[String(status)] = {
      description: errs.map((e) => `\`${e.code}\`: ${e.when}`).join('; '),
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
    };
  }
  const op: Record<string, unknown> = {
    operationId: route.id,
    summary: route.summary,
    'x-scope': route.scope,
    security: route.scope === PUBLIC ? [] : [{ bearer: [route.scope] }],
    responses,
  };
  const params = parameters(route);
  if (params.length) op.parameters = params;
  if (route.body) op.requestBody = { required: !route.bodyOptional, content: { 'application/json': { schema: route.body } } };
  if (route.audit) op['x-audit'] = route.audit;
  // OpenAPI 3.1 has no WebSocket operations: the upgrade is described as an extension.
  if (route.websocket) op['x-websocket'] = { ...route.websocket };
  return op;
}

export function buildOpenApi(info: OpenApiInfo, routes: readonly RouteSpec[] = ROUTES): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    paths[route.path] ??= {};
    paths[route.path]![route.method.toLowerCase()] = operation(route);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'camera-agent local API',
      version: info.version,
      description:
        'HTTPS API on the camera for field technicians (issue 9). TLS with the device certificate; loopback only until the camera is bound. ' +
        'Every route except GET /ping needs `Authorization: Bearer <token>` whose role holds the route scope (x-scope). ' +
        'Errors are {"error":{"code","message","fields"?}}.',
    },
    servers: [{ url: 'https://{host}:{port}', variables: { host: { default: '127.0.0.1' }, port: { default: '8443' } } }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'Short-lived token issued through the cloud or the offline login.' } },
      schemas: { Error: ERROR_RESPONSE },
    },
    paths,
  };
}
