/** A progress bar on stderr, only when stderr is a terminal (never in CI logs or pipes). */
export class Progress {
  private readonly tty = process.stderr.isTTY === true;
  private last = 0;

  constructor(private readonly total: number) {}

  update(done: number, label: string): void {
    if (!this.tty) return;
    const now = Date.now();
    if (now - this.last < 100 && done < this.total) return;
    this.last = now;
    const width = 30;
    const filled = this.total ? Math.round((done / this.total) * width) : width;
    process.stderr.write(
      `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.round((done / Math.max(1, this.total)) * 100)}% ${label.slice(0, 40).padEnd(40)}`,
    );
  }

  done(): void {
    if (this.tty) process.stderr.write('\r' + ' '.repeat(80) + '\r');
  }
}
