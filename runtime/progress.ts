// Keras-style progress on stderr: a redrawn bar with ETA on a terminal, one plain line per
// epoch otherwise.
export class Progress {
  private start = 0;
  private lastDraw = 0;
  private readonly tty: boolean;
  constructor(private readonly quiet: boolean, private readonly out: NodeJS.WriteStream = process.stderr) {
    this.tty = Boolean(out.isTTY);
  }

  epochStart(): void {
    this.start = Date.now();
    this.lastDraw = 0;
  }

  batch(epoch: number, epochs: number, done: number, total: number, logs: Record<string, number>): void {
    if (this.quiet || !this.tty) return;
    const now = Date.now();
    if (done < total && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const width = 24;
    const filled = Math.round((done / total) * width);
    const elapsed = (now - this.start) / 1000;
    const eta = done > 0 ? (elapsed / done) * (total - done) : 0;
    const bar = "=".repeat(Math.max(0, filled - 1)) + (filled ? (done < total ? ">" : "=") : "") + ".".repeat(width - filled);
    this.out.write(`\r\x1b[Kepoch ${epoch}/${epochs} ${String(done).padStart(String(total).length)}/${total} [${bar}] ETA ${fmtTime(eta)} ${fmtLogs(logs)}`);
  }

  /** The epoch's last line; `done` < `total` for an epoch interrupted after `done` batches (marked so). */
  epochEnd(epoch: number, epochs: number, total: number, logs: Record<string, number>, done = total): void {
    if (this.quiet) return;
    const took = (Date.now() - this.start) / 1000;
    const line = `epoch ${epoch}/${epochs} ${done}/${total} ${fmtTime(took)} ${fmtLogs(logs)}${done < total ? " (interrupted: not a complete epoch)" : ""}`;
    this.out.write(this.tty ? `\r\x1b[K${line}\n` : `${line}\n`);
  }

  note(text: string): void {
    if (this.quiet) return;
    this.out.write(this.tty ? `\r\x1b[K${text}\n` : `${text}\n`);
  }
}

function fmtTime(s: number): string {
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${String(Math.round(s - m * 60)).padStart(2, "0")}s`;
}

export function fmtLogs(logs: Record<string, number>): string {
  return Object.entries(logs).map(([k, v]) => `- ${k} ${Math.abs(v) < 1e-3 && v !== 0 ? v.toExponential(2) : v.toFixed(4)}`).join(" ");
}
