/** JSON log lines on stderr, one object per line, in the shape that pino writes. */
const levels = { debug: 20, info: 30, warn: 40, error: 50 } as const;
type Level = keyof typeof levels;

function write(level: Level, fields: Record<string, unknown>, msg: string): void {
  const line = { level: levels[level], time: Date.now(), name: "rampart-control", ...fields, msg };
  process.stderr.write(`${JSON.stringify(line)}\n`);
}

export const log = {
  info: (fields: Record<string, unknown>, msg: string) => write("info", fields, msg),
  warn: (fields: Record<string, unknown>, msg: string) => write("warn", fields, msg),
  error: (fields: Record<string, unknown>, msg: string) => write("error", fields, msg),
};
