;; gradclip's fused optimizer updates for the tfjs `wasm` backend (WebAssembly SIMD128): the
;; arithmetic of tfjs 4.22's SGD, Momentum, Adam, RMSProp, Adagrad, Adadelta and Adamax steps,
;; used by the fused update (src/optimizer/fused-update.ts); their cpu twins are update-loops.ts.
;;
;; The module imports the tfjs-backend-wasm instance's own memory (`env.memory`), so it updates
;; variables in place on the wasm heap: no copies. Pointers are byte offsets into that memory
;; (tfjs's data offsets), counts are float32 elements.
;;
;; Regenerate the embedded bytes after editing: `bash scripts/build-clip-wasm.sh` (needs wabt's
;; wat2wasm; the runtime only uses the generated src/optimizer/fast/update-kernels-wasm.ts).
(module
  (import "env" "memory" (memory 1))

  ;; ---- optimizer updates, in place, float32 ------------------------------------------------------
  ;; Each is the arithmetic of tfjs 4.22's `applyGradients` for one variable, op for op, every op
  ;; rounded to float32 (IEEE; wasm has no implicit FMA), so the results are bit-identical to the
  ;; tfjs kernels' chain. Pointers may not overlap, except that nothing is read after it is written.
  ;;
  ;; The clip folded into the update (issue 15): every function takes three more float32 values,
  ;; $gscale, $glo and $ghi, and uses g' = pmin(pmax(g * $gscale, $glo), $ghi) wherever the
  ;; optimizer reads g (the scalar tail uses f32.min/f32.max: the same values, NaN stays NaN). This
  ;; is exactly what the clipping kernels `scale` (g * s) and `clamp` (pmin(pmax(g, -c), c)) of
  ;; clip-kernels.wat write, so a folded step is bit-identical to clip-then-update, without writing
  ;; the clipped gradients. Identity: $gscale = 1, $glo = -inf, $ghi = +inf (x * 1 = x, and the
  ;; clamp to ±inf keeps every value, -0 and NaN included).

  ;; SGD: w = c * g + w (c = -learningRate).
  (func (export "sgd") (param $w i32) (param $g i32) (param $n i32) (param $c f32)
        (param $gscale f32) (param $glo f32) (param $ghi f32)
    (local $cv v128) (local $end i32) (local $vend i32)
    (local $gscalev v128) (local $glov v128) (local $ghiv v128)
    (local.set $gscalev (f32x4.splat (local.get $gscale)))
    (local.set $glov (f32x4.splat (local.get $glo)))
    (local.set $ghiv (f32x4.splat (local.get $ghi)))
    (local.set $cv (f32x4.splat (local.get $c)))
    (local.set $end (i32.add (local.get $w) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $vend (i32.add (local.get $w) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $vdone
      (loop $v
        (br_if $vdone (i32.eq (local.get $w) (local.get $vend)))
        (v128.store align=4 (local.get $w)
          (f32x4.add (f32x4.mul (local.get $cv) (f32x4.pmin (f32x4.pmax (f32x4.mul (v128.load align=4 (local.get $g)) (local.get $gscalev)) (local.get $glov)) (local.get $ghiv))) (v128.load align=4 (local.get $w))))
        (local.set $w (i32.add (local.get $w) (i32.const 16)))
        (local.set $g (i32.add (local.get $g) (i32.const 16)))
        (br $v)))
    (block $tdone
      (loop $t
        (br_if $tdone (i32.eq (local.get $w) (local.get $end)))
        (f32.store (local.get $w) (f32.add (f32.mul (local.get $c) (f32.min (f32.max (f32.mul (f32.load (local.get $g)) (local.get $gscale)) (local.get $glo)) (local.get $ghi))) (f32.load (local.get $w))))
        (local.set $w (i32.add (local.get $w) (i32.const 4)))
        (local.set $g (i32.add (local.get $g) (i32.const 4)))
        (br $t))))

  ;; Momentum: a = m * a + g; w = c * a + w, or with Nesterov w = c * (g + a * m) + w.
  (func (export "momentum") (param $w i32) (param $g i32) (param $a i32) (param $n i32)
        (param $m f32) (param $c f32) (param $nesterov i32)
        (param $gscale f32) (param $glo f32) (param $ghi f32)
    (local $mv v128) (local $cv v128) (local $gv v128) (local $av v128)
    (local $end i32) (local $vend i32) (local $gs f32) (local $as f32)
    (local $gscalev v128) (local $glov v128) (local $ghiv v128)
    (local.set $gscalev (f32x4.splat (local.get $gscale)))
    (local.set $glov (f32x4.splat (local.get $glo)))
    (local.set $ghiv (f32x4.splat (local.get $ghi)))
    (local.set $mv (f32x4.splat (local.get $m)))
    (local.set $cv (f32x4.splat (local.get $c)))
    (local.set $end (i32.add (local.get $w) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $vend (i32.add (local.get $w) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $vdone
      (loop $v
        (br_if $vdone (i32.eq (local.get $w) (local.get $vend)))
        (local.set $gv (f32x4.pmin (f32x4.pmax (f32x4.mul (v128.load align=4 (local.get $g)) (local.get $gscalev)) (local.get $glov)) (local.get $ghiv)))
        (local.set $av (f32x4.add (f32x4.mul (local.get $mv) (v128.load align=4 (local.get $a))) (local.get $gv)))
        (v128.store align=4 (local.get $a) (local.get $av))
        (if (local.get $nesterov)
          (then (local.set $av (f32x4.add (local.get $gv) (f32x4.mul (local.get $av) (local.get $mv))))))
        (v128.store align=4 (local.get $w)
          (f32x4.add (f32x4.mul (local.get $cv) (local.get $av)) (v128.load align=4 (local.get $w))))
        (local.set $w (i32.add (local.get $w) (i32.const 16)))
        (local.set $g (i32.add (local.get $g) (i32.const 16)))
        (local.set $a (i32.add (local.get $a) (i32.const 16)))
        (br $v)))
    (block $tdone
      (loop $t
        (br_if $tdone (i32.eq (local.get $w) (local.get $end)))
        (local.set $gs (f32.min (f32.max (f32.mul (f32.load (local.get $g)) (local.get $gscale)) (local.get $glo)) (local.get $ghi)))
        (local.set $as (f32.add (f32.mul (local.get $m) (f32.load (local.get $a))) (local.get $gs)))
        (f32.store (local.get $a) (local.get $as))
        (if (local.get $nesterov)
          (then (local.set $as (f32.add (local.get $gs) (f32.mul (local.get $as) (local.get $m))))))
        (f32.store (local.get $w) (f32.add (f32.mul (local.get $c) (local.get $as)) (f32.load (local.get $w))))
        (local.set $w (i32.add (local.get $w) (i32.const 4)))
        (local.set $g (i32.add (local.get $g) (i32.const 4)))
        (local.set $a (i32.add (local.get $a) (i32.const 4)))
        (br $t))))

  ;; Adam: m = m * b1 + g * omb1; v = v * b2 + (g * g) * omb2;
  ;; w = ((m / omab1) / (sqrt(v / omab2) + eps)) * nlr + w
  ;; (omb = 1 - beta, omab = 1 - beta^t, nlr = -learningRate, each already a float32).
  (func (export "adam") (param $w i32) (param $g i32) (param $m i32) (param $v i32) (param $n i32)
        (param $b1 f32) (param $omb1 f32) (param $b2 f32) (param $omb2 f32)
        (param $omab1 f32) (param $omab2 f32) (param $eps f32) (param $nlr f32)
        (param $gscale f32) (param $glo f32) (param $ghi f32)
    (local $b1v v128) (local $omb1v v128) (local $b2v v128) (local $omb2v v128)
    (local $omab1v v128) (local $omab2v v128) (local $epsv v128) (local $nlrv v128)
    (local $gv v128) (local $mv v128) (local $vv v128)
    (local $end i32) (local $vend i32) (local $gs f32) (local $ms f32) (local $vs f32)
    (local $gscalev v128) (local $glov v128) (local $ghiv v128)
    (local.set $gscalev (f32x4.splat (local.get $gscale)))
    (local.set $glov (f32x4.splat (local.get $glo)))
    (local.set $ghiv (f32x4.splat (local.get $ghi)))
    (local.set $b1v (f32x4.splat (local.get $b1)))
    (local.set $omb1v (f32x4.splat (local.get $omb1)))
    (local.set $b2v (f32x4.splat (local.get $b2)))
    (local.set $omb2v (f32x4.splat (local.get $omb2)))
    (local.set $omab1v (f32x4.splat (local.get $omab1)))
    (local.set $omab2v (f32x4.splat (local.get $omab2)))
    (local.set $epsv (f32x4.splat (local.get $eps)))
    (local.set $nlrv (f32x4.splat (local.get $nlr)))
    (local.set $end (i32.add (local.get $w) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $vend (i32.add (local.get $w) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $vdone
      (loop $lv
        (br_if $vdone (i32.eq (local.get $w) (local.get $vend)))
        (local.set $gv (f32x4.pmin (f32x4.pmax (f32x4.mul (v128.load align=4 (local.get $g)) (local.get $gscalev)) (local.get $glov)) (local.get $ghiv)))
        (local.set $mv (f32x4.add (f32x4.mul (v128.load align=4 (local.get $m)) (local.get $b1v))
                                  (f32x4.mul (local.get $gv) (local.get $omb1v))))
        (local.set $vv (f32x4.add (f32x4.mul (v128.load align=4 (local.get $v)) (local.get $b2v))
                                  (f32x4.mul (f32x4.mul (local.get $gv) (local.get $gv)) (local.get $omb2v))))
        (v128.store align=4 (local.get $m) (local.get $mv))
        (v128.store align=4 (local.get $v) (local.get $vv))
        (v128.store align=4 (local.get $w)
          (f32x4.add
            (f32x4.mul
              (f32x4.div (f32x4.div (local.get $mv) (local.get $omab1v))
                         (f32x4.add (f32x4.sqrt (f32x4.div (local.get $vv) (local.get $omab2v))) (local.get $epsv)))
              (local.get $nlrv))
            (v128.load align=4 (local.get $w))))
        (local.set $w (i32.add (local.get $w) (i32.const 16)))
        (local.set $g (i32.add (local.get $g) (i32.const 16)))
        (local.set $m (i32.add (local.get $m) (i32.const 16)))
        (local.set $v (i32.add (local.get $v) (i32.const 16)))
        (br $lv)))
    (block $tdone
      (loop $t
        (br_if $tdone (i32.eq (local.get $w) (local.get $end)))
        (local.set $gs (f32.min (f32.max (f32.mul (f32.load (local.get $g)) (local.get $gscale)) (local.get $glo)) (local.get $ghi)))
        (local.set $ms (f32.add (f32.mul (f32.load (local.get $m)) (local.get $b1)) (f32.mul (local.get $gs) (local.get $omb1))))
        (local.set $vs (f32.add (f32.mul (f32.load (local.get $v)) (local.get $b2))
                                (f32.mul (f32.mul (local.get $gs) (local.get $gs)) (local.get $omb2))))
        (f32.store (local.get $m) (local.get $ms))
        (f32.store (local.get $v) (local.get $vs))
        (f32.store (local.get $w)
          (f32.add
            (f32.mul
              (f32.div (f32.div (local.get $ms) (local.get $omab1))
                       (f32.add (f32.sqrt (f32.div (local.get $vs) (local.get $omab2))) (local.get $eps)))
              (local.get $nlr))
            (f32.load (local.get $w))))
        (local.set $w (i32.add (local.get $w) (i32.const 4)))
        (local.set $g (i32.add (local.get $g) (i32.const 4)))
        (local.set $m (i32.add (local.get $m) (i32.const 4)))
        (local.set $v (i32.add (local.get $v) (i32.const 4)))
        (br $t))))

  ;; RMSProp: s = s * decay + (g * g) * omd; centered: mg = mg * decay + g * omd,
  ;; d = (g * lr) / sqrt(s - (mg * mg + eps)), else d = (g * lr) / sqrt(s + eps);
  ;; a = a * momentum + d; w = w - a (omd = 1 - decay; $mg unused when not centered).
  (func (export "rmsprop") (param $w i32) (param $g i32) (param $s i32) (param $a i32) (param $mg i32) (param $n i32)
        (param $decay f32) (param $omd f32) (param $lr f32) (param $mom f32) (param $eps f32) (param $centered i32)
        (param $gscale f32) (param $glo f32) (param $ghi f32)
    (local $dv v128) (local $omdv v128) (local $lrv v128) (local $momv v128) (local $epsv v128)
    (local $gv v128) (local $sv v128) (local $mgv v128) (local $av v128) (local $den v128)
    (local $end i32) (local $vend i32) (local $gs f32) (local $ss f32) (local $mgs f32) (local $as f32) (local $dens f32)
    (local $gscalev v128) (local $glov v128) (local $ghiv v128)
    (local.set $gscalev (f32x4.splat (local.get $gscale)))
    (local.set $glov (f32x4.splat (local.get $glo)))
    (local.set $ghiv (f32x4.splat (local.get $ghi)))
    (local.set $dv (f32x4.splat (local.get $decay)))
    (local.set $omdv (f32x4.splat (local.get $omd)))
    (local.set $lrv (f32x4.splat (local.get $lr)))
    (local.set $momv (f32x4.splat (local.get $mom)))
    (local.set $epsv (f32x4.splat (local.get $eps)))
    (local.set $end (i32.add (local.get $w) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $vend (i32.add (local.get $w) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $vdone
      (loop $lv
        (br_if $vdone (i32.eq (local.get $w) (local.get $vend)))
        (local.set $gv (f32x4.pmin (f32x4.pmax (f32x4.mul (v128.load align=4 (local.get $g)) (local.get $gscalev)) (local.get $glov)) (local.get $ghiv)))
        (local.set $sv (f32x4.add (f32x4.mul (v128.load align=4 (local.get $s)) (local.get $dv))
                                  (f32x4.mul (f32x4.mul (local.get $gv) (local.get $gv)) (local.get $omdv))))
        (v128.store align=4 (local.get $s) (local.get $sv))
        (if (local.get $centered)
          (then
            (local.set $mgv (f32x4.add (f32x4.mul (v128.load align=4 (local.get $mg)) (local.get $dv))
                                       (f32x4.mul (local.get $gv) (local.get $omdv))))
            (v128.store align=4 (local.get $mg) (local.get $mgv))
            (local.set $den (f32x4.sub (local.get $sv) (f32x4.add (f32x4.mul (local.get $mgv) (local.get $mgv)) (local.get $epsv))))
            (local.set $mg (i32.add (local.get $mg) (i32.const 16))))
          (else (local.set $den (f32x4.add (local.get $sv) (local.get $epsv)))))
        (local.set $av (f32x4.add (f32x4.mul (v128.load align=4 (local.get $a)) (local.get $momv))
                                  (f32x4.div (f32x4.mul (local.get $gv) (local.get $lrv)) (f32x4.sqrt (local.get $den)))))
        (v128.store align=4 (local.get $a) (local.get $av))
        (v128.store align=4 (local.get $w) (f32x4.sub (v128.load align=4 (local.get $w)) (local.get $av)))
        (local.set $w (i32.add (local.get $w) (i32.const 16)))
        (local.set $g (i32.add (local.get $g) (i32.const 16)))
        (local.set $s (i32.add (local.get $s) (i32.const 16)))
        (local.set $a (i32.add (local.get $a) (i32.const 16)))
        (br $lv)))
    (block $tdone
      (loop $t
        (br_if $tdone (i32.eq (local.get $w) (local.get $end)))
        (local.set $gs (f32.min (f32.max (f32.mul (f32.load (local.get $g)) (local.get $gscale)) (local.get $glo)) (local.get $ghi)))
        (local.set $ss (f32.add (f32.mul (f32.load (local.get $s)) (local.get $decay))
                                (f32.mul (f32.mul (local.get $gs) (local.get $gs)) (local.get $omd))))
        (f32.store (local.get $s) (local.get $ss))
        (if (local.get $centered)
          (then
            (local.set $mgs (f32.add (f32.mul (f32.load (local.get $mg)) (local.get $decay)) (f32.mul (local.get $gs) (local.get $omd))))
            (f32.store (local.get $mg) (local.get $mgs))
            (local.set $dens (f32.sub (local.get $ss) (f32.add (f32.mul (local.get $mgs) (local.get $mgs)) (local.get $eps))))
            (local.set $mg (i32.add (local.get $mg) (i32.const 4))))
          (else (local.set $dens (f32.add (local.get $ss) (local.get $eps)))))
        (local.set $as (f32.add (f32.mul (f32.load (local.get $a)) (local.get $mom))
                                (f32.div (f32.mul (local.get $gs) (local.get $lr)) (f32.sqrt (local.get $dens)))))
        (f32.store (local.get $a) (local.get $as))
        (f32.store (local.get $w) (f32.sub (f32.load (local.get $w)) (local.get $as)))
        (local.set $w (i32.add (local.get $w) (i32.const 4)))
        (local.set $g (i32.add (local.get $g) (i32.const 4)))
        (local.set $s (i32.add (local.get $s) (i32.const 4)))
        (local.set $a (i32.add (local.get $a) (i32.const 4)))
        (br $t))))

  ;; Adagrad: acc = acc + g * g; w = (g / sqrt(acc + eps)) * nlr + w (nlr = -learningRate).
  (func (export "adagrad") (param $w i32) (param $g i32) (param $acc i32) (param $n i32) (param $eps f32) (param $nlr f32)
        (param $gscale f32) (param $glo f32) (param $ghi f32)
    (local $epsv v128) (local $nlrv v128) (local $gv v128) (local $cv v128)
    (local $end i32) (local $vend i32) (local $gs f32) (local $cs f32)
    (local $gscalev v128) (local $glov v128) (local $ghiv v128)
    (local.set $gscalev (f32x4.splat (local.get $gscale)))
    (local.set $glov (f32x4.splat (local.get $glo)))
    (local.set $ghiv (f32x4.splat (local.get $ghi)))
    (local.set $epsv (f32x4.splat (local.get $eps)))
    (local.set $nlrv (f32x4.splat (local.get $nlr)))
    (local.set $end (i32.add (local.get $w) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $vend (i32.add (local.get $w) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $vdone
      (loop $lv
        (br_if $vdone (i32.eq (local.get $w) (local.get $vend)))
        (local.set $gv (f32x4.pmin (f32x4.pmax (f32x4.mul (v128.load align=4 (local.get $g)) (local.get $gscalev)) (local.get $glov)) (local.get $ghiv)))
        (local.set $cv (f32x4.add (v128.load align=4 (local.get $acc)) (f32x4.mul (local.get $gv) (local.get $gv))))
        (v128.store align=4 (local.get $acc) (local.get $cv))
        (v128.store align=4 (local.get $w)
          (f32x4.add
            (f32x4.mul (f32x4.div (local.get $gv) (f32x4.sqrt (f32x4.add (local.get $cv) (local.get $epsv)))) (local.get $nlrv))
            (v128.load align=4 (local.get $w))))
        (local.set $w (i32.add (local.get $w) (i32.const 16)))
        (local.set $g (i32.add (local.get $g) (i32.const 16)))
        (local.set $acc (i32.add (local.get $acc) (i32.const 16)))
        (br $lv)))
    (block $tdone
      (loop $t
        (br_if $tdone (i32.eq (local.get $w) (local.get $end)))
        (local.set $gs (f32.min (f32.max (f32.mul (f32.load (local.get $g)) (local.get $gscale)) (local.get $glo)) (local.get $ghi)))
        (local.set $cs (f32.add (f32.load (local.get $acc)) (f32.mul (local.get $gs) (local.get $gs))))
        (f32.store (local.get $acc) (local.get $cs))
        (f32.store (local.get $w)
          (f32.add (f32.mul (f32.div (local.get $gs) (f32.sqrt (f32.add (local.get $cs) (local.get $eps)))) (local.get $nlr))
                   (f32.load (local.get $w))))
        (local.set $w (i32.add (local.get $w) (i32.const 4)))
        (local.set $g (i32.add (local.get $g) (i32.const 4)))
        (local.set $acc (i32.add (local.get $acc) (i32.const 4)))
        (br $t))))

  ;; Adadelta (tfjs 4.22, which scales by the accumulated gradient from *before* this step):
  ;; u = (sqrt(au + eps) / sqrt(ag + eps)) * g; ag = ag * rho + (g * g) * omr;
  ;; au = au * rho + (u * u) * omr; w = u * nlr + w.
  (func (export "adadelta") (param $w i32) (param $g i32) (param $ag i32) (param $au i32) (param $n i32)
        (param $rho f32) (param $omr f32) (param $eps f32) (param $nlr f32)
        (param $gscale f32) (param $glo f32) (param $ghi f32)
    (local $rhov v128) (local $omrv v128) (local $epsv v128) (local $nlrv v128)
    (local $gv v128) (local $agv v128) (local $auv v128) (local $uv v128)
    (local $end i32) (local $vend i32) (local $gs f32) (local $ags f32) (local $aus f32) (local $us f32)
    (local $gscalev v128) (local $glov v128) (local $ghiv v128)
    (local.set $gscalev (f32x4.splat (local.get $gscale)))
    (local.set $glov (f32x4.splat (local.get $glo)))
    (local.set $ghiv (f32x4.splat (local.get $ghi)))
    (local.set $rhov (f32x4.splat (local.get $rho)))
    (local.set $omrv (f32x4.splat (local.get $omr)))
    (local.set $epsv (f32x4.splat (local.get $eps)))
    (local.set $nlrv (f32x4.splat (local.get $nlr)))
    (local.set $end (i32.add (local.get $w) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $vend (i32.add (local.get $w) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $vdone
      (loop $lv
        (br_if $vdone (i32.eq (local.get $w) (local.get $vend)))
        (local.set $gv (f32x4.pmin (f32x4.pmax (f32x4.mul (v128.load align=4 (local.get $g)) (local.get $gscalev)) (local.get $glov)) (local.get $ghiv)))
        (local.set $agv (v128.load align=4 (local.get $ag)))
        (local.set $auv (v128.load align=4 (local.get $au)))
        (local.set $uv (f32x4.mul
          (f32x4.div (f32x4.sqrt (f32x4.add (local.get $auv) (local.get $epsv))) (f32x4.sqrt (f32x4.add (local.get $agv) (local.get $epsv))))
          (local.get $gv)))
        (v128.store align=4 (local.get $ag)
          (f32x4.add (f32x4.mul (local.get $agv) (local.get $rhov)) (f32x4.mul (f32x4.mul (local.get $gv) (local.get $gv)) (local.get $omrv))))
        (v128.store align=4 (local.get $au)
          (f32x4.add (f32x4.mul (local.get $auv) (local.get $rhov)) (f32x4.mul (f32x4.mul (local.get $uv) (local.get $uv)) (local.get $omrv))))
        (v128.store align=4 (local.get $w) (f32x4.add (f32x4.mul (local.get $uv) (local.get $nlrv)) (v128.load align=4 (local.get $w))))
        (local.set $w (i32.add (local.get $w) (i32.const 16)))
        (local.set $g (i32.add (local.get $g) (i32.const 16)))
        (local.set $ag (i32.add (local.get $ag) (i32.const 16)))
        (local.set $au (i32.add (local.get $au) (i32.const 16)))
        (br $lv)))
    (block $tdone
      (loop $t
        (br_if $tdone (i32.eq (local.get $w) (local.get $end)))
        (local.set $gs (f32.min (f32.max (f32.mul (f32.load (local.get $g)) (local.get $gscale)) (local.get $glo)) (local.get $ghi)))
        (local.set $ags (f32.load (local.get $ag)))
        (local.set $aus (f32.load (local.get $au)))
        (local.set $us (f32.mul
          (f32.div (f32.sqrt (f32.add (local.get $aus) (local.get $eps))) (f32.sqrt (f32.add (local.get $ags) (local.get $eps))))
          (local.get $gs)))
        (f32.store (local.get $ag)
          (f32.add (f32.mul (local.get $ags) (local.get $rho)) (f32.mul (f32.mul (local.get $gs) (local.get $gs)) (local.get $omr))))
        (f32.store (local.get $au)
          (f32.add (f32.mul (local.get $aus) (local.get $rho)) (f32.mul (f32.mul (local.get $us) (local.get $us)) (local.get $omr))))
        (f32.store (local.get $w) (f32.add (f32.mul (local.get $us) (local.get $nlr)) (f32.load (local.get $w))))
        (local.set $w (i32.add (local.get $w) (i32.const 4)))
        (local.set $g (i32.add (local.get $g) (i32.const 4)))
        (local.set $ag (i32.add (local.get $ag) (i32.const 4)))
        (local.set $au (i32.add (local.get $au) (i32.const 4)))
        (br $t))))

  ;; Adamax: m = m * b1 + g * omb1; u = max(u * b2, |g|) with tfjs-wasm's Maximum (pmax: a NaN
  ;; in the first operand stays, a NaN in the second gives the first); w = k * (m / (u + eps)) + w,
  ;; k = lr_t / (1 - beta1^t) computed by the caller.
  (func (export "adamax") (param $w i32) (param $g i32) (param $m i32) (param $u i32) (param $n i32)
        (param $b1 f32) (param $omb1 f32) (param $b2 f32) (param $eps f32) (param $k f32)
        (param $gscale f32) (param $glo f32) (param $ghi f32)
    (local $b1v v128) (local $omb1v v128) (local $b2v v128) (local $epsv v128) (local $kv v128)
    (local $gv v128) (local $mv v128) (local $uv v128)
    (local $end i32) (local $vend i32) (local $gs f32) (local $ms f32) (local $us f32) (local $a f32)
    (local $gscalev v128) (local $glov v128) (local $ghiv v128)
    (local.set $gscalev (f32x4.splat (local.get $gscale)))
    (local.set $glov (f32x4.splat (local.get $glo)))
    (local.set $ghiv (f32x4.splat (local.get $ghi)))
    (local.set $b1v (f32x4.splat (local.get $b1)))
    (local.set $omb1v (f32x4.splat (local.get $omb1)))
    (local.set $b2v (f32x4.splat (local.get $b2)))
    (local.set $epsv (f32x4.splat (local.get $eps)))
    (local.set $kv (f32x4.splat (local.get $k)))
    (local.set $end (i32.add (local.get $w) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $vend (i32.add (local.get $w) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $vdone
      (loop $lv
        (br_if $vdone (i32.eq (local.get $w) (local.get $vend)))
        (local.set $gv (f32x4.pmin (f32x4.pmax (f32x4.mul (v128.load align=4 (local.get $g)) (local.get $gscalev)) (local.get $glov)) (local.get $ghiv)))
        (local.set $mv (f32x4.add (f32x4.mul (v128.load align=4 (local.get $m)) (local.get $b1v)) (f32x4.mul (local.get $gv) (local.get $omb1v))))
        (local.set $uv (f32x4.pmax (f32x4.mul (v128.load align=4 (local.get $u)) (local.get $b2v)) (f32x4.abs (local.get $gv))))
        (v128.store align=4 (local.get $m) (local.get $mv))
        (v128.store align=4 (local.get $u) (local.get $uv))
        (v128.store align=4 (local.get $w)
          (f32x4.add (f32x4.mul (local.get $kv) (f32x4.div (local.get $mv) (f32x4.add (local.get $uv) (local.get $epsv))))
                     (v128.load align=4 (local.get $w))))
        (local.set $w (i32.add (local.get $w) (i32.const 16)))
        (local.set $g (i32.add (local.get $g) (i32.const 16)))
        (local.set $m (i32.add (local.get $m) (i32.const 16)))
        (local.set $u (i32.add (local.get $u) (i32.const 16)))
        (br $lv)))
    (block $tdone
      (loop $t
        (br_if $tdone (i32.eq (local.get $w) (local.get $end)))
        (local.set $gs (f32.min (f32.max (f32.mul (f32.load (local.get $g)) (local.get $gscale)) (local.get $glo)) (local.get $ghi)))
        (local.set $ms (f32.add (f32.mul (f32.load (local.get $m)) (local.get $b1)) (f32.mul (local.get $gs) (local.get $omb1))))
        ;; pmax(a, b) = a < b ? b : a, as the vector loop
        (local.set $a (f32.mul (f32.load (local.get $u)) (local.get $b2)))
        (local.set $us (f32.abs (local.get $gs)))
        (if (i32.eqz (f32.lt (local.get $a) (local.get $us))) (then (local.set $us (local.get $a))))
        (f32.store (local.get $m) (local.get $ms))
        (f32.store (local.get $u) (local.get $us))
        (f32.store (local.get $w)
          (f32.add (f32.mul (local.get $k) (f32.div (local.get $ms) (f32.add (local.get $us) (local.get $eps))))
                   (f32.load (local.get $w))))
        (local.set $w (i32.add (local.get $w) (i32.const 4)))
        (local.set $g (i32.add (local.get $g) (i32.const 4)))
        (local.set $m (i32.add (local.get $m) (i32.const 4)))
        (local.set $u (i32.add (local.get $u) (i32.const 4)))
        (br $t)))))
