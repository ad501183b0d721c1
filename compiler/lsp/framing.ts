// Re-frames the client's byte stream before vscode-jsonrpc reads it. jsonrpc's reader stops
// at a header block without a usable Content-Length and leaves the rest of its buffer
// unread until more bytes arrive — so one garbage header could stall the next real message
// forever. Here a header block that does not give a length is dropped and reading goes on;
// only well-formed frames (`Content-Length: N\r\n\r\n` + N bytes) are passed through.
import { Transform, type TransformCallback } from "node:stream";

const SEPARATOR = Buffer.from("\r\n\r\n");
const MAX_HEADER = 8192;
/** The largest message accepted (the server's live checking stops at 1 MB files anyway). A
 *  larger declared length is refused, not awaited: `Content-Length: 99999999999` would
 *  otherwise hold every later message back while its body never comes. */
export const MAX_MESSAGE = 64 * 1024 * 1024;
const HEADER_NAME = Buffer.from("Content-Length:");

export class Reframer extends Transform {
  private buffer: Buffer = Buffer.alloc(0);
  /** Frames dropped for a missing or unreadable length (for logs and tests). */
  dropped = 0;
  /** Of those, frames refused for a length above MAX_MESSAGE. */
  oversized = 0;
  private resync = false;

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    for (;;) {
      if (this.resync) {
        // After a refused frame its body may follow: skip to the next header.
        const next = this.buffer.indexOf(HEADER_NAME);
        if (next < 0) {
          this.buffer = this.buffer.subarray(Math.max(0, this.buffer.length - HEADER_NAME.length));
          break;
        }
        this.buffer = this.buffer.subarray(next);
        this.resync = false;
      }
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
      if (!(length <= MAX_MESSAGE)) {
        // Refused: drop the header and resynchronise on the next header that follows.
        this.buffer = this.buffer.subarray(end + SEPARATOR.length);
        this.resync = true;
        this.dropped++;
        this.oversized++;
        continue;
      }
      const total = end + SEPARATOR.length + length;
      if (this.buffer.length < total) break;
      this.push(`Content-Length: ${length}\r\n\r\n`);
      this.push(this.buffer.subarray(end + SEPARATOR.length, total));
      this.buffer = this.buffer.subarray(total);
    }
    done();
  }
}
