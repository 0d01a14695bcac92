/**
 * A 2-D matrix product whose gradient transposes its operands explicitly. tfjs's own gradient of
 * `matMul` asks for `transposeA`, which the wasm backend runs about 5× slower than a transpose
 * followed by a plain product (`deno task bench --only named`). The forward product is tfjs's
 * own, so outputs are unchanged; only the gradients' rounding differs, which is why only the
 * named networks use it (the committed miniature models keep tfjs's gradient).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { matMulExplicitGrad } from "./_matmul.ts";
 * const a = tf.tensor2d([[1, 2]]), b = tf.tensor2d([[3], [4]]);
 * console.log(matMulExplicitGrad(a, b).dataSync()[0]); // 11
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";

// tfjs types the arguments of a custom gradient as "tensor or save function"
const product = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [a, b, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
  save([a, b]);
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy, saved) => {
      const [sa, sb] = saved as tf.Tensor2D[];
      const g = dy as tf.Tensor2D;
      return [tf.matMul(g, sb.transpose()), tf.matMul(sa.transpose(), g)];
    },
  };
});

/**
 * `a · b` for 2-D tensors, with gradients `dy · bᵀ` and `aᵀ · dy` computed from explicit
 * transposes.
 *
 * @param a left operand `[m, k]`
 * @param b right operand `[k, n]`
 * @returns `[m, n]`
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { matMulExplicitGrad } from "./_matmul.ts";
 * const g = tf.grad((x: tf.Tensor) => matMulExplicitGrad(x as tf.Tensor2D, tf.ones([2, 1])).sum());
 * console.log(Array.from(g(tf.zeros([1, 2])).dataSync())); // [1, 1]
 * ```
 */
export function matMulExplicitGrad(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return product(a, b) as tf.Tensor2D;
}
