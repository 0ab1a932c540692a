/** Progress display for long runs: a bar on a TTY, one line per configuration otherwise (internal). */
import cliProgress from 'cli-progress';
import type { RunProgress, RunResult, ExperimentSpec } from '../experiments/types.js';
import { formatNumber, formatPercent, formatSeconds } from '../report/format.js';

/** Hooks for `runStudy`. */
export interface ProgressHooks {
  onRunStart: (spec: ExperimentSpec, index: number, count: number) => void;
  onProgress: (p: RunProgress) => void;
  onRunEnd: (r: RunResult, index: number, count: number) => void;
}

function summary(r: RunResult): string {
  const nan = r.firstNonFinite ? `loss ${r.firstNonFinite.value} at step ${r.firstNonFinite.step}` : 'no NaN';
  // The table's formatters, so a number reads the same in the progress line and in the table.
  return `val loss ${formatNumber(r.finalValLoss)}, ${nan}, clip rate ${formatPercent(r.clipRate)}, ${formatSeconds(r.wallTimeMs)} s`;
}

/**
 * Progress hooks writing to `stream`: with a TTY, a `cli-progress` bar per configuration; without,
 * one line when each configuration ends.
 *
 * @param stream - where to write (the CLI passes stdout).
 * @returns the hooks.
 */
export function progressHooks(stream: NodeJS.WriteStream): ProgressHooks {
  const tty = stream.isTTY === true;
  let bar: cliProgress.SingleBar | null = null;
  return {
    onRunStart(spec, index, count) {
      if (!tty) return;
      bar = new cliProgress.SingleBar(
        {
          stream,
          format: `[${index + 1}/${count}] ${spec.name.padEnd(30)} {bar} {value}/{total} steps | epoch {epoch} | loss {loss}`,
          hideCursor: true,
          clearOnComplete: true,
          fps: 5,
        },
        cliProgress.Presets.shades_classic,
      );
      bar.start(1, 0, { epoch: 1, loss: '-' });
    },
    onProgress(p) {
      if (!bar) return;
      bar.setTotal(p.totalSteps);
      bar.update(p.step, { epoch: p.epoch, loss: formatNumber(p.loss) });
    },
    onRunEnd(r, index, count) {
      if (bar) {
        bar.stop();
        bar = null;
      }
      stream.write(`[${index + 1}/${count}] ${r.name}: ${summary(r)}\n`);
    },
  };
}
