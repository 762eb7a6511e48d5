/** A Logger that keeps every line, for tests that assert what was logged (not a test file). */
import type { LogFields, Logger } from "@mesh/interface";

export interface LogLine {
  readonly level: "debug" | "info" | "warn" | "error";
  readonly message: string;
  readonly fields: LogFields;
}

export interface CaptureLogger extends Logger {
  readonly lines: LogLine[];
  /** Lines at `level` whose message contains `text`. */
  find(level: LogLine["level"], text: string): LogLine[];
}

export function captureLogger(): CaptureLogger {
  const lines: LogLine[] = [];
  const at =
    (level: LogLine["level"]) =>
    (message: string, fields: LogFields = {}) => {
      lines.push({ level, message, fields });
    };
  return {
    lines,
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
    find: (level, text) => lines.filter((l) => l.level === level && l.message.includes(text)),
  };
}
