"use strict";

// Preload for demo-telemetry.mjs (`NODE_OPTIONS=--require .../otel-preload.cjs`): gives app.js an
// OpenTelemetry SDK as a real app would have one, so that Rampart's span events and metrics have
// somewhere to go. Each HTTP request gets a server span whose parent comes from the W3C
// `traceparent` header. Ended spans and metric readings are POSTed as JSON to the loopback URL in
// RAMPART_DEMO_OTEL_URL (paths /spans and /metrics), a small stand-in for an OTLP collector.

const http = require("node:http");

const api = require("@opentelemetry/api");
const { AsyncLocalStorageContextManager } = require("@opentelemetry/context-async-hooks");
const { W3CTraceContextPropagator } = require("@opentelemetry/core");
const { BasicTracerProvider, SimpleSpanProcessor } = require("@opentelemetry/sdk-trace-base");
const { MeterProvider, PeriodicExportingMetricReader } = require("@opentelemetry/sdk-metrics");

const receiverUrl = process.env.RAMPART_DEMO_OTEL_URL;
const flushIntervalMs = 200;

/** Spans waiting for the next flush; bounded so that a stopped receiver cannot grow memory. */
const pendingSpans = [];
const maxPendingSpans = 1000;
let droppedSpans = 0;

/** POSTs JSON to the receiver and calls `done(ok)`. Network errors reach `done(false)`, not the app. */
function post(path, body, done) {
  const request = http.request(
    `${receiverUrl}${path}`,
    { method: "POST", headers: { "content-type": "application/json" }, timeout: 1000 },
    (response) => {
      response.resume();
      response.on("end", () => done(response.statusCode === 200));
    },
  );
  request.on("timeout", () => request.destroy(new Error("timed out")));
  request.on("error", () => done(false));
  request.end(JSON.stringify(body));
}

function spanToJson(span) {
  const context = span.spanContext();
  return {
    name: span.name,
    traceId: context.traceId,
    spanId: context.spanId,
    parentSpanId: span.parentSpanContext?.spanId ?? span.parentSpanId ?? null,
    attributes: span.attributes,
    events: span.events.map((event) => ({ name: event.name, attributes: event.attributes })),
  };
}

/**
 * Span exporter that only queues. The POST happens on a timer created here at startup, outside
 * any request, so the agent never judges it as an outgoing call of the request that ended the span.
 */
const queueingSpanExporter = {
  export(spans, resultCallback) {
    for (const span of spans) {
      if (pendingSpans.length >= maxPendingSpans) droppedSpans++;
      else pendingSpans.push(spanToJson(span));
    }
    resultCallback({ code: 0 });
  },
  shutdown: () => Promise.resolve(),
  forceFlush: () => Promise.resolve(),
};

function flushSpans() {
  if (pendingSpans.length === 0) return;
  const batch = pendingSpans.splice(0, pendingSpans.length);
  post("/spans", { spans: batch }, (ok) => {
    if (!ok) droppedSpans += batch.length;
  });
}

setInterval(flushSpans, flushIntervalMs).unref();

/** Metric exporter that POSTs the name, attributes and value of every data point. */
const postingMetricExporter = {
  export(resourceMetrics, resultCallback) {
    const points = [];
    for (const scope of resourceMetrics.scopeMetrics) {
      for (const metric of scope.metrics) {
        for (const point of metric.dataPoints) {
          const value = typeof point.value === "number" ? point.value : point.value.count;
          points.push({ name: metric.descriptor.name, attributes: point.attributes, value });
        }
      }
    }
    post("/metrics", { points, droppedSpans }, (ok) => resultCallback({ code: ok ? 0 : 1 }));
  },
  shutdown: () => Promise.resolve(),
  forceFlush: () => Promise.resolve(),
};

function startTracing() {
  const contextManager = new AsyncLocalStorageContextManager();
  contextManager.enable();
  api.context.setGlobalContextManager(contextManager);
  api.propagation.setGlobalPropagator(new W3CTraceContextPropagator());

  const provider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(queueingSpanExporter)],
  });
  api.trace.setGlobalTracerProvider(provider);
  return api.trace.getTracer("rampart-demo-preload");
}

function startMetrics() {
  const reader = new PeriodicExportingMetricReader({
    exporter: postingMetricExporter,
    exportIntervalMillis: 1000,
    exportTimeoutMillis: 900,
  });
  api.metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
}

/**
 * Runs each request of every node:http server inside a server span, the part of an HTTP
 * instrumentation that the demo needs. The span ends when the response finishes or the
 * connection closes.
 */
function traceHttpServers(tracer) {
  const originalEmit = http.Server.prototype.emit;
  http.Server.prototype.emit = function emit(event, ...args) {
    if (event !== "request") return originalEmit.call(this, event, ...args);

    const [request, response] = args;
    // The demo scrapes the agent's metrics endpoint often; those requests are not the app's.
    if (request.url === "/metrics") return originalEmit.call(this, event, ...args);

    const parent = api.propagation.extract(api.ROOT_CONTEXT, request.headers);
    const path = (request.url ?? "/").split("?")[0];
    const span = tracer.startSpan(
      `${request.method} ${path}`,
      {
        kind: api.SpanKind.SERVER,
        attributes: { "http.request.method": request.method, "url.path": path },
      },
      parent,
    );
    response.once("close", () => {
      span.setAttribute("http.response.status_code", response.statusCode);
      span.end();
    });
    return api.context.with(api.trace.setSpan(parent, span), () =>
      originalEmit.call(this, event, ...args),
    );
  };
}

if (receiverUrl === undefined || receiverUrl === "") {
  console.error("otel-preload.cjs: set RAMPART_DEMO_OTEL_URL to the receiver's http:// URL");
} else {
  traceHttpServers(startTracing());
  startMetrics();
  // Spans still queued at exit are lost too: a POST cannot finish inside an exit handler.
  process.on("exit", () => {
    const lost = droppedSpans + pendingSpans.length;
    if (lost > 0) console.error(`otel-preload: ${lost} spans not delivered`);
  });
}
