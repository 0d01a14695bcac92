/**
 * `deno task bench --only named`: what paper A's published networks cost to train here. One
 * training step (batch 16, 28×28, Adam) of ResNet-18, DenseNet-121 and ViT-Tiny beside the zoo's
 * miniature of the same family (the baseline, same run), with the epoch time it implies on the
 * embedded train split; and the tfjs wasm `BatchMatMul` with a transposed operand (what every
 * dense layer's gradient calls) against an explicit transpose followed by a plain product. That
 * gap is why ViT-Tiny's attention and MLP products take their gradients through explicit
 * transposes (`lib/nn/_matmul.ts`): same values, several times faster steps.
 *
 * Batch 16 because DenseNet-121's batch of 32 exhausts the wasm heap here.
 *
 * @example
 * ```ts ignore
 * import { suites } from "./named.ts";
 * const rows = await suites[0].run({ quick: true });
 * console.log(rows.length); // 8: 3 networks × (step, epoch) + 2 products
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { loadPneumoniaMNIST } from "../datasets/medmnist.ts";
import { initBackend } from "../nn/backend.ts";
import { type Arch, buildModel } from "../nn/models.ts";
import { zooConfig } from "../nn/train_zoo.ts";
import type { BenchRow, BenchSuite } from "./types.ts";

const BATCH = 16;

async function stepSeconds(arch: Arch, reps: number): Promise<number> {
  const m = arch === "resnet" || arch === "densenet" || arch === "vit"
    ? buildModel(arch, zooConfig(arch, "full", 1).model)
    : buildModel(arch, { seed: 1 });
  m.compile({ optimizer: tf.train.adam(1e-3), loss: "categoricalCrossentropy" });
  const x = tf.randomUniform([BATCH, 28, 28, 1], 0, 1, "float32", 3);
  const y = tf.oneHot(tf.tensor1d(Array.from({ length: BATCH }, (_, i) => i % 2), "int32"), 2);
  await m.trainOnBatch(x, y);
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) await m.trainOnBatch(x, y);
  const s = (performance.now() - t0) / 1000 / reps;
  tf.dispose([x, y]);
  m.dispose();
  return s;
}

function productMs(transposed: boolean, reps: number): number {
  return tf.tidy(() => {
    const a = tf.randomUniform([784, 192], 0, 1, "float32", 1);
    const b = tf.randomUniform([784, 192], 0, 1, "float32", 2);
    const f = () => transposed ? tf.matMul(a, b, true, false) : tf.matMul(a.transpose(), b);
    f().dataSync();
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) f().dataSync();
    return (performance.now() - t0) / reps;
  });
}

async function run({ quick }: { quick: boolean }): Promise<BenchRow[]> {
  await initBackend();
  const reps = quick ? 1 : 3;
  const { train } = await loadPneumoniaMNIST();
  const batches = Math.ceil(train.labels.length / BATCH);
  const rows: BenchRow[] = [];
  const pairs: [Arch, Arch][] = [["resnet-18", "resnet"], ["densenet-121", "densenet"], [
    "vit-tiny",
    "vit",
  ]];
  for (const [named, mini] of pairs) {
    const base = await stepSeconds(mini, reps), s = await stepSeconds(named, reps);
    const common = { baselineName: `${mini} (zoo miniature, full width)`, ratio: base / s };
    rows.push({
      subject: `${named}: training step`,
      case: `batch ${BATCH}, 28×28, Adam`,
      value: s,
      unit: "s/step",
      baseline: base,
      ...common,
    });
    rows.push({
      subject: `${named}: one epoch (implied)`,
      case: `${train.labels.length} train images`,
      value: (s * batches) / 60,
      unit: "min/epoch",
      baseline: (base * batches) / 60,
      ...common,
    });
  }
  const plain = productMs(false, quick ? 3 : 10), flagged = productMs(true, quick ? 3 : 10);
  rows.push({
    subject: "BatchMatMul, explicit transpose then product",
    case: "[192×784]·[784×192]",
    value: plain,
    unit: "ms",
    baseline: plain,
    baselineName: "itself",
    ratio: 1,
  });
  rows.push({
    subject: "BatchMatMul with transposeA (dense-layer gradients)",
    case: "[192×784]·[784×192]",
    value: flagged,
    unit: "ms",
    baseline: plain,
    baselineName: "explicit transpose then product",
    ratio: plain / flagged,
  });
  return rows;
}

/** The suite. */
export const suites: BenchSuite[] = [{ name: "named", run }];
