// Spans as the coexistence tests read them, from the app's in-memory exporter (GET /spans) or from
// OTLP/HTTP JSON export requests that a loopback receiver recorded.

/** A finished span with the fields the tests check. */
export interface TestSpan {
  readonly name: string;
  readonly kind: string;
  readonly traceId: string;
  readonly spanId: string;
  readonly attributes: Record<string, unknown>;
  readonly events: readonly { name: string; attributes: Record<string, unknown> }[];
}

/** OTLP's SpanKind numbering, which starts with an unspecified kind, unlike @opentelemetry/api's. */
const otlpSpanKinds = ["unspecified", "internal", "server", "client", "producer", "consumer"];

interface OtlpKeyValue {
  key: string;
  value: Record<string, unknown>;
}

interface OtlpSpan {
  traceId: string;
  spanId: string;
  name: string;
  kind: number;
  attributes?: OtlpKeyValue[];
  events?: { name: string; attributes?: OtlpKeyValue[] }[];
}

interface OtlpTraceRequest {
  resourceSpans?: { scopeSpans?: { spans?: OtlpSpan[] }[] }[];
}

function otlpAttributes(list: OtlpKeyValue[] | undefined): Record<string, unknown> {
  const attributes: Record<string, unknown> = {};
  for (const { key, value } of list ?? []) {
    // One of stringValue, intValue (a string in JSON), boolValue, doubleValue.
    const [first] = Object.values(value);
    attributes[key] = typeof value.intValue === "string" ? Number(value.intValue) : first;
  }
  return attributes;
}

/** Returns the spans of OTLP/HTTP JSON trace export request bodies. */
export function spansFromOtlp(bodies: readonly string[]): TestSpan[] {
  const spans: TestSpan[] = [];
  for (const body of bodies) {
    const request = JSON.parse(body) as OtlpTraceRequest;
    for (const resource of request.resourceSpans ?? []) {
      for (const scope of resource.scopeSpans ?? []) {
        for (const span of scope.spans ?? []) {
          spans.push({
            name: span.name,
            kind: otlpSpanKinds[span.kind] ?? "unspecified",
            traceId: span.traceId,
            spanId: span.spanId,
            attributes: otlpAttributes(span.attributes),
            events: (span.events ?? []).map((event) => ({
              name: event.name,
              attributes: otlpAttributes(event.attributes),
            })),
          });
        }
      }
    }
  }
  return spans;
}

/** Returns the SQL text of a database client span: `db.query.text`, or `db.statement` before it. */
export function spanStatement(span: TestSpan): string | undefined {
  const text = span.attributes["db.query.text"] ?? span.attributes["db.statement"];
  return typeof text === "string" ? text : undefined;
}

/** Returns the HTTP status code of a server span, under the current or the older attribute name. */
export function spanStatus(span: TestSpan): number | undefined {
  const status =
    span.attributes["http.response.status_code"] ?? span.attributes["http.status_code"];
  return typeof status === "number" ? status : undefined;
}
