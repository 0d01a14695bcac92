/**
 * The SHA-256 of one training step's gradients on a small seeded CNN: used to check that the
 * threaded and the single-threaded wasm binaries compute bit-identical results (run as a script
 * in a child process with `MEDCRYPT_WASM_THREADS=N`, it prints the digest, the thread count and
 * the number of idle and running pthread workers).
 *
 * Private to `lib/nn` tests.
 *
 * @example
 * ```ts ignore
 * import { gradDigest } from "./_grad_digest.ts";
 * console.log((await gradDigest()).length); // 64
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { createHash } from "node:crypto";
import { backendInfo, initBackend } from "./backend.ts";

/**
 * Digest of the gradients of a conv-conv-pool-conv-dense net on fixed inputs, on wasm.
 *
 * @returns hex SHA-256 of the gradient bytes, in variable order
 */
export async function gradDigest(): Promise<string> {
  await initBackend("wasm");
  const h = createHash("sha256");
  tf.tidy(() => {
    const init = (s: number) => tf.initializers.glorotUniform({ seed: s });
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({
          inputShape: [32, 32, 1],
          filters: 8,
          kernelSize: 3,
          padding: "same",
          activation: "relu",
          kernelInitializer: init(1),
        }),
        tf.layers.conv2d({
          filters: 16,
          kernelSize: 3,
          strides: 2,
          padding: "same",
          activation: "relu",
          kernelInitializer: init(2),
        }),
        tf.layers.maxPooling2d({ poolSize: 2 }),
        tf.layers.conv2d({
          filters: 16,
          kernelSize: 3,
          activation: "relu",
          kernelInitializer: init(3),
        }),
        tf.layers.globalAveragePooling2d({}),
        tf.layers.dense({ units: 2, kernelInitializer: init(4) }),
      ],
    });
    const x = tf.randomNormal([8, 32, 32, 1], 0, 1, "float32", 7);
    const y = tf.oneHot(tf.tensor1d([0, 1, 0, 1, 1, 0, 1, 0], "int32"), 2);
    const { grads } = tf.variableGrads(() =>
      tf.losses.softmaxCrossEntropy(y, model.apply(x) as tf.Tensor) as tf.Scalar
    );
    for (const name of Object.keys(grads).sort()) {
      const g = grads[name].dataSync() as Float32Array;
      h.update(new Uint8Array(g.buffer, g.byteOffset, g.byteLength));
    }
    model.dispose();
  });
  return h.digest("hex");
}

if (import.meta.main) {
  const digest = await gradDigest();
  const pool = (tf.backend() as unknown as {
    wasm: { PThread?: { unusedWorkers: unknown[]; runningWorkers: unknown[] } };
  }).wasm.PThread;
  console.log(JSON.stringify({
    digest,
    threads: backendInfo().threads,
    idleWorkers: pool?.unusedWorkers.length ?? 0,
    runningWorkers: pool?.runningWorkers.length ?? 0,
  }));
}
