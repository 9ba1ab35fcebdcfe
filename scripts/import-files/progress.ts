// Progress of an import: a bar redrawn in place on a terminal, one line per
// file otherwise (CI logs, pipes).
export class Progress {
  private done = 0;
  private bytes = 0;

  constructor(private readonly total: number, private readonly totalBytes: number, private readonly out: NodeJS.WriteStream = process.stderr) {}

  step(action: string, key: string, size: number): void {
    this.done++;
    this.bytes += size;
    const counts = `${this.done}/${this.total} files, ${megabytes(this.bytes)}/${megabytes(this.totalBytes)} MB`;
    if (!this.out.isTTY) {
      this.out.write(`${action.padEnd(8)} ${key} (${counts})\n`);
      return;
    }
    const width = 30;
    const filled = this.total === 0 ? width : Math.round((this.done / this.total) * width);
    this.out.write(`\r[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${counts} ${action} ${key}`.slice(0, this.out.columns ?? 120).padEnd(this.out.columns ?? 120));
    if (this.done === this.total) this.out.write("\n");
  }
}

export function megabytes(bytes: number): string {
  return (bytes / 1e6).toFixed(1);
}
