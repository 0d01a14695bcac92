/**
 * Helpers shared by the service tests.
 *
 * @module
 */
import assert from "node:assert/strict";
import { MedCryptError } from "../core/errors.ts";

/**
 * @param p a call expected to fail
 * @returns `"code: message"` of the `MedCryptError` it threw, or `"no error"`
 */
export async function errorOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof MedCryptError, String(e));
    return `${e.code}: ${e.message}`;
  }
  return "no error";
}
