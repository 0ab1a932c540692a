/**
 * Runs the ```ts examples of READMEs and checks what they print.
 *
 * Each block becomes a module in the package's `test/.snippets/` (so `import … from 'gradclip'` or
 * `'@gradclip/study'` resolves to the built package through the workspace's node_modules). All
 * blocks run in one Node process, one after the other, from a temporary working directory. A block
 * that throws fails.
 *
 * The output convention: a line holding one complete statement (ending in `;`) followed by
 * `//=> text` states what that statement prints (`console.log`, `console.info`, `tensor.print()`):
 *
 *     clipped[0]!.print(); //=> [0.6, 0]
 *     console.log(state.lastThreshold); //=> 1.2
 *
 * The test captures everything that statement printed and compares it with `text`:
 * - tfjs's `Tensor` header line is dropped and whitespace is normalised (line breaks, padding,
 *   tfjs's trailing `,]` of a one-row matrix), so a printed matrix matches `[[1, 2], [3, 4]]`;
 * - numbers match when they differ by at most 1e-6 of the larger magnitude (or 1e-9 absolute):
 *   `0.26968` matches `0.2696799`; `NaN` and `±Infinity` match only themselves; all other text
 *   must be equal;
 * - a statement that prints several times (in a loop) is compared with its outputs joined by `, `;
 * - a trailing remark in parentheses after two or more spaces is a comment, not compared:
 *   `//=> [0.6, 0]   (rms 3.54 → 1)`.
 * A plain `// …` comment is not checked; use it for outputs that vary from run to run.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** One ```ts block of a README. */
export interface ReadmeBlock {
  /** Where it comes from, for messages (e.g. `packages/gradclip/README.md`). */
  source: string;
  /** 1-based line of the block's first code line in that file. */
  line: number;
  code: string;
}

/** One `//=>` line of a block. */
export interface Expectation {
  /** `source:line` of the line. */
  where: string;
  /** The expected output, remark removed. */
  expected: string;
}

/** What running the blocks found. */
export interface ReadmeRunResult {
  /** Blocks that threw (or could not be instrumented), with the error. */
  failures: string[];
  /** `//=>` lines whose statement printed something else (or nothing). */
  mismatches: string[];
  /** How many `//=>` lines were compared. */
  checked: number;
  blocks: number;
}

/** Every ```ts block of the Markdown file at `path`; `source` names it in messages. */
export function readmeBlocks(path: string, source: string): ReadmeBlock[] {
  const text = readFileSync(path, 'utf8');
  return [...text.matchAll(/^```ts\n([\s\S]*?)^```/gm)].map((m) => ({
    source,
    line: text.slice(0, m.index).split('\n').length + 1,
    code: m[1],
  }));
}

const OUTPUT_LINE = /^(\s*)(.*;)\s*\/\/=>\s?(.*)$/;
const REMARK = /\s{2,}\(.*\)\s*$/;

/** The expected text of a `//=> …` comment, without its trailing remark. */
export function expectedText(comment: string): string {
  return comment.replace(REMARK, '').trim();
}

/**
 * Normalises printed output for comparison: drops tfjs's `Tensor` header, collapses whitespace,
 * removes spaces inside brackets and before commas, and tfjs's `,]` of one-row matrices.
 */
export function normaliseOutput(text: string): string {
  return text
    .replace(/^Tensor\s*\n/, '')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/\s+([,\])}])/g, '$1')
    .replace(/([[({])\s+/g, '$1')
    .replace(/,\]/g, ']');
}

const NUMBER = /[-+]?Infinity|NaN|[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?/g;

function numbersClose(a: number, b: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (!Number.isFinite(a) || !Number.isFinite(b)) return a === b;
  return Math.abs(a - b) <= 1e-6 * Math.max(Math.abs(a), Math.abs(b)) + 1e-9;
}

function split(text: string): { words: string[]; numbers: number[] } {
  const numbers = [...text.matchAll(NUMBER)].map((m) => Number(m[0]));
  return { words: text.split(NUMBER), numbers };
}

/** True when printed output `actual` matches the documented `expected` (see the module comment). */
export function outputMatches(actual: string, expected: string): boolean {
  const a = split(normaliseOutput(actual));
  const e = split(normaliseOutput(expected));
  if (a.numbers.length !== e.numbers.length || a.words.length !== e.words.length) return false;
  return a.words.every((w, i) => w === e.words[i]) && a.numbers.every((x, i) => numbersClose(x, e.numbers[i]));
}

/**
 * Rewrites a block so that each `//=>` statement is bracketed by `__readme.at(id)` and
 * `__readme.at(-1)` on its own line (line numbers are kept), and returns the expectations by id.
 */
export function instrument(block: ReadmeBlock, firstId: number): { code: string; expectations: Map<number, Expectation>; errors: string[] } {
  const expectations = new Map<number, Expectation>();
  const errors: string[] = [];
  let id = firstId;
  const lines = block.code.split('\n').map((line, i) => {
    if (!line.includes('//=>')) return line;
    const where = `${block.source}:${block.line + i}`;
    const m = OUTPUT_LINE.exec(line);
    if (!m) {
      errors.push(`${where}: \`//=>\` must follow one complete statement ending in \`;\` on the same line: ${line.trim()}`);
      return line;
    }
    expectations.set(id, { where, expected: expectedText(m[3]) });
    return `${m[1]}__readme.at(${id++}); ${m[2]} __readme.at(-1);`;
  });
  return { code: lines.join('\n'), expectations, errors };
}

const RUNNER = `import { format } from 'node:util';
import { writeFileSync } from 'node:fs';
const [files, resultFile] = JSON.parse(process.argv[2]);
const outputs = {};
const failures = [];
let current = -1;
const log = console.log.bind(console);
const capture = (...args) => {
  if (current >= 0) (outputs[current] ??= []).push(format(...args));
  else log(...args);
};
console.log = capture;
console.info = capture;
globalThis.__readme = { at(id) { current = id; } };
for (const f of files) {
  current = -1;
  try { await import(f.url); } catch (e) { failures.push(f.where + ': ' + ((e && e.stack) || e)); }
}
current = -1;
writeFileSync(resultFile, JSON.stringify({ outputs, failures }));
`;

export interface RunReadmeOptions {
  /** Folder for the generated modules (emptied first); it must sit where the packages resolve. */
  snippetsDir: string;
  /** Code put before each block's body (after its imports), given the block's code. */
  prelude?: (code: string) => string;
  /** Limit for the whole run in ms (default 300 s). */
  timeoutMs?: number;
}

const DEFAULT_PRELUDE = (): string => "import * as __tf from '@tensorflow/tfjs';\n__tf.env().set('PROD', true);\n";

/** Runs `blocks` in one Node process (with tsx) and compares every `//=>` output. */
export function runReadmeBlocks(blocks: ReadmeBlock[], options: RunReadmeOptions): ReadmeRunResult {
  const { snippetsDir, prelude = DEFAULT_PRELUDE, timeoutMs = 300_000 } = options;
  rmSync(snippetsDir, { recursive: true, force: true });
  mkdirSync(snippetsDir, { recursive: true });
  const expectations = new Map<number, Expectation>();
  const failures: string[] = [];
  const files = blocks.map((block, i) => {
    const r = instrument(block, expectations.size);
    for (const [id, e] of r.expectations) expectations.set(id, e);
    failures.push(...r.errors);
    const imports = r.code.match(/^import [^\n]+\n/gm)?.join('') ?? '';
    const rest = r.code.replace(/^import [^\n]+\n/gm, '');
    const file = join(snippetsDir, `block-${String(i).padStart(2, '0')}.ts`);
    writeFileSync(file, `${imports}${prelude(block.code)}\n${rest}\nexport {};\n`);
    return { url: pathToFileURL(file).href, where: `${block.source}:${block.line} (${file})` };
  });
  const runner = join(snippetsDir, 'run.mjs');
  const resultFile = join(snippetsDir, 'result.json');
  writeFileSync(runner, RUNNER);
  const tsx = fileURLToPath(import.meta.resolve('tsx'));
  const cwd = mkdtempSync(join(tmpdir(), 'gradclip-readme-'));
  try {
    execFileSync(process.execPath, ['--import', pathToFileURL(tsx).href, runner, JSON.stringify([files, resultFile])], {
      cwd,
      encoding: 'utf8',
      maxBuffer: 64 << 20,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: timeoutMs,
    });
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
  const result = JSON.parse(readFileSync(resultFile, 'utf8')) as { outputs: Record<string, string[]>; failures: string[] };
  failures.push(...result.failures);
  const mismatches: string[] = [];
  for (const [id, { where, expected }] of expectations) {
    const printed = result.outputs[id];
    if (printed === undefined) {
      mismatches.push(`${where}: documented ${JSON.stringify(expected)}, but the statement printed nothing`);
      continue;
    }
    const actual = printed.map(normaliseOutput).join(', ');
    if (!outputMatches(actual, expected)) mismatches.push(`${where}: documented ${JSON.stringify(expected)}, printed ${JSON.stringify(actual)}`);
  }
  return { failures, mismatches, checked: expectations.size, blocks: blocks.length };
}
