/** A one-thread PyTorch worker (bench/torch_clip.py) driven line by line, or null when torch is absent. */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const PYTHON = '/usr/bin/python3';

export interface TorchWorker {
  version: string;
  call<T>(cmd: Record<string, unknown>): Promise<T>;
  close(): void;
}

/** Why torch cannot be used (a note for the report), or null when it can. */
export function torchUnavailableReason(): string | null {
  const r = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  if (r.error != null) return `${PYTHON} not found`;
  if (r.status !== 0) return `torch not importable by ${PYTHON} (install Debian's python3-torch)`;
  return null;
}

export async function startTorch(): Promise<TorchWorker> {
  const script = fileURLToPath(new URL('./torch_clip.py', import.meta.url));
  const child: ChildProcessWithoutNullStreams = spawn(PYTHON, [script], {
    env: { ...process.env, OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' },
  });
  const lines = createInterface({ input: child.stdout });
  const waiting: ((line: string) => void)[] = [];
  lines.on('line', (line) => waiting.shift()?.(line));
  const next = (): Promise<string> => new Promise((resolve) => waiting.push(resolve));
  const hello = JSON.parse(await next()) as { torch: string };
  return {
    version: hello.torch,
    async call<T>(cmd: Record<string, unknown>): Promise<T> {
      const p = next();
      child.stdin.write(`${JSON.stringify(cmd)}\n`);
      const out = JSON.parse(await p) as T & { error?: string };
      if (out.error != null) throw new Error(out.error);
      return out;
    },
    close(): void {
      child.stdin.end();
    },
  };
}
