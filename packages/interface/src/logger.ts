/**
 * Structured logging through a pluggable logger. Messages are constant strings;
 * the facts go in `fields`, so a JSON logger can index them.
 */
export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line (a component's name, a node's). Optional: see {@link childLogger}. */
  child?(fields: LogFields): Logger;
}

const ignore = (): void => {};
export const noopLogger: Logger = { debug: ignore, info: ignore, warn: ignore, error: ignore, child: () => noopLogger };

export type LogLevel = "debug" | "info" | "warn" | "error";
const rank: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** `logger.child(fields)` when the logger has it; otherwise a wrapper that merges `fields` into every line. */
export function childLogger(logger: Logger, fields: LogFields): Logger {
  if (typeof logger.child === "function") return logger.child(fields);
  const wrap =
    (write: (message: string, fields?: LogFields) => void) =>
    (message: string, more?: LogFields): void =>
      write.call(logger, message, { ...fields, ...more });
  return {
    debug: wrap(logger.debug),
    info: wrap(logger.info),
    warn: wrap(logger.warn),
    error: wrap(logger.error),
    child: (more) => childLogger(logger, { ...fields, ...more }),
  };
}

/**
 * JSON.stringify that never throws on what a log field may hold: BigInt becomes
 * its decimal string, a repeated object on the current path becomes "[Circular]",
 * an Error becomes { name, message, code?, stack }, a function or symbol its name.
 */
export function safeJsonStringify(value: unknown): string {
  const path: object[] = [];
  return JSON.stringify(value, function (this: unknown, _key: string, v: unknown): unknown {
    // `this` is the holder: unwind the path to it before going deeper.
    if (typeof this === "object" && this !== null) {
      const at = path.lastIndexOf(this);
      path.length = at + 1;
    }
    if (typeof v === "bigint") return v.toString();
    if (typeof v === "function") return `[Function ${v.name || "anonymous"}]`;
    if (typeof v === "symbol") return v.toString();
    if (typeof v !== "object" || v === null) return v;
    if (path.includes(v)) return "[Circular]";
    path.push(v);
    if (v instanceof Error) {
      const code = (v as { code?: unknown }).code;
      return { name: v.name, message: v.message, ...(code === undefined ? {} : { code }), stack: v.stack };
    }
    return v;
  });
}

/** One JSON object per line on stderr, at `level` and above; fields may hold BigInt, cycles, errors. */
export function jsonLogger(level: LogLevel = "info", base: LogFields = {}): Logger {
  const write = (at: LogLevel) => (message: string, fields?: LogFields) => {
    if (rank[at] < rank[level]) return;
    process.stderr.write(`${safeJsonStringify({ level: at, time: Date.now(), msg: message, ...base, ...fields })}\n`);
  };
  return {
    debug: write("debug"),
    info: write("info"),
    warn: write("warn"),
    error: write("error"),
    child: (fields) => jsonLogger(level, { ...base, ...fields }),
  };
}

/** The part of a pino logger that {@link pinoLogger} uses (pino's own type fits it). */
export interface PinoLike {
  debug(object: object, message: string): void;
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
  child(bindings: Record<string, unknown>): PinoLike;
}

/**
 * Mesh's Logger over a pino logger, the recommended logger in production: pino
 * writes JSON fast, off the main thread with a transport, and its child loggers
 * carry the component's fields. `pinoLogger(pino())` — pino is not a dependency
 * of Mesh; install it in the application.
 */
export function pinoLogger(pino: PinoLike): Logger {
  return {
    debug: (message, fields) => pino.debug({ ...fields }, message),
    info: (message, fields) => pino.info({ ...fields }, message),
    warn: (message, fields) => pino.warn({ ...fields }, message),
    error: (message, fields) => pino.error({ ...fields }, message),
    child: (fields) => pinoLogger(pino.child({ ...fields })),
  };
}
