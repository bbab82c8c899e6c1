/**
 * Client JSON Schemas (OpenAI tool parameters, `response_format.json_schema`, what zod and pydantic emit)
 * turned into the subset node-llama-cpp compiles to a GBNF grammar. The grammar then guarantees that the
 * generated JSON parses and has the schema's shape: types, properties, `required`, enums and constants,
 * unions, array items and counts, string lengths and `date`/`time`/`date-time` formats.
 *
 * Keywords a grammar cannot express (numeric ranges, `pattern`, `uniqueItems`, conditionals) are dropped,
 * as llama-server and vLLM's grammar backends do, so such constraints are the model's to keep; annotations
 * (`title`, `default`, `examples`, `$schema`…) are dropped too. A schema that cannot be compiled at all
 * (a `$ref` outside the document, `not`) is refused with an `invalid_request` naming where it is.
 */
import type { GbnfJsonSchema } from 'node-llama-cpp';
import { InferenceError } from '../types.ts';

type Json = Record<string, unknown>;
type Schema = Record<string, unknown>;

const IMMUTABLE_TYPES = new Set(['string', 'number', 'integer', 'boolean', 'null']);
const STRING_FORMATS = new Set(['date', 'time', 'date-time']);

/** Any JSON value: what `{}` or `true` allows. */
const ANY: Schema = {
  oneOf: [
    { type: ['string', 'number', 'boolean', 'null'] },
    { type: 'object', additionalProperties: true },
    { type: 'array' },
  ],
};

function isObject(v: unknown): v is Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * Converts `schema` (at `where`, e.g. `tools[0].function.parameters`, for error messages) into a schema
 * node-llama-cpp's `createGrammarForJsonSchema` and function calling accept. Never mutates its input.
 */
export function toGrammarSchema(schema: unknown, where: string): GbnfJsonSchema {
  if (schema === true || (isObject(schema) && Object.keys(schema).length === 0)) return ANY as GbnfJsonSchema;
  if (!isObject(schema)) throw bad(where, 'must be a JSON Schema object');
  const defs = { ...asDefs(schema.definitions, where), ...asDefs(schema.$defs, where) };
  const converted = convert(schema, where, defs, 0);
  const out: Schema = { ...converted };
  if (Object.keys(defs).length > 0) {
    out.$defs = Object.fromEntries(
      Object.entries(defs).map(([name, def]) => [name, convert(def, `${where}.$defs.${name}`, defs, 1)]),
    );
  }
  // node-llama-cpp reads `$defs` only beside an object, array, `oneOf` or `$ref`: wrap anything else.
  if (
    out.$defs &&
    !('type' in out && (out.type === 'object' || out.type === 'array')) &&
    !out.oneOf &&
    !out.$ref
  )
    return { oneOf: [converted], $defs: out.$defs } as unknown as GbnfJsonSchema;
  return out as GbnfJsonSchema;
}

function asDefs(v: unknown, where: string): Record<string, Schema> {
  if (v === undefined) return {};
  if (!isObject(v)) throw bad(where, '$defs must be an object');
  return v as Record<string, Schema>;
}

const MAX_DEPTH = 64;

function convert(schema: unknown, where: string, defs: Record<string, Schema>, depth: number): Schema {
  if (depth > MAX_DEPTH) throw bad(where, `nests deeper than ${MAX_DEPTH} levels`);
  if (schema === true || (isObject(schema) && isAnnotationOnly(schema))) return ANY;
  if (!isObject(schema)) throw bad(where, 'must be a JSON Schema object');
  const description = typeof schema.description === 'string' ? { description: schema.description } : {};
  if ('not' in schema) throw bad(where, '"not" cannot be expressed as a grammar');

  if (typeof schema.$ref === 'string') {
    const name = /^#\/(?:\$defs|definitions)\/(.+)$/.exec(schema.$ref)?.[1];
    if (name === undefined || !(name in defs))
      throw bad(where, `$ref ${JSON.stringify(schema.$ref)} must point into this schema's $defs`);
    return { $ref: `#/$defs/${name}`, ...description };
  }
  if ('const' in schema) return { const: scalar(schema.const, where), ...description };
  if (Array.isArray(schema.enum)) {
    if (schema.enum.length === 0) throw bad(where, 'enum must not be empty');
    return { enum: schema.enum.map((v) => scalar(v, where)), ...description };
  }
  const union = (schema.anyOf ?? schema.oneOf) as unknown;
  if (union !== undefined) {
    if (!Array.isArray(union) || union.length === 0) throw bad(where, 'anyOf/oneOf must be a non-empty list');
    return {
      oneOf: union.map((s, i) => convert(s, `${where}.anyOf[${i}]`, defs, depth + 1)),
      ...description,
    };
  }
  if (schema.allOf !== undefined) {
    const parts = schema.allOf;
    if (!Array.isArray(parts) || parts.length !== 1)
      throw bad(where, 'allOf is supported with exactly one schema');
    return convert({ ...schema, allOf: undefined, ...parts[0] }, where, defs, depth + 1);
  }

  const type =
    schema.type ?? (isObject(schema.properties) ? 'object' : isObject(schema.items) ? 'array' : undefined);
  if (type === undefined) return ANY;
  if (Array.isArray(type)) {
    if (type.length === 0) throw bad(where, 'type must not be an empty list');
    if (type.every((t) => IMMUTABLE_TYPES.has(t as string))) return { type, ...description };
    return {
      oneOf: type.map((t, i) => convert({ ...schema, type: t }, `${where}.type[${i}]`, defs, depth + 1)),
    };
  }
  switch (type) {
    case 'object':
      return objectSchema(schema, where, defs, depth, description);
    case 'array':
      return arraySchema(schema, where, defs, depth, description);
    case 'string': {
      const format =
        typeof schema.format === 'string' && STRING_FORMATS.has(schema.format)
          ? { format: schema.format }
          : {};
      const lengths = Object.keys(format).length > 0 ? {} : counts(schema, ['minLength', 'maxLength']);
      return { type, ...format, ...lengths, ...description };
    }
    case 'number':
    case 'integer':
    case 'boolean':
    case 'null':
      return { type, ...description };
    default:
      throw bad(where, `unknown type ${JSON.stringify(type)}`);
  }
}

function objectSchema(
  schema: Json,
  where: string,
  defs: Record<string, Schema>,
  depth: number,
  description: Schema,
): Schema {
  const properties = isObject(schema.properties) ? schema.properties : {};
  const converted = Object.fromEntries(
    Object.entries(properties).map(([key, s]) => [
      key,
      convert(s, `${where}.properties.${key}`, defs, depth + 1),
    ]),
  );
  const required = Array.isArray(schema.required)
    ? schema.required.filter((k): k is string => typeof k === 'string' && k in converted)
    : [];
  const extra = schema.additionalProperties;
  // JSON Schema allows extra keys unless told otherwise; a model asked for a shape should not invent keys,
  // so only an explicit `true` or schema lets them in (an object with no properties stays open).
  const additionalProperties =
    extra === true || (extra === undefined && Object.keys(converted).length === 0)
      ? true
      : isObject(extra)
        ? convert(extra, `${where}.additionalProperties`, defs, depth + 1)
        : false;
  return {
    type: 'object',
    properties: converted,
    required,
    additionalProperties,
    ...counts(schema, ['minProperties', 'maxProperties']),
    ...description,
  };
}

function arraySchema(
  schema: Json,
  where: string,
  defs: Record<string, Schema>,
  depth: number,
  description: Schema,
): Schema {
  const out: Schema = { type: 'array', ...counts(schema, ['minItems', 'maxItems']), ...description };
  if (Array.isArray(schema.prefixItems))
    out.prefixItems = schema.prefixItems.map((s, i) =>
      convert(s, `${where}.prefixItems[${i}]`, defs, depth + 1),
    );
  if (schema.items !== undefined && schema.items !== true)
    out.items = convert(schema.items, `${where}.items`, defs, depth + 1);
  return out;
}

function counts(schema: Json, keys: string[]): Schema {
  const out: Schema = {};
  for (const key of keys) {
    const v = schema[key];
    if (Number.isInteger(v) && (v as number) >= 0) out[key] = v;
  }
  return out;
}

function scalar(v: unknown, where: string): string | number | boolean | null {
  if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  throw bad(where, 'const and enum values must be strings, numbers, booleans or null');
}

/** `{description: …}` and the like: no constraint at all. */
function isAnnotationOnly(schema: Json): boolean {
  return Object.keys(schema).every((k) =>
    ['description', 'title', 'default', 'examples', '$schema', '$id', '$comment'].includes(k),
  );
}

function bad(where: string, what: string): InferenceError {
  return new InferenceError('invalid_request', `${where} ${what}`);
}
