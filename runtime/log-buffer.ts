/**
 * An execution's captured console output, bounded by maxLogBytes (UTF-8):
 * the line that crosses the limit is cut and followed by one marker line.
 */
import type { LogLevel, LogLine } from "./execution-types.js";

export class LogBuffer {
  readonly lines: LogLine[] = [];
  truncated = false;
  #bytes = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly onLog?: (line: LogLine) => void,
  ) {}

  add(level: LogLevel, message: string): void {
    if (this.truncated) return;
    const size = Buffer.byteLength(message);
    if (this.#bytes + size <= this.maxBytes) {
      this.#bytes += size;
      this.#push({ level, message, at: Date.now() });
      return;
    }
    const room = this.maxBytes - this.#bytes;
    if (room > 0) {
      const cut = Buffer.from(message)
        .subarray(0, room)
        .toString("utf8")
        .replace(/\uFFFD$/, "");
      this.#push({ level, message: cut, at: Date.now() });
    }
    this.#bytes = this.maxBytes;
    this.truncated = true;
    this.#push({
      level: "warn",
      message: `[log truncated: this execution reached its limit of ${this.maxBytes} bytes of log output]`,
      at: Date.now(),
    });
  }

  #push(line: LogLine): void {
    this.lines.push(line);
    try {
      this.onLog?.(line);
    } catch {
      // a failing live-tail listener must not break the execution
    }
  }
}
