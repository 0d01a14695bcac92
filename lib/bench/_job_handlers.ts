/**
 * The handlers the jobs benchmark's threads load: one membership-audit model per job.
 *
 * @module
 */
import { auditModelJob } from "../attacks/audit_model.ts";
import type { JobHandler } from "../jobs/types.ts";

/** The handlers, by kind. */
export const handlers: readonly JobHandler<never, unknown>[] = [
  auditModelJob as JobHandler<never, unknown>,
];
