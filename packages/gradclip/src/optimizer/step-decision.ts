/**
 * Whether the optimizer wrapper applies a step: the `nonFinite` policy and the step gates, as one
 * function that returns apply / skip / throw. It reads the global norm (and, for gates, the loss)
 * on the host only when a policy or a gate needs them; knows nothing about tensors otherwise.
 */
import { NonFiniteError } from '../errors.js';
import type { NonFinitePolicy } from './clipping-options.js';

/** What a {@link StepGate} sees: numbers read from the device for this step. */
export interface StepGateInfo {
  /** 1-based step count of this wrapper (including skipped steps). */
  step: number;
  /** The loss of this step when known (`minimize`, hence `fit`), else null. */
  loss: number | null;
  /** Global L2 norm of the gradients before clipping. */
  globalNorm: number;
}

/**
 * A per-step check run before the inner optimizer applies the update. Return `true` to skip the
 * step (weights, slots and iterations stay as they were); throw to stop training. Registering a
 * gate makes each step read the loss and the norm on the host.
 */
export type StepGate = (info: StepGateInfo) => boolean | void;

/** The outcome of {@link decideStep}. */
export type StepDecision =
  | { readonly action: 'apply' }
  | { readonly action: 'skip'; readonly reason: 'nonFinite' | 'gate' }
  | { readonly action: 'throw'; readonly error: unknown };

/** What {@link decideStep} needs to know about a step. */
export interface StepDecisionInput {
  /** 1-based number of the step. */
  step: number;
  policy: NonFinitePolicy;
  /** The registered gates, run in order (every one of them, even after one asked to skip). */
  gates: readonly StepGate[];
  /** Reads the global norm before clipping on the host; called only when the policy or a gate needs it. */
  globalNorm: () => number;
  /** Reads the step's loss on the host (null when unknown); called only when a gate runs. */
  loss: () => number | null;
}

const APPLY: StepDecision = Object.freeze({ action: 'apply' });
const SKIP_NON_FINITE: StepDecision = Object.freeze({ action: 'skip', reason: 'nonFinite' });
const SKIP_GATE: StepDecision = Object.freeze({ action: 'skip', reason: 'gate' });

/** True when {@link decideStep} reads the global norm: a policy other than `'propagate'`, or a gate. */
export function decisionNeedsNorm(policy: NonFinitePolicy, gates: readonly StepGate[]): boolean {
  return policy !== 'propagate' || gates.length > 0;
}

/**
 * Decides a step. With a finite norm the gates run (with the loss and the norm) and any `true`
 * skips; a gate that throws makes it `'throw'` with that error. With a NaN or infinite norm the
 * gates do not run: `nonFinite: 'skip'` skips, `'error'` throws a `NonFiniteError` naming the step
 * and the norm, `'propagate'` applies (Keras/TF).
 *
 * @example
 * ```ts
 * decideStep({ step: 3, policy: 'skip', gates: [], globalNorm: () => NaN, loss: () => null });
 * //=> { action: 'skip', reason: 'nonFinite' }
 * decideStep({ step: 3, policy: 'propagate', gates: [({ loss }) => loss! > 10], globalNorm: () => 2, loss: () => 12 });
 * //=> { action: 'skip', reason: 'gate' }
 * ```
 */
export function decideStep(input: StepDecisionInput): StepDecision {
  const { step, policy, gates } = input;
  if (!decisionNeedsNorm(policy, gates)) return APPLY;
  const norm = input.globalNorm();
  if (Number.isFinite(norm)) {
    if (gates.length === 0) return APPLY;
    const info: StepGateInfo = { step, loss: input.loss(), globalNorm: norm };
    let skip = false;
    try {
      for (const gate of gates) skip = gate(info) === true || skip;
    } catch (error) {
      return { action: 'throw', error };
    }
    return skip ? SKIP_GATE : APPLY;
  }
  if (policy === 'skip') return SKIP_NON_FINITE;
  if (policy === 'error') {
    const error = new NonFiniteError(
      `Non-finite gradient norm at step ${step} (globalNorm=${norm}); weights and optimizer state were not changed. ` +
        "To skip such steps, set `nonFinite: 'skip'`; to apply them anyway, `nonFinite: 'propagate'`.",
    );
    return { action: 'throw', error };
  }
  return APPLY;
}
