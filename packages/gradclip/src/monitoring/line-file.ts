/** An append-only text file written line by line, buffered until `flush` (Node only). */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Buffered lines appended to a file; written at `flush()` or when 256 lines are queued. */
export class LineFile {
  private fd: number | null = null;
  private queue: string[] = [];

  constructor(
    readonly filename: string,
    private readonly append: boolean,
  ) {}

  /** True when the file already has content (only meaningful before the first write). */
  hasContent(): boolean {
    try {
      return fs.statSync(this.filename).size > 0;
    } catch {
      return false;
    }
  }

  open(): void {
    if (this.fd != null) return;
    fs.mkdirSync(path.dirname(path.resolve(this.filename)), { recursive: true });
    this.fd = fs.openSync(this.filename, this.append ? 'a' : 'w');
  }

  write(line: string): void {
    this.queue.push(line + '\n');
    if (this.queue.length >= 256) this.flush();
  }

  flush(): void {
    if (this.queue.length === 0) return;
    this.open();
    const text = this.queue.join('');
    this.queue = [];
    fs.writeSync(this.fd as number, text);
  }

  close(): void {
    this.flush();
    if (this.fd != null) fs.closeSync(this.fd);
    this.fd = null;
  }
}
