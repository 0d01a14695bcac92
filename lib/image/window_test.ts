import assert from "node:assert/strict";
import { MedCryptError } from "../core/errors.ts";
import { medImage } from "./types.ts";
import {
  applyWindow,
  parseWindow,
  physicalUnit,
  toEightBit,
  unitDescription,
  WINDOW_PRESETS,
} from "./window.ts";
import { errorCode } from "./_test_util.ts";

/** A 12-bit CT row whose stored values are HU + 1024. */
const ct = (hu: number[]) =>
  medImage(Uint16Array.from(hu, (v) => v + 1024), hu.length, 1, {
    bitDepth: 12,
    modality: "CT",
    pixelSpacing: [0.5, 0.5],
    rescale: { slope: 1, intercept: -1024 },
  });

Deno.test("presets are the usual CT windows in HU", () => {
  assert.deepEqual(WINDOW_PRESETS, {
    lung: { center: -600, width: 1500 },
    "soft-tissue": { center: 40, width: 400 },
    brain: { center: 40, width: 80 },
    bone: { center: 400, width: 1800 },
  });
  for (const name of Object.keys(WINDOW_PRESETS)) {
    assert.deepEqual(
      parseWindow(name, ct([0])),
      WINDOW_PRESETS[name as keyof typeof WINDOW_PRESETS],
    );
  }
});

Deno.test("applyWindow: rescale first, linear inside the window, clipped outside", () => {
  // soft tissue: −160 .. 240 HU
  const out = applyWindow(ct([-1024, -160, 40, 240, 3000, -60]), WINDOW_PRESETS["soft-tissue"]);
  assert.deepEqual([...out.data], [0, 0, 128, 255, 255, Math.round(255 * 100 / 400)]);
  assert.equal(out.bitDepth, 8);
  assert.ok(out.data instanceof Uint8Array);
  // modality and spacing kept; the rescale no longer applies to the 8-bit values
  assert.equal(out.modality, "CT");
  assert.deepEqual(out.pixelSpacing, [0.5, 0.5]);
  assert.equal(out.rescale, undefined);
  // lung: −1350 .. 150 HU
  const lung = applyWindow(ct([-1024, -600, 150]), WINDOW_PRESETS.lung);
  assert.deepEqual([...lung.data], [Math.round(255 * 326 / 1500), 128, 255]);
  // a negative slope (inverted MONOCHROME1) is applied too
  const inv = medImage(new Uint8Array([0, 255]), 2, 1, { rescale: { slope: -1, intercept: 255 } });
  assert.deepEqual([...applyWindow(inv, { center: 127.5, width: 255 }).data], [255, 0]);
  assert.equal(errorCode(() => applyWindow(inv, { center: 0, width: 0 })), "bad-argument");
});

Deno.test("parseWindow: centre,width numbers, and clear refusals", () => {
  const plain = medImage(new Uint8Array(1), 1, 1);
  assert.deepEqual(parseWindow("40,400", plain), { center: 40, width: 400 });
  assert.deepEqual(parseWindow(" -600 , 1500.5 ", plain), { center: -600, width: 1500.5 });
  for (
    const bad of ["", "40", "40,", ",400", "40,0", "40,-5", "a,b", "lungs", "40;400", "toString"]
  ) {
    assert.throws(() => parseWindow(bad, plain), (e: unknown) => {
      assert.ok(e instanceof MedCryptError);
      assert.equal(e.code, "bad-argument");
      assert.match(e.message, /centre,width \(e\.g\. 40,400\).*lung, soft-tissue, brain, bone/);
      return true;
    }, bad);
  }
});

Deno.test("HU presets are refused for values not in HU", () => {
  const mr = medImage(new Uint16Array(1), 1, 1, { modality: "MR" });
  assert.throws(() => parseWindow("brain", mr), /in Hounsfield units.*not in HU \(no CT rescale\)/);
  // CT without a rescale: the stored values are not known to be HU
  const bare = medImage(new Uint16Array(1), 1, 1, { modality: "CT" });
  assert.equal(errorCode(() => parseWindow("lung", bare)), "bad-argument");
  const od = medImage(new Uint16Array(1), 1, 1, {
    rescale: { slope: 1, intercept: 0, unit: "OD" },
  });
  assert.throws(() => parseWindow("bone", od), /values are in OD/);
  // a stated HU unit is enough, whatever the modality
  const hu = medImage(new Uint16Array(1), 1, 1, {
    rescale: { slope: 1, intercept: 0, unit: "HU" },
  });
  assert.deepEqual(parseWindow("bone", hu), WINDOW_PRESETS.bone);
  // numbers are always accepted: they are in the image's own values
  assert.deepEqual(parseWindow("100,50", mr), { center: 100, width: 50 });
});

Deno.test("physicalUnit and unitDescription", () => {
  assert.equal(physicalUnit(ct([0])), "HU");
  assert.equal(physicalUnit(medImage(new Uint16Array(1), 1, 1, { modality: "CT" })), undefined);
  assert.equal(
    physicalUnit(medImage(new Uint16Array(1), 1, 1, {
      modality: "MR",
      rescale: { slope: 2, intercept: 0 },
    })),
    undefined,
  );
  assert.equal(
    physicalUnit(medImage(new Uint8Array(1), 1, 1, {
      modality: "CT",
      rescale: { slope: 1, intercept: 0, unit: "HU_MOD" },
    })),
    "HU_MOD",
  );
  assert.equal(unitDescription("HU"), "Hounsfield units, CT");
  assert.equal(unitDescription("OD"), "optical density");
  assert.equal(unitDescription("XYZ"), undefined);
});

Deno.test("toEightBit stretches the stored min..max onto 0..255", () => {
  const img = medImage(new Uint16Array([100, 200, 300, 150]), 2, 2, {
    bitDepth: 12,
    modality: "MR",
    rescale: { slope: 1, intercept: -5 },
  });
  const out = toEightBit(img);
  assert.deepEqual([...out.data], [0, 128, 255, 64]);
  assert.deepEqual([out.bitDepth, out.modality, out.rescale], [8, "MR", undefined]);
  // the full 16-bit range and a constant image
  assert.deepEqual([...toEightBit(medImage(new Uint16Array([0, 65535]), 2, 1)).data], [0, 255]);
  assert.deepEqual([...toEightBit(medImage(new Uint16Array([7, 7]), 2, 1)).data], [0, 0]);
  // shallower 8-bit-container data is stretched too; 8-bit data is returned as it is
  const one = medImage(new Uint8Array([0, 1]), 2, 1, { bitDepth: 1 });
  assert.deepEqual([...toEightBit(one).data], [0, 255]);
  const eight = medImage(new Uint8Array([3, 9]), 2, 1);
  assert.equal(toEightBit(eight), eight);
});
