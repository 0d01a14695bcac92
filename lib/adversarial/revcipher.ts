/**
 * The revcipher category of the adversarial suite: paper B's learned cipher handed the wrong key,
 * altered cipher pixels, the genuine QR header of another image, no QR code at all, headers with
 * each field edited, and headers whose clinical metadata (rescale, pixel spacing, modality) was
 * forged with well-typed values. Neither variant may return an image that is not the original, or
 * the original with forged metadata: every case is refused, with a message that says which kind
 * of problem it is — a wrong key (the key check value), a forged header (its authentication tag),
 * a cipher that is not the one its header was made for (altered pixels or another image's header:
 * the header's cipher digest cannot tell them apart, so they share one message), a damaged header
 * (the field named), or missing QR codes. A sample goes through `medcrypt revcipher decrypt`.
 *
 * @example
 * ```ts ignore
 * import { runSuite } from "./mod.ts";
 * const r = await runSuite({ seed: 1, long: false, only: ["revcipher"] });
 * console.log(r.tallies[0].wrongSuccesses); // 0
 * ```
 * @module
 */
import { join } from "node:path";
import { Rng } from "../core/random.ts";
import { decryptExact, encryptExact } from "../ciphers/revcipher/exact.ts";
import { decryptPaper, encryptPaper } from "../ciphers/revcipher/paper.ts";
import { decodeHeader, type RevHeader } from "../ciphers/revcipher/header.ts";
import { loadDefaultModel, type RevCipherModel } from "../ciphers/revcipher/model.ts";
import { packQr, unpackQr } from "../ciphers/revcipher/cipher.ts";
import { readQrSet, writeQrSet } from "../ciphers/revcipher/qr.ts";
import { encodeNpy } from "../image/npy.ts";
import { encodePng } from "../image/png.ts";
import { type MedImage, medImage } from "../image/types.ts";
import { type AdversarialCase, runCli } from "./harness.ts";
import type { BuiltCases, CaseSource, SuiteOptions } from "./types.ts";

/** What each kind of refusal must say. */
const SAYS = {
  wrongKey: /wrong key \(or the header/,
  mismatch:
    /not the one its header was made for .*pixels were altered, or the header is another image's/,
  forged: /^the cipher header was altered: its authentication tag does not match/,
  header:
    /^cipher header: |cipher was made by model|not exact|key check value|but its header expects|-bit cipher/,
  missing:
    /no QR code images|no header-\*\.png|no readable QR code|not a readable PNG|not a medcrypt header|QR data/,
};

const KEY = "correct horse battery staple";

interface Target {
  label: string;
  img: MedImage;
  cipher: MedImage;
  header: RevHeader;
}

async function targets(model: RevCipherModel, rng: Rng): Promise<Target[]> {
  const make = async (label: string, img: MedImage) => ({
    label,
    img,
    ...await encryptExact(img, KEY, model),
  });
  const px = (n: number, max: number) => Array.from({ length: n }, () => rng.int(max + 1));
  return [
    await make("8-bit 32×32", medImage(Uint8Array.from(px(1024, 255)), 32, 32)),
    await make("8-bit 32×32 (second image)", medImage(Uint8Array.from(px(1024, 255)), 32, 32)),
    await make(
      "12-bit 31×30 CT",
      medImage(Uint16Array.from(px(930, 4095)), 31, 30, {
        bitDepth: 12,
        modality: "CT",
        pixelSpacing: [0.7, 0.7],
        rescale: { slope: 1, intercept: -1024 },
      }),
    ),
  ];
}

function decrypting(
  model: RevCipherModel,
  name: string,
  message: RegExp,
  input: () => { cipher: MedImage; header: RevHeader | Uint8Array; key: string },
): AdversarialCase {
  return {
    category: "revcipher",
    name,
    message,
    async run() {
      const { cipher, header, key } = input();
      const h = header instanceof Uint8Array ? decodeHeader(header) : header;
      return h.variant === "paper"
        ? await decryptPaper(cipher, h, key, model)
        : await decryptExact(cipher, h, key, model);
    },
  };
}

/**
 * Well-typed forgeries of the header, each a value a reader would believe: the Hounsfield rescale
 * shifted, the pixel spacing halved, the modality swapped or dropped, the cipher digest or the tag
 * replaced. Sent as header bytes, as a QR code carries them.
 */
function forgedCases(model: RevCipherModel, t: Target): AdversarialCase[] {
  const flipDigit = (hex: string) => (hex[0] === "0" ? "1" : "0") + hex.slice(1);
  const r = t.header.rescale, ps = t.header.pixelSpacing;
  const edits: [string, Record<string, unknown>][] = [
    ...(t.header.modality
      ? [
        ["modality changed", { modality: t.header.modality === "MR" ? "CT" : "MR" }],
        ["modality removed", { modality: undefined }],
      ] as [string, Record<string, unknown>][]
      : [["modality added", { modality: "CT" }]] as [string, Record<string, unknown>][]),
    ["cipherHash (one digit)", { cipherHash: flipDigit(t.header.cipherHash) }],
    ["tag (one digit)", { tag: flipDigit(t.header.tag) }],
    ["tag removed", { tag: undefined }],
  ];
  if (r) {
    edits.push(
      ["rescale intercept 0 instead of " + r.intercept, { rescale: { ...r, intercept: 0 } }],
      ["rescale slope doubled", { rescale: { ...r, slope: 2 * r.slope } }],
      ["rescale removed", { rescale: undefined }],
    );
  } else edits.push(["rescale added", { rescale: { slope: 1, intercept: -1024 } }]);
  if (ps) {
    edits.push(
      ["pixelSpacing halved", { pixelSpacing: [ps[0] / 2, ps[1] / 2] }],
      ["pixelSpacing removed", { pixelSpacing: undefined }],
    );
  } else edits.push(["pixelSpacing added", { pixelSpacing: [0.5, 0.5] }]);
  return edits.map(([what, patch]) => {
    const bytes = new TextEncoder().encode(JSON.stringify({ ...t.header, ...patch }));
    const says = what.startsWith("tag removed") ? SAYS.header : SAYS.forged;
    return decrypting(
      model,
      `${t.label}: forged header, ${what}`,
      says,
      () => ({ cipher: t.cipher, header: bytes, key: KEY }),
    );
  });
}

function withPixels(img: MedImage, edit: (d: Uint8Array | Uint16Array) => void): MedImage {
  const d = img.data.slice();
  edit(d);
  return medImage(d, img.width, img.height, { bitDepth: img.bitDepth });
}

function keyCases(model: RevCipherModel, t: Target): AdversarialCase[] {
  const flip = String.fromCharCode(KEY.charCodeAt(0) ^ 1) + KEY.slice(1);
  return [
    ["another user key", "Tr0ub4dor&3"],
    ["the key with one bit of its first character flipped", flip],
    ["the key with a trailing newline (pasted from a file)", `${KEY}\n`],
  ].map(([what, key]) =>
    decrypting(
      model,
      `${t.label}: ${what}`,
      SAYS.wrongKey,
      () => ({ cipher: t.cipher, header: t.header, key }),
    )
  );
}

function pixelCases(model: RevCipherModel, t: Target, rng: Rng, long: boolean): AdversarialCase[] {
  const n = t.cipher.data.length, max = 2 ** t.header.cipherBits - 1;
  const cases: AdversarialCase[] = [];
  for (let k = 0; k < (long ? 600 : 6); k++) {
    const at = rng.int(n), delta = rng.next() < 0.5 ? 1 : -1;
    const cipher = withPixels(t.cipher, (d) => (d[at] = (d[at] + delta + max + 1) % (max + 1)));
    cases.push(
      decrypting(
        model,
        `${t.label}: cipher pixel ${at} ${delta > 0 ? "+1" : "−1"}`,
        SAYS.mismatch,
        () => ({ cipher, header: t.header, key: KEY }),
      ),
    );
  }
  const w = t.cipher.width;
  const zeroed = withPixels(t.cipher, (d) => {
    for (let y = 8; y < 16; y++) d.fill(0, y * w + 8, y * w + 16);
  });
  const noisy = withPixels(t.cipher, (d) => {
    for (let k = 0; k < 50; k++) d[rng.int(n)] = rng.int(max + 1);
  });
  const flipped = withPixels(t.cipher, (d) => d.reverse());
  for (
    const [what, cipher] of [["an 8×8 block zeroed", zeroed], ["50 random pixels", noisy], [
      "pixels in reverse order",
      flipped,
    ]] as const
  ) {
    cases.push(
      decrypting(
        model,
        `${t.label}: ${what}`,
        SAYS.mismatch,
        () => ({ cipher, header: t.header, key: KEY }),
      ),
    );
  }
  return cases;
}

/** Each header field edited, through the header's bytes as a QR code carries them. */
function headerCases(model: RevCipherModel, t: Target): AdversarialCase[] {
  const edits: [string, Record<string, unknown>][] = [
    ["scheme", { scheme: "revcipher/v3" }],
    ["scheme (the unauthenticated first version)", { scheme: "revcipher/v1" }],
    ["variant", { variant: "paper" }],
    ["variant (unknown)", { variant: "lossless" }],
    ["width", { width: t.header.width + 2 }],
    ["height", { height: 0 }],
    ["cipherWidth", { cipherWidth: t.header.cipherWidth + 2 }],
    ["bitDepth", { bitDepth: t.header.bitDepth === 8 ? 16 : 8 }],
    ["bitDepth (17)", { bitDepth: 17 }],
    ["cipherBits", { cipherBits: 12 }],
    ["imageHash (one digit)", {
      imageHash: (t.header.imageHash[0] === "0" ? "1" : "0") + t.header.imageHash.slice(1),
    }],
    ["imageHash (not hex)", { imageHash: "zz".repeat(32) }],
    ["check (one digit)", {
      check: (t.header.check[0] === "0" ? "1" : "0") + t.header.check.slice(1),
    }],
    ["model", { model: "0".repeat(16) }],
    ["modality (a number)", { modality: 7 }],
    ["pixelSpacing", { pixelSpacing: [1] }],
    ["rescale", { rescale: { slope: "1" } }],
  ];
  return edits.map(([field, patch]) => {
    const bytes = new TextEncoder().encode(JSON.stringify({ ...t.header, ...patch }));
    return decrypting(
      model,
      `${t.label}: header field ${field} edited`,
      SAYS.header,
      () => ({ cipher: t.cipher, header: bytes, key: KEY }),
    );
  });
}

/** QR sets: none, a blank image, another kind of PNG, a truncated payload. */
function qrCases(dir: string, t: Target): AdversarialCase[] {
  const blank = encodePng(medImage(new Uint8Array(64 * 64).fill(255), 64, 64));
  const sets: [string, (d: string) => Promise<void>][] = [
    ["an empty QR folder", () => Promise.resolve()],
    ["a blank white header-1.png", (d) => Deno.writeFile(join(d, "header-1.png"), blank)],
    [
      "the cipher image named header-1.png",
      (d) => Deno.writeFile(join(d, "header-1.png"), encodePng(t.cipher)),
    ],
    [
      "a text file named header-1.png",
      (d) => Deno.writeTextFile(join(d, "header-1.png"), "not a png"),
    ],
  ];
  const cases = sets.map(([what, fill], i): AdversarialCase => ({
    category: "revcipher",
    name: `${t.label}: ${what}`,
    message: SAYS.missing,
    async run() {
      const d = join(dir, `qr-${i}`);
      await Deno.mkdir(d, { recursive: true });
      await fill(d);
      return unpackQr(await readQrSet(d));
    },
  }));
  const payload = packQr(t.header);
  for (const cut of [0, 3, 10, payload.length - 1]) {
    cases.push({
      category: "revcipher",
      name: `${t.label}: QR payload cut to ${cut} of ${payload.length} bytes`,
      message: SAYS.missing,
      run: () => Promise.resolve().then(() => decodeHeaderOf(payload.subarray(0, cut))),
    });
  }
  return cases;
}

function decodeHeaderOf(bytes: Uint8Array): RevHeader {
  return unpackQr(bytes).header;
}

/** `medcrypt revcipher decrypt` on files: refused, and no output image left. */
async function cliCases(dir: string, a: Target, b: Target): Promise<AdversarialCase[]> {
  const files = async (name: string, cipher: MedImage, header: RevHeader) => {
    const png = join(dir, `${name}.png`);
    await Deno.writeFile(png, encodePng(cipher));
    await writeQrSet(join(dir, `${name}.qr`), packQr(header));
    return png;
  };
  const good = await files("good", a.cipher, a.header);
  const altered = await files("altered", withPixels(a.cipher, (d) => (d[100] ^= 1)), a.header);
  const foreign = await files("foreign", a.cipher, b.header);
  const noQr = join(dir, "no-qr.png");
  await Deno.writeFile(noQr, encodePng(a.cipher));
  const out = join(dir, "out.npy");
  const run = (name: string, message: RegExp, args: string[]): AdversarialCase => ({
    category: "revcipher",
    name: `${name} (medcrypt revcipher decrypt)`,
    message,
    run: () => runCli("revcipher", "decrypt", ...args, "--out", out),
    leftovers: async () => (await Deno.lstat(out).then(() => [out], () => [])),
  });
  await Deno.writeFile(join(dir, "plain.npy"), encodeNpy(a.img));
  return [
    run("wrong key", SAYS.wrongKey, ["--key", "not the key", "--in", good]),
    run("one cipher pixel altered", SAYS.mismatch, ["--key", KEY, "--in", altered]),
    run("the QR header of another image", SAYS.mismatch, ["--key", KEY, "--in", foreign]),
    run("no QR folder", /no such|not found|does not exist|missing|no QR/i, [
      "--key",
      KEY,
      "--in",
      noQr,
    ]),
  ];
}

/** The revcipher category. */
export const source: CaseSource = {
  category: "revcipher",
  async build(o: SuiteOptions): Promise<BuiltCases> {
    const rng = new Rng(o.seed);
    const model = await loadDefaultModel();
    const [a, b, c] = await targets(model, rng);
    const foreign = decrypting(
      model,
      `${a.label}: the genuine header of another image of the same size`,
      SAYS.mismatch,
      () => ({ cipher: a.cipher, header: b.header, key: KEY }),
    );
    const paper: Target = {
      ...c,
      label: "paper variant, 12-bit CT",
      ...await encryptPaper(c.img, KEY, model),
    };
    const cases = [
      ...[a, c].flatMap((
        t,
      ) => [...keyCases(model, t), ...pixelCases(model, t, rng, o.long), ...headerCases(model, t)]),
      ...[a, c, paper].flatMap((t) => forgedCases(model, t)),
      ...keyCases(model, paper),
      ...pixelCases(model, paper, rng, false),
      foreign,
      ...qrCases(o.workDir, a),
      ...await cliCases(o.workDir, a, b),
    ];
    return { cases };
  },
};
