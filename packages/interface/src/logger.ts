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
}

const ignore = (): void => {};
export const noopLogger: Logger = { debug: ignore, info: ignore, warn: ignore, error: ignore };

export type LogLevel = "debug" | "info" | "warn" | "error";
const rank: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** One JSON object per line on stderr, at `level` and above. */
export function jsonLogger(level: LogLevel = "info", base: LogFields = {}): Logger {
  const write = (at: LogLevel) => (message: string, fields?: LogFields) => {
    if (rank[at] < rank[level]) return;
    process.stderr.write(`${JSON.stringify({ level: at, time: Date.now(), msg: message, ...base, ...fields })}\n`);
  };
  return { debug: write("debug"), info: write("info"), warn: write("warn"), error: write("error") };
}
