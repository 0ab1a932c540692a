/**
 * The page's explanations, in the project's words: what each control does, which section of the
 * article ("Introduction to Gradient Clipping Techniques with TensorFlow") it comes from, and the
 * Keras and PyTorch line that does the same. Links go to the Keras, TensorFlow and PyTorch docs
 * (opened only when clicked; the page itself fetches nothing from the internet).
 */
import type { ClipId, NonFiniteId, ProblemId } from './config.js';

export interface Explanation {
  /** What it does, in a sentence or two. */
  text: string;
  /** The article's section title it relates to. */
  article: string;
  /** The Keras / TensorFlow line that does the same (empty when there is none). */
  keras: string;
  kerasUrl?: string;
  /** The PyTorch line that does the same. */
  torch: string;
  torchUrl?: string;
}

const KERAS_OPT = 'https://keras.io/api/optimizers/';
const TORCH_NORM = 'https://pytorch.org/docs/stable/generated/torch.nn.utils.clip_grad_norm_.html';
const TORCH_VALUE = 'https://pytorch.org/docs/stable/generated/torch.nn.utils.clip_grad_value_.html';

export const CLIP_TEXT: Record<ClipId, Explanation> = {
  none: {
    text: 'The optimizer applies the gradients as computed. With unscaled data or a large learning rate, one huge gradient can throw the weights so far that the loss overflows to Infinity and then NaN.',
    article: 'What causes exploding gradients?',
    keras: 'tf.keras.optimizers.SGD(learning_rate=0.01)',
    kerasUrl: KERAS_OPT,
    torch: 'optimizer.step()  # no clipping',
  },
  value: {
    text: 'Every gradient entry is clamped to [-t, t]. Cheap, but it changes the direction of the step, not only its length.',
    article: 'Gradient Clipping-by-value',
    keras: 'tf.keras.optimizers.Adam(clipvalue=t)',
    kerasUrl: KERAS_OPT,
    torch: 'torch.nn.utils.clip_grad_value_(model.parameters(), clip_value=t)',
    torchUrl: TORCH_VALUE,
  },
  norm: {
    text: "Each weight tensor's gradient is rescaled on its own so that its L2 norm is at most t (Keras's clipnorm). Directions within a tensor are kept; the balance between tensors is not.",
    article: 'Gradient Clipping-by-norm',
    keras: 'tf.keras.optimizers.Adam(clipnorm=t)',
    kerasUrl: KERAS_OPT,
    torch: 'for p in model.parameters(): torch.nn.utils.clip_grad_norm_([p], max_norm=t)',
    torchUrl: TORCH_NORM,
  },
  'global-norm': {
    text: 'All gradients are rescaled together so that their global L2 norm is at most t: the step keeps its direction and only gets shorter. This is what PyTorch calls clipping by norm.',
    article: 'Gradient Clipping in PyTorch',
    keras: 'tf.keras.optimizers.SGD(global_clipnorm=t)  # or tf.clip_by_global_norm(grads, t)',
    kerasUrl: KERAS_OPT,
    torch: 'torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=t, norm_type=2)',
    torchUrl: TORCH_NORM,
  },
  agc: {
    text: "Adaptive gradient clipping (NFNets): each unit's gradient is clipped relative to the size of its weights, ‖g‖ ≤ λ·‖w‖. The final layer (head) is left out, as in the paper.",
    article: 'How to fix exploding gradients',
    keras: '(no Keras option; optax.adaptive_grad_clip(λ) in JAX)',
    torch: '(no PyTorch built-in; timm.utils.adaptive_clip_grad(parameters, clip_factor=λ))',
  },
  autoclip: {
    text: 'AutoClip: the threshold is the p-th percentile of the gradient norms seen so far, so it adapts to the problem instead of being guessed.',
    article: 'How to fix exploding gradients',
    keras: '(no Keras option)',
    torch: 'clip_grad_norm_(model.parameters(), np.percentile(norm_history, p))',
    torchUrl: TORCH_NORM,
  },
  zclip: {
    text: 'ZClip: keeps a running mean and spread of the gradient norm and clips only norms that are outliers (z-score above z), back towards the mean.',
    article: 'How to identify and catch exploding gradients?',
    keras: '(no Keras option)',
    torch: 'ZClip(z_thresh=z)(model)  # the ZClip authors\' PyTorch class, after backward()',
  },
  'skip-on-spike': {
    text: 'Skips the whole step when the loss or the gradient norm jumps above mean + sigma·std of the recent steps: the weights and the optimizer state stay as they were (as large training runs such as OLMo do).',
    article: 'How to identify and catch exploding gradients?',
    keras: '(no Keras option)',
    torch: 'if norm > mean + sigma * std: optimizer.zero_grad(); continue',
  },
};

export const NON_FINITE_TEXT: Record<NonFiniteId, Explanation> = {
  propagate: {
    text: 'A step with NaN/Inf gradients is applied as computed, as Keras and PyTorch do by default: the weights become NaN and stay NaN.',
    article: 'What causes exploding gradients?',
    keras: 'model.fit(...)  # default',
    torch: 'optimizer.step()  # default',
  },
  skip: {
    text: 'A step with NaN/Inf gradients is not applied: weights, optimizer slots and the step count stay as they were, and a ○ marks the step.',
    article: 'How to fix exploding gradients',
    keras: '(no Keras option; optax.apply_if_finite in JAX)',
    torch: 'if torch.isfinite(total_norm): optimizer.step()',
    torchUrl: TORCH_NORM,
  },
  error: {
    text: 'A step with NaN/Inf gradients stops training with an error that names the step, before the weights change.',
    article: 'How to identify and catch exploding gradients?',
    keras: 'tf.keras.callbacks.TerminateOnNaN()  # stops after the bad step',
    torch: 'clip_grad_norm_(..., error_if_nonfinite=True)',
    torchUrl: TORCH_NORM,
  },
};

export const PROBLEM_TEXT: Record<ProblemId, string> = {
  regression:
    "The article's regression: Dense(35, relu) → Dense(1) on make_regression data, not scaled (targets in the hundreds). With Adam it trains; with SGD at lr 0.01 the first steps overflow — the regime that really diverges.",
  'regression-exploding': "The article's \"exploding\" data: X and y raised to the power 2 (sign kept), so the values and the loss are huge.",
  'regression-standardized': 'The same data standardized (zero mean, unit variance): the fix the article names first, and the one clipping cannot replace.',
  mnist: "The article's Keras example: Flatten → Dense(128, relu) → Dense(10) on real MNIST digits, softmax cross-entropy from logits.",
  cnn: "The article's PyTorch CIFAR network (two convolutions, three dense layers), here on the shipped digits padded to 32×32×3.",
  'adding-rnn': 'The article\'s motivation: a recurrent network (SimpleRNN) on the adding problem, where gradients through 50 time steps explode or vanish.',
  'adding-lstm': 'The same adding problem with an LSTM, which the article says is "more adapted to tackling this problem" — but still not immune.',
};

/** What the charts show, one paragraph each. */
export const CHART_TEXT = {
  loss: 'The training loss of each run, on a log scale so that 1e2 and 1e20 both fit. ✕ marks a step whose loss or gradients were NaN/Inf, ○ a skipped step, ▲ a loss or gradient-norm spike found by gradclip\'s lossSpikeDetector. (Article: "How to identify and catch exploding gradients?" — log the loss and trigger on sudden jumps.)',
  gradNorm: 'The global L2 norm of all gradients before clipping (solid) and of what the optimizer applied (dashed). Where the dashed line sits below the solid one, clipping fired.',
  clipRate: 'How often clipping fired over the last 50 steps. A clip rate near 100% means the threshold, not the gradient, sets the step size: the optimizer has effectively become "sign SGD" or a fixed-length step.',
  heat: 'Each layer\'s gradient norm over the steps (rows = layers, input at the top). Dark rows are layers whose gradients vanish, red or magenta cells are gradients that explode or overflow. (Article: "Common problems with backpropagation".)',
};
