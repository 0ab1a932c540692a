import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { lossSpikeDetector } from './loss-spike-detector.js';
import { TrainingMonitor } from './training-monitor.js';

/** Feeds `losses` to a detector through a custom-loop monitor; returns the steps (1-based) that spiked. */
async function spikesOf(options: Parameters<typeof lossSpikeDetector>[0], losses: number[]): Promise<number[]> {
  const d = lossSpikeDetector({ on: ['loss'], action: 'none', ...options });
  const monitor = new TrainingMonitor({ callbacks: [d] });
  for (const loss of losses) await monitor.recordStep({ loss });
  await monitor.close();
  return d.spikes.map((s) => s.step);
}

describe('lossSpikeDetector rules', () => {
  // mean 1.05, std 0.05 over [1, 1.1, 1, 1.1]: with sigma 3 the bar is 1.2.
  const series = [1, 1.1, 1, 1.1, 10, 1.3, 1.05];

  it('flags values above mean + sigma·std, keeping spikes out of the window (default)', async () => {
    assert.deepEqual(await spikesOf({ window: 4, warmup: 2, sigma: 3, maxFactor: null }, series), [5, 6]);
  });

  it('recordSpikes: true lets a spike into the window, as skipOnSpike does', async () => {
    assert.deepEqual(await spikesOf({ window: 4, warmup: 2, sigma: 3, maxFactor: null, recordSpikes: true }, series), [5]);
  });

  it('accepts the old option name sigmaFactor, but not both names', async () => {
    assert.deepEqual(await spikesOf({ window: 4, warmup: 2, sigmaFactor: 3, maxFactor: null }, series), [5, 6]);
    assert.throws(() => lossSpikeDetector({ sigma: 3, sigmaFactor: 3 }), /Give `sigma` or its old name `sigmaFactor`, not both\. Received: sigma=3, sigmaFactor=3/);
    assert.throws(() => lossSpikeDetector({ sigma: null, maxFactor: null }), /At least one of `sigma` and `maxFactor` must be set/);
    assert.throws(() => lossSpikeDetector({ recordSpikes: 1 as never }), /`recordSpikes` must be a boolean\. Received: recordSpikes=1/);
    assert.throws(() => lossSpikeDetector({ sigmaFactr: 3 } as never), /`options\.sigmaFactr` must be one of the options of lossSpikeDetector/);
  });
});
