/** The runs' colours (Okabe–Ito, readable by colour-blind people) and the markers' colours. */
export const RUN_COLORS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7'] as const;
export const MARKER_COLORS = { nonfinite: '#d00000', skipped: '#7a5195', spike: '#e69f00' } as const;
