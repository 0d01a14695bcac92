/**
 * Helpers shared by the image readers' tests.
 *
 * @module
 */
import assert from "node:assert/strict";
import { MedCryptError } from "../core/errors.ts";

/**
 * Runs `fn`, which must throw a {@linkcode MedCryptError}, and returns the error's code.
 *
 * @param fn the call that must fail
 * @returns the code of the typed error it threw
 */
export function errorCode(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof MedCryptError, `expected MedCryptError, got ${e}`);
    return e.code;
  }
  assert.fail("expected an error");
}
