/**
 * The OpenAPI 3.1 document, generated from the route table and its zod schemas (`z.toJSONSchema`),
 * so the served contract is the validated one.
 */
import { z } from 'zod';
import { errorResponse } from './schemas.js';

export interface RouteDoc {
  method: 'GET' | 'POST';
  url: string;
  summary: string;
  tag: string;
  /** null = public (health only). */
  role: 'read' | 'operate' | null;
  body?: z.ZodType;
  query?: z.ZodType;
  params?: z.ZodType;
  response?: z.ZodType;
  successStatus?: number;
  notFound?: boolean;
}

type JsonSchema = Record<string, unknown>;

function schemaOf(s: z.ZodType, io: 'input' | 'output' = 'input'): JsonSchema {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(s, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

function parametersOf(s: z.ZodType | undefined, where: 'query' | 'path'): JsonSchema[] {
  if (!s) return [];
  const js = schemaOf(s);
  const props = (js.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((js.required as string[] | undefined) ?? []);
  return Object.entries(props).map(([name, schema]) => ({
    name,
    in: where,
    required: where === 'path' || required.has(name),
    schema,
  }));
}

export function buildOpenApi(routes: readonly RouteDoc[], version: string): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  const error = {
    description: 'error',
    content: { 'application/json': { schema: schemaOf(errorResponse, 'output') } },
  };
  for (const r of routes) {
    const path = r.url.replace(/:([A-Za-z]+)/g, '{$1}');
    const responses: Record<string, JsonSchema> = {
      [String(r.successStatus ?? 200)]: {
        description: 'success',
        content: { 'application/json': { schema: r.response ? schemaOf(r.response, 'output') : {} } },
      },
    };
    if (r.body || r.query || r.params) responses['400'] = { ...error, description: 'invalid request' };
    if (r.role) {
      responses['401'] = { ...error, description: 'missing or unknown bearer token' };
      responses['403'] = { ...error, description: `role ${r.role} required` };
    }
    if (r.body) responses['413'] = { ...error, description: 'body too large' };
    if (r.notFound) responses['404'] = { ...error, description: 'unknown subject' };
    const op: JsonSchema = {
      summary: r.summary,
      tags: [r.tag],
      parameters: [...parametersOf(r.params, 'path'), ...parametersOf(r.query, 'query')],
      responses,
    };
    if (r.role) op.security = [{ bearer: [] }];
    if (r.body) op.requestBody = { required: true, content: { 'application/json': { schema: schemaOf(r.body) } } };
    paths[path] = { ...paths[path], [r.method.toLowerCase()]: op };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Foreshadow API',
      version,
      description:
        "Predictive shadows and failover. Reads come from the processors' output topics; operating calls become records on operator.requests and are audited on audit.api. Roles: read, operate.",
    },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    paths,
  };
}
