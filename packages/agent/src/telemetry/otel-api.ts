/**
 * Access to the app's OpenTelemetry API through its global registration, so that the agent needs
 * no copy of `@opentelemetry/api`. @opentelemetry/api 1.x stores the registered providers on
 * `globalThis[Symbol.for("opentelemetry.js.api.1")]` and keys the active span in a context with
 * `Symbol.for("OpenTelemetry Context Key SPAN")`.
 */

/** The parts of an OpenTelemetry span that the agent uses. */
export interface OtelSpan {
  spanContext(): { traceId: string; spanId: string; traceFlags: number };
  isRecording(): boolean;
  addEvent(name: string, attributes?: Record<string, string | number | boolean>): unknown;
}

interface OtelContext {
  getValue(key: symbol): unknown;
}

interface OtelContextManager {
  active(): OtelContext;
}

type Attributes = Record<string, string | number | boolean>;

export interface OtelObservableResult {
  observe(value: number, attributes?: Attributes): void;
}

export interface OtelObservable {
  addCallback(callback: (result: OtelObservableResult) => void): void;
}

export interface OtelHistogram {
  record(value: number, attributes?: Attributes): void;
}

/** The parts of an OpenTelemetry meter that the agent uses (API 1.x). */
export interface OtelMeter {
  createObservableCounter(
    name: string,
    options?: { description?: string; unit?: string },
  ): OtelObservable;
  createObservableGauge(
    name: string,
    options?: { description?: string; unit?: string },
  ): OtelObservable;
  createHistogram(
    name: string,
    options?: {
      description?: string;
      unit?: string;
      advice?: { explicitBucketBoundaries?: number[] };
    },
  ): OtelHistogram;
}

interface OtelMeterProvider {
  getMeter(name: string, version?: string): OtelMeter;
}

interface OtelGlobal {
  version?: string;
  context?: OtelContextManager;
  metrics?: OtelMeterProvider;
}

const globalKey = Symbol.for("opentelemetry.js.api.1");
const spanKey = Symbol.for("OpenTelemetry Context Key SPAN");

function otelGlobal(): OtelGlobal | undefined {
  return (globalThis as Record<symbol, OtelGlobal | undefined>)[globalKey];
}

/** Returns the span active in the current async context, or undefined without an SDK or span. */
export function activeSpan(): OtelSpan | undefined {
  const manager = otelGlobal()?.context;
  if (manager === undefined) return undefined;

  const span = manager.active().getValue(spanKey) as OtelSpan | undefined;
  return typeof span?.spanContext === "function" ? span : undefined;
}

/** Returns a meter of the app's registered meter provider, or undefined when none is registered. */
export function globalMeter(name: string, version: string): OtelMeter | undefined {
  return otelGlobal()?.metrics?.getMeter(name, version);
}
