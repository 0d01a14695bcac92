/**
 * The learned cipher's figures: loss curves of its training, and panels of plain, cipher,
 * decrypted and wrong-key images.
 *
 * @example
 * ```ts
 * import { trainingCurveFigures } from "./figures.ts";
 * import { shippedHistory } from "./model.ts";
 * console.log(trainingCurveFigures(await shippedHistory()).length); // 2
 * ```
 * @module
 */
import type { Figure } from "../../viz/types.ts";
import { imageGridFigure, lineFigure } from "../../viz/figures.ts";
import type { MedImage } from "../../image/types.ts";
import {
  loadDefaultModel,
  type RevCipherModel,
  revDecrypt,
  revEncrypt,
  type TrainHistory,
} from "../../ciphers/revcipher/mod.ts";

/**
 * Loss curves of a training run: total loss per phase and the terms of full training.
 *
 * @param history the run's history
 * @returns two figures: totals, and terms
 * @example
 * ```ts
 * import { trainingCurveFigures } from "./figures.ts";
 * const h = { step: [0], phase: ["pretrain"], loss: [1], seconds: [1], terms: {
 *   reconstruction: [1], entropy: [NaN], correlation: [NaN], diffusion: [NaN], similarity: [NaN], wrongKey: [NaN] } };
 * console.log(trainingCurveFigures(h).length); // 2
 * ```
 */
export function trainingCurveFigures(history: TrainHistory): Figure[] {
  const phases = [...new Set(history.phase)];
  const smooth = (y: number[], k = 10) =>
    y.map((_, i) => {
      const s = y.slice(Math.max(0, i - k + 1), i + 1).filter(Number.isFinite);
      return s.length ? s.reduce((a, b) => a + b, 0) / s.length : NaN;
    });
  const totals = lineFigure(
    phases.map((p) => {
      const idx = history.phase.flatMap((q, i) => (q === p ? [i] : []));
      return {
        name: `${p} (moving mean of 10)`,
        x: idx.map((i) => history.step[i]),
        y: smooth(idx.map((i) => history.loss[i])),
      };
    }),
    { title: "Training loss by phase", xTitle: "step", yTitle: "loss", logY: true },
  );
  const terms = lineFigure(
    (Object.keys(history.terms) as (keyof TrainHistory["terms"])[]).map((t) => ({
      name: t,
      x: history.step,
      y: smooth(history.terms[t]),
    })),
    {
      title: "Loss terms (unweighted, moving mean of 10)",
      xTitle: "step",
      yTitle: "value",
      logY: true,
    },
  );
  return [totals, terms];
}
/**
 * Plain / cipher / decrypted / wrong-key panels for each image and variant.
 *
 * @param images named images
 * @param model the model
 * @param key the user key
 * @returns the figure
 * @example
 * ```ts
 * import { panelsFigure } from "./figures.ts";
 * import { medImage } from "../../image/types.ts";
 * const f = await panelsFigure([{ name: "a", image: medImage(new Uint8Array(64), 8, 8) }]);
 * console.log(f.data.length); // 7
 * ```
 */
export async function panelsFigure(
  images: readonly { name: string; image: MedImage }[],
  model?: RevCipherModel,
  key = "notebook key",
): Promise<Figure> {
  const m = model ?? await loadDefaultModel();
  const panels: { title: string; image: MedImage }[] = [];
  for (const { name, image } of images) {
    panels.push({ title: `${name} plain`, image });
    for (const v of ["exact", "paper"] as const) {
      const { cipher, header } = await revEncrypt(image, key, v, m);
      panels.push({ title: `${v} cipher`, image: cipher });
      panels.push({ title: `${v} decrypted`, image: await revDecrypt(cipher, header, key, m) });
      panels.push({
        title: `${v} wrong key`,
        image: await revDecrypt(cipher, header, key + "!", m, { verify: false }),
      });
    }
  }
  return imageGridFigure(panels, {
    columns: 7,
    title: "Plain, cipher, decrypted and wrong-key decryption (exact | paper variant)",
  });
}
