/**
 * The routes that diagnose an image the server can see: the plaintext baseline, and paper A's
 * AES+RSA method done for real — the client seals the scan to the server's published RSA key,
 * the server opens it in memory only (nothing is written), and the diagnosis goes back sealed to
 * the reply key the client put inside the envelope's encrypted metadata.
 *
 * @example
 * ```ts ignore
 * import { diagnoseRoutes } from "./routes_diagnose.ts";
 * console.log(Object.keys(diagnoseRoutes(context)).length); // 3
 * ```
 * @module
 */
import { MedCryptError } from "../core/errors.ts";
import { encrypt } from "../envelope/envelope.ts";
import { decryptImage } from "../envelope/image.ts";
import { exportPublicPem, importPublicPem } from "../envelope/keys.ts";
import { imageToInput } from "../he/client.ts";
import { forwardProgram } from "../he/noise.ts";
import { PRESETS } from "../he/params.ts";
import { compile } from "../he/plan.ts";
import { clientSpec } from "../he/spec.ts";
import { decodeImage, sniffFormat } from "../image/io.ts";
import type { MedImage } from "../image/types.ts";
import { bytesResponse, HttpError, json, readBody, type Route, wantType } from "./_http.ts";
import type { RouteContext } from "./context.ts";
import { ENVELOPE_TYPE } from "./wire.ts";

/** A diagnosis: the model's logits and the label of the largest. */
export interface Diagnosis {
  /** One logit per class. */
  logits: number[];
  /** The predicted class. */
  label: string;
}

/**
 * @param ctx what the routes share
 * @returns `POST /v1/plain/infer`, `GET /v1/envelope/key`, `POST /v1/envelope/infer`
 */
export function diagnoseRoutes(ctx: RouteContext): Record<string, Route> {
  const { store, model, labels, limits, auth } = ctx;
  const program = compile(model);
  const spec = clientSpec(model, PRESETS["ckks-8192-d5"]);
  const diagnose = (img: MedImage, what: string): Diagnosis => {
    const logits = Array.from(forwardProgram(program, imageToInput(img, spec, what)).at(-1)!);
    return { logits, label: labels[logits.indexOf(Math.max(...logits))] };
  };
  const charge = (c: { id: number; name: string }) => {
    if (!store.charge(c.id, 1)) {
      throw new HttpError(429, "budget-spent", `the query budget of client '${c.name}' is spent`);
    }
  };
  return {
    "POST /v1/plain/infer": async (req) => {
      const c = await auth(req);
      const bytes = await readBody(req, limits.imageBytes);
      const format = sniffFormat(bytes);
      if (!format) {
        throw new HttpError(415, "not-an-image", "the body is not an NPY, PNG or DICOM image");
      }
      charge(c);
      const what = "the uploaded image";
      return [json(diagnose(decodeImage(bytes, format, what), what)), c];
    },
    "GET /v1/envelope/key": async (req) => {
      const c = await auth(req);
      const { publicKey } = await ctx.identity();
      return [
        json({
          publicKey: await exportPublicPem(publicKey),
          fingerprint: publicKey.fingerprint,
          bits: publicKey.bits,
        }),
        c,
      ];
    },
    "POST /v1/envelope/infer": async (req) => {
      const c = await auth(req);
      wantType(req, ENVELOPE_TYPE);
      const body = await readBody(req, limits.imageBytes);
      const { privateKey } = await ctx.identity();
      const what = "the uploaded envelope";
      const { image, metadata } = await decryptImage(body, privateKey, { file: what });
      if (typeof metadata.replyTo !== "string") {
        throw new MedCryptError(
          "no-reply-key",
          "the envelope's metadata has no replyTo public key (PEM) to seal the diagnosis to",
        );
      }
      const replyKey = await importPublicPem(metadata.replyTo, { file: "the replyTo key" });
      charge(c);
      const diagnosis = diagnose(image, what);
      const sealed = await encrypt(new TextEncoder().encode(JSON.stringify(diagnosis)), replyKey, {
        metadata: { kind: "diagnosis" },
      });
      return [bytesResponse(sealed, ENVELOPE_TYPE), c];
    },
  };
}
