/**
 * The configuration in the URL, so that a link reproduces a run:
 * `?problem=regression&seed=65&batch=32&backend=wasm&steps=1000&run=sgd,0.01,none,1,propagate&run=…`
 * (one `run` parameter per run: optimizer, learning rate, clipping, threshold, non-finite policy).
 */
import { ConfigError, defaultConfig, validateConfig, type PlaygroundConfig, type RunSettings } from './config.js';

/** The query string (without `?`) of a configuration. */
export function configToQuery(c: PlaygroundConfig): string {
  const p = new URLSearchParams();
  p.set('problem', c.problem);
  p.set('seed', String(c.seed));
  p.set('batch', String(c.batchSize));
  p.set('backend', c.backend);
  p.set('steps', String(c.steps));
  for (const r of c.runs) p.append('run', [r.optimizer, r.lr, r.clip, r.threshold, r.nonFinite].join(','));
  // Commas are allowed in a query; unescaped, the link stays readable.
  return p.toString().replace(/%2C/g, ',');
}

function num(field: string, s: string | null): number {
  const x = s == null || s.trim() === '' ? NaN : Number(s);
  if (!Number.isFinite(x)) throw new ConfigError(`\`${field}\` in the URL must be a number. Received: ${field}=${JSON.stringify(s)}`);
  return x;
}

function parseRun(s: string, i: number): RunSettings {
  const parts = s.split(',');
  if (parts.length !== 5) throw new ConfigError(`\`run\` ${i + 1} in the URL must be optimizer,lr,clip,threshold,nonFinite. Received: run=${JSON.stringify(s)}`);
  const [optimizer, lr, clip, threshold, nonFinite] = parts;
  return { optimizer, lr: num(`runs[${i}].lr`, lr), clip, threshold: num(`runs[${i}].threshold`, threshold), nonFinite } as RunSettings;
}

/**
 * The configuration of a query string. Parameters that are absent take the default's values; present
 * ones must be valid. Throws a {@link ConfigError} naming the bad parameter.
 */
export function queryToConfig(query: string): PlaygroundConfig {
  const p = new URLSearchParams(query.startsWith('?') ? query.slice(1) : query);
  const c = defaultConfig();
  if (p.has('problem')) c.problem = p.get('problem') as PlaygroundConfig['problem'];
  if (p.has('seed')) c.seed = num('seed', p.get('seed'));
  if (p.has('batch')) c.batchSize = num('batchSize', p.get('batch'));
  if (p.has('backend')) c.backend = p.get('backend') as PlaygroundConfig['backend'];
  if (p.has('steps')) c.steps = num('steps', p.get('steps'));
  const runs = p.getAll('run');
  if (runs.length > 0) c.runs = runs.map(parseRun);
  return validateConfig(c);
}
