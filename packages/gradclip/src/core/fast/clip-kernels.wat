;; gradclip's fused clipping kernels for the tfjs `wasm` backend (WebAssembly SIMD128).
;;
;; The module imports the tfjs-backend-wasm instance's own memory (`env.memory`), so it reads and
;; writes tensors in place on the wasm heap: no copies. Pointers are byte offsets into that memory
;; (tfjs's data offsets), counts are float32 elements.
;;
;; Regenerate the embedded bytes after editing: `bash scripts/build-clip-wasm.sh` (needs wabt's
;; wat2wasm; the runtime only uses the generated src/core/fast/clip-kernels-wasm.ts).
(module
  (import "env" "memory" (memory 1))

  ;; Σ x² over n float32 values at $p, returned as float64.
  ;; Squares are float32 (as in the tfjs/TF composition); they are summed in float32 over short
  ;; runs (16 terms per lane: 8 accumulators x 4 lanes x 16 steps = 512 values per block), and the
  ;; block sums are accumulated in float64. Relative error <= ~17 float32 ulps of a block sum,
  ;; independent of n. inf and NaN propagate (inf + x = inf; NaN anywhere gives NaN).
  (func (export "sumsq") (param $p i32) (param $n i32) (result f64)
    (local $acc0 v128) (local $acc1 v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $a4 v128) (local $a5 v128) (local $a6 v128) (local $a7 v128)
    (local $v v128) (local $blocks i32) (local $k i32) (local $end i32) (local $x f64)
    (local.set $acc0 (v128.const f64x2 0 0))
    (local.set $acc1 (v128.const f64x2 0 0))
    (local.set $blocks (i32.shr_u (local.get $n) (i32.const 9)))
    (block $done
      (loop $block
        (br_if $done (i32.eqz (local.get $blocks)))
        (local.set $a0 (v128.const f32x4 0 0 0 0)) (local.set $a1 (v128.const f32x4 0 0 0 0))
        (local.set $a2 (v128.const f32x4 0 0 0 0)) (local.set $a3 (v128.const f32x4 0 0 0 0))
        (local.set $a4 (v128.const f32x4 0 0 0 0)) (local.set $a5 (v128.const f32x4 0 0 0 0))
        (local.set $a6 (v128.const f32x4 0 0 0 0)) (local.set $a7 (v128.const f32x4 0 0 0 0))
        (local.set $k (i32.const 16))
        (loop $inner
          (local.set $v (v128.load offset=0 align=4 (local.get $p)))
          (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $v) (local.get $v))))
          (local.set $v (v128.load offset=16 align=4 (local.get $p)))
          (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $v) (local.get $v))))
          (local.set $v (v128.load offset=32 align=4 (local.get $p)))
          (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $v) (local.get $v))))
          (local.set $v (v128.load offset=48 align=4 (local.get $p)))
          (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (local.get $v) (local.get $v))))
          (local.set $v (v128.load offset=64 align=4 (local.get $p)))
          (local.set $a4 (f32x4.add (local.get $a4) (f32x4.mul (local.get $v) (local.get $v))))
          (local.set $v (v128.load offset=80 align=4 (local.get $p)))
          (local.set $a5 (f32x4.add (local.get $a5) (f32x4.mul (local.get $v) (local.get $v))))
          (local.set $v (v128.load offset=96 align=4 (local.get $p)))
          (local.set $a6 (f32x4.add (local.get $a6) (f32x4.mul (local.get $v) (local.get $v))))
          (local.set $v (v128.load offset=112 align=4 (local.get $p)))
          (local.set $a7 (f32x4.add (local.get $a7) (f32x4.mul (local.get $v) (local.get $v))))
          (local.set $p (i32.add (local.get $p) (i32.const 128)))
          (local.set $k (i32.sub (local.get $k) (i32.const 1)))
          (br_if $inner (local.get $k)))
        ;; fold the 32 float32 lanes into the two float64x2 accumulators
        (local.set $acc0 (f64x2.add (local.get $acc0) (f64x2.add
          (f64x2.add (f64x2.promote_low_f32x4 (local.get $a0)) (f64x2.promote_low_f32x4 (local.get $a1)))
          (f64x2.add (f64x2.promote_low_f32x4 (local.get $a2)) (f64x2.promote_low_f32x4 (local.get $a3))))))
        (local.set $acc0 (f64x2.add (local.get $acc0) (f64x2.add
          (f64x2.add (f64x2.promote_low_f32x4 (local.get $a4)) (f64x2.promote_low_f32x4 (local.get $a5)))
          (f64x2.add (f64x2.promote_low_f32x4 (local.get $a6)) (f64x2.promote_low_f32x4 (local.get $a7))))))
        (local.set $acc1 (f64x2.add (local.get $acc1) (f64x2.add
          (f64x2.add
            (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $a0) (local.get $a0)))
            (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $a1) (local.get $a1))))
          (f64x2.add
            (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $a2) (local.get $a2)))
            (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $a3) (local.get $a3)))))))
        (local.set $acc1 (f64x2.add (local.get $acc1) (f64x2.add
          (f64x2.add
            (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $a4) (local.get $a4)))
            (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $a5) (local.get $a5))))
          (f64x2.add
            (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $a6) (local.get $a6)))
            (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $a7) (local.get $a7)))))))
        (local.set $blocks (i32.sub (local.get $blocks) (i32.const 1)))
        (br $block)))
    (local.set $acc0 (f64x2.add (local.get $acc0) (local.get $acc1)))
    (local.set $x (f64.add (f64x2.extract_lane 0 (local.get $acc0)) (f64x2.extract_lane 1 (local.get $acc0))))
    ;; tail (< 512 values): float32 squares, float64 sum
    (local.set $end (i32.add (local.get $p) (i32.shl (i32.and (local.get $n) (i32.const 511)) (i32.const 2))))
    (block $tdone
      (loop $tail
        (br_if $tdone (i32.eq (local.get $p) (local.get $end)))
        (local.set $x (f64.add (local.get $x) (f64.promote_f32
          (f32.mul (f32.load (local.get $p)) (f32.load (local.get $p))))))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br $tail)))
    (local.get $x))

  ;; dst[i] = src[i] * s (float32, IEEE: bit-identical to tfjs's Multiply by a scalar).
  (func (export "scale") (param $src i32) (param $dst i32) (param $n i32) (param $s f32)
    (local $sv v128) (local $end i32) (local $vend i32)
    (local.set $sv (f32x4.splat (local.get $s)))
    (local.set $end (i32.add (local.get $src) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $vend (i32.add (local.get $src) (i32.shl (i32.and (local.get $n) (i32.const -16)) (i32.const 2))))
    (block $vdone
      (loop $v
        (br_if $vdone (i32.eq (local.get $src) (local.get $vend)))
        (v128.store offset=0 align=4 (local.get $dst) (f32x4.mul (v128.load offset=0 align=4 (local.get $src)) (local.get $sv)))
        (v128.store offset=16 align=4 (local.get $dst) (f32x4.mul (v128.load offset=16 align=4 (local.get $src)) (local.get $sv)))
        (v128.store offset=32 align=4 (local.get $dst) (f32x4.mul (v128.load offset=32 align=4 (local.get $src)) (local.get $sv)))
        (v128.store offset=48 align=4 (local.get $dst) (f32x4.mul (v128.load offset=48 align=4 (local.get $src)) (local.get $sv)))
        (local.set $src (i32.add (local.get $src) (i32.const 64)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 64)))
        (br $v)))
    (block $tdone
      (loop $t
        (br_if $tdone (i32.eq (local.get $src) (local.get $end)))
        (f32.store (local.get $dst) (f32.mul (f32.load (local.get $src)) (local.get $s)))
        (local.set $src (i32.add (local.get $src) (i32.const 4)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
        (br $t))))

  ;; dst[i] = min(max(src[i], -c), c): NaN stays NaN, -0 stays -0, ±inf clamp, like the tfjs
  ;; composition minimum(maximum(g, -c), c) (IEEE-754 2019 minimum/maximum), for c >= 0.
  ;; The vector loop uses the pseudo-min/max, which V8 compiles to one minps/maxps each (the
  ;; NaN/-0-exact f32x4.min/max need ~4 extra instructions each and made this loop compute-bound,
  ;; ~2.8x slower on 40 MB). They give the same bits here: y = pmax(x, -c) = (x < -c ? -c : x)
  ;; keeps a NaN x (the compare is false) and keeps x = -0 (also for c = 0: -0 < -0 is false);
  ;; z = pmin(y, c) = (c < y ? c : y) keeps a NaN y and y = -0 (for c = 0: +0 < -0 is false).
  ;; Where min/max would make a NaN, this returns the input NaN itself (same NaN, payload kept).
  (func (export "clamp") (param $src i32) (param $dst i32) (param $n i32) (param $c f32)
    (local $hi v128) (local $lo v128) (local $end i32) (local $vend i32)
    (local.set $hi (f32x4.splat (local.get $c)))
    (local.set $lo (f32x4.splat (f32.neg (local.get $c))))
    (local.set $end (i32.add (local.get $src) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $vend (i32.add (local.get $src) (i32.shl (i32.and (local.get $n) (i32.const -16)) (i32.const 2))))
    (block $vdone
      (loop $v
        (br_if $vdone (i32.eq (local.get $src) (local.get $vend)))
        (v128.store offset=0 align=4 (local.get $dst)
          (f32x4.pmin (f32x4.pmax (v128.load offset=0 align=4 (local.get $src)) (local.get $lo)) (local.get $hi)))
        (v128.store offset=16 align=4 (local.get $dst)
          (f32x4.pmin (f32x4.pmax (v128.load offset=16 align=4 (local.get $src)) (local.get $lo)) (local.get $hi)))
        (v128.store offset=32 align=4 (local.get $dst)
          (f32x4.pmin (f32x4.pmax (v128.load offset=32 align=4 (local.get $src)) (local.get $lo)) (local.get $hi)))
        (v128.store offset=48 align=4 (local.get $dst)
          (f32x4.pmin (f32x4.pmax (v128.load offset=48 align=4 (local.get $src)) (local.get $lo)) (local.get $hi)))
        (local.set $src (i32.add (local.get $src) (i32.const 64)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 64)))
        (br $v)))
    (block $tdone
      (loop $t
        (br_if $tdone (i32.eq (local.get $src) (local.get $end)))
        (f32.store (local.get $dst) (f32.min (f32.max (f32.load (local.get $src)) (f32.neg (local.get $c))) (local.get $c)))
        (local.set $src (i32.add (local.get $src) (i32.const 4)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
        (br $t))))
  ;; max |x| over n float32 values at $p, NaN entries ignored (pmax keeps the accumulator when the
  ;; other operand is NaN); 0 for n = 0, inf when an entry is ±inf. A clamp to [-c, c] changes an
  ;; array exactly when this is > c.
  (func (export "maxabs") (param $p i32) (param $n i32) (result f32)
    (local $m0 v128) (local $m1 v128) (local $m2 v128) (local $m3 v128)
    (local $end i32) (local $vend i32) (local $m f32) (local $a f32)
    (local.set $m0 (v128.const f32x4 0 0 0 0)) (local.set $m1 (v128.const f32x4 0 0 0 0))
    (local.set $m2 (v128.const f32x4 0 0 0 0)) (local.set $m3 (v128.const f32x4 0 0 0 0))
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $vend (i32.add (local.get $p) (i32.shl (i32.and (local.get $n) (i32.const -16)) (i32.const 2))))
    (block $vdone
      (loop $v
        (br_if $vdone (i32.eq (local.get $p) (local.get $vend)))
        (local.set $m0 (f32x4.pmax (local.get $m0) (f32x4.abs (v128.load offset=0 align=4 (local.get $p)))))
        (local.set $m1 (f32x4.pmax (local.get $m1) (f32x4.abs (v128.load offset=16 align=4 (local.get $p)))))
        (local.set $m2 (f32x4.pmax (local.get $m2) (f32x4.abs (v128.load offset=32 align=4 (local.get $p)))))
        (local.set $m3 (f32x4.pmax (local.get $m3) (f32x4.abs (v128.load offset=48 align=4 (local.get $p)))))
        (local.set $p (i32.add (local.get $p) (i32.const 64)))
        (br $v)))
    (local.set $m0 (f32x4.pmax (f32x4.pmax (local.get $m0) (local.get $m1)) (f32x4.pmax (local.get $m2) (local.get $m3))))
    (local.set $m (f32x4.extract_lane 0 (local.get $m0)))
    (if (f32.gt (f32x4.extract_lane 1 (local.get $m0)) (local.get $m)) (then (local.set $m (f32x4.extract_lane 1 (local.get $m0)))))
    (if (f32.gt (f32x4.extract_lane 2 (local.get $m0)) (local.get $m)) (then (local.set $m (f32x4.extract_lane 2 (local.get $m0)))))
    (if (f32.gt (f32x4.extract_lane 3 (local.get $m0)) (local.get $m)) (then (local.set $m (f32x4.extract_lane 3 (local.get $m0)))))
    (block $tdone
      (loop $t
        (br_if $tdone (i32.eq (local.get $p) (local.get $end)))
        (local.set $a (f32.abs (f32.load (local.get $p))))
        (if (f32.gt (local.get $a) (local.get $m)) (then (local.set $m (local.get $a))))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br $t)))
    (local.get $m)))
