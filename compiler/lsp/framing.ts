// Re-frames the client's byte stream before vscode-jsonrpc reads it. jsonrpc's reader stops
// at a header block without a usable Content-Length and leaves the rest of its buffer
// unread until more bytes arrive — so one garbage header could stall the next real message
// forever. Here a header block that does not give a length is dropped and reading goes on;
// only well-formed frames (`Content-Length: N\r\n\r\n` + N bytes) are passed through.
import { Transform, type TransformCallback } from "node:stream";

const SEPARATOR = Buffer.from("\r\n\r\n");
const MAX_HEADER = 8192;

export class Reframer extends Transform {
  private buffer: Buffer = Buffer.alloc(0);
  /** Frames dropped for a missing or unreadable length (for logs and tests). */
  dropped = 0;

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    for (;;) {
      const end = this.buffer.indexOf(SEPARATOR);
      if (end < 0) {
        // No header end in sight: keep a bounded tail (a header never needs more).
        if (this.buffer.length > MAX_HEADER) {
          this.buffer = this.buffer.subarray(this.buffer.length - MAX_HEADER);
          this.dropped++;
        }
        break;
      }
      const header = this.buffer.subarray(0, end).toString("ascii");
      const m = /(?:^|\r\n)Content-Length:[ \t]*(\d+)[ \t]*(?:\r\n|$)/i.exec(header);
      if (!m) {
        this.buffer = this.buffer.subarray(end + SEPARATOR.length);
        this.dropped++;
        continue;
      }
      const length = Number(m[1]);
      const total = end + SEPARATOR.length + length;
      if (this.buffer.length < total) break;
      this.push(`Content-Length: ${length}\r\n\r\n`);
      this.push(this.buffer.subarray(end + SEPARATOR.length, total));
      this.buffer = this.buffer.subarray(total);
    }
    done();
  }
}
