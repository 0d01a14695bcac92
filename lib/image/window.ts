/**
 * Display windows: the 8-bit previews radiology viewers draw from deeper data. A window (centre
 * C, width W) maps physical values (stored × slope + intercept, e.g. Hounsfield units) in
 * [C − W/2, C + W/2] linearly onto 0..255 and clips the rest. The presets are the usual CT ones,
 * in HU. Without a window, {@linkcode toEightBit} stretches an image's own stored range.
 *
 * @example
 * ```ts
 * import { applyWindow, WINDOW_PRESETS } from "./window.ts";
 * import { medImage } from "./types.ts";
 * const ct = medImage(new Uint16Array([0, 1000, 1040, 2000]), 2, 2, {
 *   modality: "CT",
 *   rescale: { slope: 1, intercept: -1024 },
 * });
 * console.log(applyWindow(ct, WINDOW_PRESETS["soft-tissue"]).data); // Uint8Array [0, 87, 112, 255]
 * ```
 * @module
 */
import { MedCryptError } from "../core/errors.ts";
import { type MedImage, medImage } from "./types.ts";

/** A display window on physical values. */
export interface Window {
  /** Centre (level). */
  readonly center: number;
  /** Width, > 0. */
  readonly width: number;
}

/** The usual CT windows, in Hounsfield units. */
export const WINDOW_PRESETS: Readonly<Record<"lung" | "soft-tissue" | "brain" | "bone", Window>> = {
  lung: { center: -600, width: 1500 },
  "soft-tissue": { center: 40, width: 400 },
  brain: { center: 40, width: 80 },
  bone: { center: 400, width: 1800 },
};

/**
 * The unit of an image's physical values: the DICOM Rescale Type when given, `"HU"` for CT with a
 * rescale, else `undefined` (the values have no stated unit).
 *
 * @param img the image
 * @returns the unit, if known
 * @example
 * ```ts
 * import { physicalUnit } from "./window.ts";
 * import { medImage } from "./types.ts";
 * const ct = medImage(new Uint16Array(1), 1, 1, { modality: "CT", rescale: { slope: 1, intercept: -1024 } });
 * console.log(physicalUnit(ct)); // HU
 * ```
 */
export function physicalUnit(img: MedImage): string | undefined {
  if (img.rescale?.unit) return img.rescale.unit;
  return img.modality === "CT" && img.rescale ? "HU" : undefined;
}

const UNIT_NAMES: Readonly<Record<string, string>> = {
  HU: "Hounsfield units, CT",
  HU_MOD: "modified Hounsfield units",
  OD: "optical density",
  MGML: "milligrams per millilitre",
  PCT: "percent",
  ED: "electron density",
  EDW: "electron density relative to water",
  Z_EFF: "effective atomic number",
};

/**
 * What a unit code (a DICOM Rescale Type such as `HU` or `OD`) means, in words.
 *
 * @param unit the unit code
 * @returns its meaning, or `undefined` for a code not listed
 * @example
 * ```ts
 * import { unitDescription } from "./window.ts";
 * console.log(unitDescription("HU")); // Hounsfield units, CT
 * ```
 */
export function unitDescription(unit: string): string | undefined {
  return UNIT_NAMES[unit];
}

/**
 * Parses a window given on the command line: `C,W` (two numbers) or a preset name. Presets are in
 * HU, so they are refused for an image whose values are not in HU.
 *
 * @param text `"C,W"` or a preset name
 * @param img the image it is for (presets need HU)
 * @returns the window
 * @example
 * ```ts
 * import { parseWindow } from "./window.ts";
 * import { medImage } from "./types.ts";
 * console.log(parseWindow("40,400", medImage(new Uint8Array(1), 1, 1))); // { center: 40, width: 400 }
 * ```
 */
export function parseWindow(text: string, img: MedImage): Window {
  if (Object.hasOwn(WINDOW_PRESETS, text)) {
    const unit = physicalUnit(img);
    if (unit !== "HU") {
      throw new MedCryptError(
        "bad-argument",
        `the window preset '${text}' is in Hounsfield units but this image's values are ${
          unit ? `in ${unit}` : "not in HU (no CT rescale)"
        }; give the window as centre,width in its own values`,
      );
    }
    return WINDOW_PRESETS[text as keyof typeof WINDOW_PRESETS];
  }
  const m = /^\s*(-?\d+(?:\.\d+)?)\s*,\s*(\d+(?:\.\d+)?)\s*$/.exec(text);
  if (!m || !(Number(m[2]) > 0)) {
    throw new MedCryptError(
      "bad-argument",
      `window '${text}' is neither centre,width (e.g. 40,400) nor one of ${
        Object.keys(WINDOW_PRESETS).join(", ")
      }`,
    );
  }
  return { center: Number(m[1]), width: Number(m[2]) };
}

/**
 * An 8-bit preview through a window on the physical values (the rescale applied first).
 *
 * @param img the image
 * @param w the window
 * @returns an 8-bit image of the same size (modality and spacing kept, no rescale)
 * @example
 * ```ts
 * import { applyWindow } from "./window.ts";
 * import { medImage } from "./types.ts";
 * const img = medImage(new Uint16Array([0, 50, 100]), 3, 1);
 * console.log(applyWindow(img, { center: 50, width: 100 }).data); // Uint8Array [0, 128, 255]
 * ```
 */
export function applyWindow(img: MedImage, w: Window): MedImage {
  if (!(Number.isFinite(w.center) && Number.isFinite(w.width) && w.width > 0)) {
    throw new MedCryptError(
      "bad-argument",
      `window centre ${w.center}, width ${w.width} needs a finite centre and a width above 0`,
    );
  }
  const slope = img.rescale?.slope ?? 1, intercept = img.rescale?.intercept ?? 0;
  const lo = w.center - w.width / 2;
  const out = new Uint8Array(img.data.length);
  for (let i = 0; i < out.length; i++) {
    const t = (img.data[i] * slope + intercept - lo) / w.width;
    out[i] = Math.round(255 * Math.min(1, Math.max(0, t)));
  }
  return eightBit(img, out);
}

/**
 * An 8-bit copy that stretches the image's own stored range (min..max) onto 0..255; an 8-bit
 * image is returned as it is. This is how PneumoniaMNIST-style inputs are made from deeper scans.
 *
 * @param img the image
 * @returns an 8-bit image
 * @example
 * ```ts
 * import { toEightBit } from "./window.ts";
 * import { medImage } from "./types.ts";
 * console.log(toEightBit(medImage(new Uint16Array([100, 300]), 2, 1, { bitDepth: 12 })).data); // Uint8Array [0, 255]
 * ```
 */
export function toEightBit(img: MedImage): MedImage {
  if (img.bitDepth === 8 && img.data instanceof Uint8Array) return img;
  let min = Infinity, max = -Infinity;
  for (const v of img.data) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const span = max - min || 1;
  const out = new Uint8Array(img.data.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.round((255 * (img.data[i] - min)) / span);
  return eightBit(img, out);
}

function eightBit(img: MedImage, data: Uint8Array): MedImage {
  return medImage(data, img.width, img.height, {
    bitDepth: 8,
    ...(img.modality !== undefined ? { modality: img.modality } : {}),
    ...(img.pixelSpacing ? { pixelSpacing: img.pixelSpacing } : {}),
  });
}
