// Lambda events in the shapes AWS documents for API Gateway REST APIs (payload 1.0), HTTP APIs
// (payload 2.0) and Application Load Balancer targets, with only the parts a test sets varying.

/** Client address in events: a documentation address (RFC 5737); nothing is ever sent to it. */
export const clientIp = "203.0.113.7";

export interface RestEventParts {
  readonly method?: string;
  readonly path: string;
  readonly resource?: string;
  readonly query?: Record<string, string[]>;
  readonly headers?: Record<string, string[]>;
  readonly pathParameters?: Record<string, string>;
  readonly body?: string;
  readonly isBase64Encoded?: boolean;
}

function lastValues(lists: Record<string, string[]> | undefined): Record<string, string> | null {
  if (lists === undefined) return null;
  return Object.fromEntries(
    Object.entries(lists).map(([name, values]) => [name, values.at(-1) ?? ""]),
  );
}

/** API Gateway REST API proxy event, which always carries both the single and the multi-value fields. */
export function restApiEvent(parts: RestEventParts): Record<string, unknown> {
  const method = parts.method ?? "GET";
  const headers = { Host: "abc123.execute-api.us-east-1.amazonaws.com", ...parts.headers };
  const multiHeaders = Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [name, Array.isArray(value) ? value : [value]]),
  );
  return {
    resource: parts.resource ?? parts.path,
    path: parts.path,
    httpMethod: method,
    headers: lastValues(multiHeaders),
    multiValueHeaders: multiHeaders,
    queryStringParameters: lastValues(parts.query),
    multiValueQueryStringParameters: parts.query ?? null,
    pathParameters: parts.pathParameters ?? null,
    stageVariables: null,
    requestContext: {
      accountId: "123456789012",
      apiId: "abc123",
      domainName: "abc123.execute-api.us-east-1.amazonaws.com",
      httpMethod: method,
      identity: { sourceIp: clientIp, userAgent: "test-client/1.0" },
      path: `/prod${parts.path}`,
      protocol: "HTTP/1.1",
      requestId: "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
      requestTimeEpoch: 1428582896000,
      resourceId: "roq9wj",
      resourcePath: parts.resource ?? parts.path,
      stage: "prod",
    },
    body: parts.body ?? null,
    isBase64Encoded: parts.isBase64Encoded ?? false,
  };
}

export interface HttpApiEventParts {
  readonly method?: string;
  readonly path: string;
  /** Route template without the method, such as `/items/{id}`; `$default` when undefined. */
  readonly route?: string;
  readonly rawQueryString?: string;
  readonly headers?: Record<string, string>;
  readonly cookies?: string[];
  readonly pathParameters?: Record<string, string>;
  readonly body?: string;
  readonly isBase64Encoded?: boolean;
}

/** API Gateway HTTP API (and function URL) event, payload format 2.0. */
export function httpApiEvent(parts: HttpApiEventParts): Record<string, unknown> {
  const method = parts.method ?? "GET";
  const routeKey = parts.route === undefined ? "$default" : `${method} ${parts.route}`;
  const rawQueryString = parts.rawQueryString ?? "";
  const queryStringParameters: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(rawQueryString)) {
    // HTTP APIs join repeated parameters with commas in this field.
    queryStringParameters[name] =
      name in queryStringParameters ? `${queryStringParameters[name]},${value}` : value;
  }

  const event: Record<string, unknown> = {
    version: "2.0",
    routeKey,
    rawPath: parts.path,
    rawQueryString,
    headers: { host: "abc123.execute-api.us-east-1.amazonaws.com", ...parts.headers },
    requestContext: {
      accountId: "123456789012",
      apiId: "abc123",
      domainName: "abc123.execute-api.us-east-1.amazonaws.com",
      domainPrefix: "abc123",
      http: {
        method,
        path: parts.path,
        protocol: "HTTP/1.1",
        sourceIp: clientIp,
        userAgent: "test-client/1.0",
      },
      requestId: "JKJaXmPLvHcESHA=",
      routeKey,
      stage: "$default",
      time: "10/Mar/2026:00:03:59 +0000",
      timeEpoch: 1773100000000,
    },
    isBase64Encoded: parts.isBase64Encoded ?? false,
  };
  if (rawQueryString !== "") event.queryStringParameters = queryStringParameters;
  if (parts.cookies !== undefined) event.cookies = parts.cookies;
  if (parts.pathParameters !== undefined) event.pathParameters = parts.pathParameters;
  if (parts.body !== undefined) event.body = parts.body;
  return event;
}

export interface AlbEventParts {
  readonly method?: string;
  readonly path: string;
  /** Query values as the client sent them (percent-encoded), as an ALB passes them. */
  readonly query?: Record<string, string[]>;
  readonly headers?: Record<string, string[]>;
  readonly body?: string;
  readonly isBase64Encoded?: boolean;
  /** Whether the target group has multi-value headers turned on. */
  readonly multiValue: boolean;
}

/** Application Load Balancer target event, with or without multi-value headers. */
export function albEvent(parts: AlbEventParts): Record<string, unknown> {
  const headers = {
    host: ["lambda-alb-123578498.us-east-1.elb.amazonaws.com"],
    "x-forwarded-for": [clientIp],
    "x-forwarded-port": ["443"],
    "x-forwarded-proto": ["https"],
    ...parts.headers,
  };
  const event: Record<string, unknown> = {
    requestContext: {
      elb: {
        targetGroupArn:
          "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/lambda-279XGJDqGZ5rsrHC2Fjr/49e9d65c45c6791a",
      },
    },
    httpMethod: parts.method ?? "GET",
    path: parts.path,
    body: parts.body ?? "",
    isBase64Encoded: parts.isBase64Encoded ?? false,
  };
  if (parts.multiValue) {
    event.multiValueQueryStringParameters = parts.query ?? {};
    event.multiValueHeaders = headers;
  } else {
    event.queryStringParameters = lastValues(parts.query) ?? {};
    event.headers = lastValues(headers);
  }
  return event;
}

/** An SQS event with one message: no HTTP request. */
export function sqsEvent(body: string): Record<string, unknown> {
  return {
    Records: [
      {
        messageId: "059f36b4-87a3-44ab-83d2-661975830a7d",
        receiptHandle: "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a",
        body,
        attributes: { ApproximateReceiveCount: "1", SentTimestamp: "1545082649183" },
        messageAttributes: {},
        md5OfBody: "e4e68fb7bd0e697a0ae8f1bb342846b3",
        eventSource: "aws:sqs",
        eventSourceARN: "arn:aws:sqs:us-east-1:123456789012:my-queue",
        awsRegion: "us-east-1",
      },
    ],
  };
}
