import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { canBindTcp, canBindUdp } from './ports';

/** The SIPp scenarios kept with the tests. */
export const SIPP_FIXTURES = path.resolve(__dirname, '../fixtures/sipp');

export interface SippResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * One SIPp process (Debian `sip-tester`) for an interop test: run in a temp dir of its own (SIPp
 * may write logs to its working directory), always with `-nostdin -timeout -timeout_error` so it
 * ends by itself; `stop()` kills it by its PID. A missing `sipp` binary is an error, not a skip.
 */
export class SippProcess {
  readonly done: Promise<SippResult>;
  private readonly child: ChildProcess;
  private readonly dir: string;

  constructor(args: readonly string[], timeoutS = 20) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mediapath-sipp-'));
    this.child = spawn('sipp', ['-nostdin', '-timeout', `${timeoutS}s`, '-timeout_error', ...args], { cwd: this.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    this.child.stdout?.on('data', (b: Buffer) => (stdout = (stdout + b.toString()).slice(-20_000)));
    this.child.stderr?.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-20_000)));
    this.done = new Promise((resolve) => {
      this.child.once('error', (e) => {
        this.cleanup();
        resolve({ code: -1, signal: null, stdout, stderr: `${stderr}\nspawn sipp failed: ${e.message} (install Debian sip-tester)` });
      });
      this.child.once('exit', (code, signal) => {
        this.cleanup();
        resolve({ code, signal, stdout, stderr });
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  stop(): Promise<SippResult> {
    if (this.child.exitCode === null && this.child.signalCode === null && this.child.pid !== undefined) this.child.kill('SIGKILL');
    return this.done;
  }

  private cleanup(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Waits until SIPp holds its port (it binds before it is ready to answer). */
export async function waitForSippPort(ip: string, port: number, transport: 'udp' | 'tcp', limitMs = 5000): Promise<void> {
  for (let t = 0; t < limitMs; t += 50) {
    const free = transport === 'udp' ? await canBindUdp(ip, port) : await canBindTcp(ip, port);
    if (!free) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`SIPp did not bind ${transport} ${ip}:${port} within ${limitMs} ms`);
}
