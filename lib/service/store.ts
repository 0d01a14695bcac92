/**
 * The diagnostic service's state: clients and their budgets, registered CKKS evaluation keys,
 * stored `.mce` scans and the audit log, in a state folder that survives restarts and `kill -9`.
 *
 * Rows live in an embedded SQLite database (`service.db`, WAL journal, `synchronous=FULL`);
 * blobs (evaluation keys of ~50 MB, scans) are files under `blobs/`, each written atomically
 * (temporary file, sync, rename) before its row is inserted, so a row always names a complete
 * file. What a killed process can leave behind — a temporary file, or a renamed blob whose row
 * was never inserted — is removed the next time the store is opened. Client tokens are never
 * stored, only their SHA-256.
 *
 * @example A client, a budget and a stored scan
 * ```ts
 * import { ServiceStore } from "./store.ts";
 * const dir = await Deno.makeTempDir();
 * const store = ServiceStore.open(dir);
 * const { client, token } = store.addClient("radiology-1", 2);
 * console.log((await store.authenticate(token))?.name); // radiology-1
 * console.log(store.charge(client.id), store.charge(client.id), store.charge(client.id)); // true true false
 * const scan = await store.putScan(client.id, new Uint8Array([1, 2, 3]));
 * console.log(store.listScans(client.id).map((s) => s.id).includes(scan.id)); // true
 * store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 * @module
 */
import { DatabaseSync } from "node:sqlite";
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { join } from "node:path";
import process from "node:process";
import { sha256Hex, toHex } from "../core/bytes.ts";
import { MedCryptError } from "../core/errors.ts";
import { writeFileAtomic } from "../core/fs.ts";

/** A client of the service (one per site or user), as stored. */
export interface ClientRecord {
  /** Row id, used by every other table. */
  id: number;
  /** Unique name, 1..64 characters of `[A-Za-z0-9_.-]`. */
  name: string;
  /** How many charged requests the client may make; `null` is unlimited. */
  budget: number | null;
  /** How many it has made. */
  used: number;
  /** When the client was added (ISO 8601). */
  created: string;
}

/** A registered set of CKKS evaluation keys (the blob itself is read with `getHeKeys`). */
export interface HeKeyRecord {
  /** 16 lowercase hex characters naming the keys. */
  keyId: string;
  /** 16 lowercase hex characters naming the CKKS context they belong to. */
  contextId: string;
  /** The parameter preset, such as `ckks-8192-d5`. */
  preset: string;
  /** Size of the blob. */
  bytes: number;
  /** When they were registered (ISO 8601). */
  created: string;
}

/** A stored `.mce` scan (the blob itself is read with `getScan`). */
export interface ScanRecord {
  /** 16 random lowercase hex characters. */
  id: string;
  /** Size of the blob. */
  bytes: number;
  /** Lowercase hex SHA-256 of the blob. */
  sha256: string;
  /** When it was stored (ISO 8601). */
  created: string;
}

/** One request, as the audit log keeps it: sizes and outcome, never image or ciphertext data. */
export interface AuditEntry {
  /** When it was logged (ISO 8601). */
  at: string;
  /** The authenticated client, or `null`. */
  clientId: number | null;
  /** The endpoint, such as `POST /v1/scans`. */
  endpoint: string;
  /** HTTP status of the answer. */
  status: number;
  /** Bytes received. */
  bytesIn: number;
  /** Bytes sent. */
  bytesOut: number;
  /** Time taken, in milliseconds. */
  ms: number;
  /** A short note (at most 200 characters), such as an error code. */
  detail?: string;
}

/** The schema version this module writes, kept in `PRAGMA user_version`. */
const SCHEMA_VERSION = 1;
const MAX_DETAIL = 200;
const NAME_RE = /^[A-Za-z0-9_.-]{1,64}$/;
const HEX16_RE = /^[0-9a-f]{16}$/;
const TOKEN_RE = /^mc_[A-Za-z0-9_-]{43}$/;
const HE_BLOB_RE = /^(\d+)-([0-9a-f]{16})\.bin$/;
const SCAN_BLOB_RE = /^(\d+)-([0-9a-f]{16})\.mce$/;
/** Temporaries of `writeFileAtomic`: `.tmp-<name>-p<pid>-<random>`. */
const TEMP_RE = /^\.tmp-.+-p(\d+)-[0-9a-z]+$/;

const SCHEMA = `
CREATE TABLE clients (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  token_sha256 TEXT NOT NULL UNIQUE,
  budget INTEGER,
  used INTEGER NOT NULL DEFAULT 0,
  created TEXT NOT NULL
);
CREATE TABLE he_keys (
  client_id INTEGER NOT NULL REFERENCES clients(id),
  key_id TEXT NOT NULL,
  context_id TEXT NOT NULL,
  preset TEXT NOT NULL,
  bytes INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  created TEXT NOT NULL,
  PRIMARY KEY (client_id, key_id)
);
CREATE TABLE scans (
  id TEXT PRIMARY KEY,
  client_id INTEGER NOT NULL REFERENCES clients(id),
  bytes INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  created TEXT NOT NULL
);
CREATE INDEX scans_by_client ON scans (client_id);
CREATE TABLE audit (
  id INTEGER PRIMARY KEY,
  at TEXT NOT NULL,
  client_id INTEGER,
  endpoint TEXT NOT NULL,
  status INTEGER NOT NULL,
  bytes_in INTEGER NOT NULL,
  bytes_out INTEGER NOT NULL,
  ms REAL NOT NULL,
  detail TEXT
);`;

type Row = Record<string, unknown>;

const toClient = (r: Row): ClientRecord => ({
  id: Number(r.id),
  name: String(r.name),
  budget: r.budget === null ? null : Number(r.budget),
  used: Number(r.used),
  created: String(r.created),
});

const toHeKey = (r: Row): HeKeyRecord => ({
  keyId: String(r.key_id),
  contextId: String(r.context_id),
  preset: String(r.preset),
  bytes: Number(r.bytes),
  created: String(r.created),
});

const toScan = (r: Row): ScanRecord => ({
  id: String(r.id),
  bytes: Number(r.bytes),
  sha256: String(r.sha256),
  created: String(r.created),
});

function toAudit(r: Row): AuditEntry {
  const e: AuditEntry = {
    at: String(r.at),
    clientId: r.client_id === null ? null : Number(r.client_id),
    endpoint: String(r.endpoint),
    status: Number(r.status),
    bytesIn: Number(r.bytes_in),
    bytesOut: Number(r.bytes_out),
    ms: Number(r.ms),
  };
  if (r.detail !== null) e.detail = String(r.detail);
  return e;
}

function checkBudget(budget: number | null): void {
  if (budget !== null && !(Number.isSafeInteger(budget) && budget >= 0)) {
    throw new MedCryptError("usage", `budget must be a whole number ≥ 0 or null, not ${budget}`);
  }
}

function checkHex16(what: string, value: string): void {
  if (typeof value !== "string" || !HEX16_RE.test(value)) {
    throw new MedCryptError("usage", `${what} must be 16 lowercase hex characters`);
  }
}

/** Whether process `pid` exists (one of another user counts as existing). */
function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: string }).code === "EPERM";
  }
}

/** The SHA-256 (hex) a token is stored as (synchronous, so `addClient` can stay synchronous). */
const tokenHash = (token: string): string => createHash("sha256").update(token).digest("hex");

/** Removes a file, ignoring "not found"; returns whether it was there. */
function removeIfPresent(path: string): boolean {
  try {
    Deno.removeSync(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/**
 * Removes, in `folder`, the temporaries of writes whose process no longer exists and the blobs
 * `hasRow` does not know. The same rule as `removeStaleTemporaries` of `core/fs.ts`, synchronous
 * so that `ServiceStore.open` can stay synchronous. Files of other shapes are left alone.
 */
function sweepFolder(folder: string, blob: RegExp, hasRow: (m: RegExpMatchArray) => boolean) {
  for (const e of Deno.readDirSync(folder)) {
    if (!e.isFile) continue;
    const temp = e.name.match(TEMP_RE), m = e.name.match(blob);
    if (temp) {
      const pid = Number(temp[1]);
      if (pid !== Deno.pid && !processExists(pid)) removeIfPresent(join(folder, e.name));
    } else if (m && !hasRow(m)) {
      removeIfPresent(join(folder, e.name));
    }
  }
}

/** Opens `file` as SQLite, turning "not a database" into `bad-state` naming the file. */
function openDatabase(file: string): { db: DatabaseSync; version: number } {
  let db: DatabaseSync | undefined;
  try {
    try {
      Deno.openSync(file, { write: true, createNew: true, mode: 0o600 }).close();
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
    }
    db = new DatabaseSync(file);
    db.exec("PRAGMA busy_timeout = 5000");
    const version = Number((db.prepare("PRAGMA user_version").get() as Row).user_version);
    return { db, version };
  } catch (e) {
    try {
      db?.close();
    } catch { /* not open */ }
    const msg = (e as Error).message;
    if (/not a database|malformed|corrupt/i.test(msg)) {
      throw new MedCryptError("bad-state", `not a MedCrypt service database (${msg})`, {
        file,
        cause: e,
      });
    }
    throw new MedCryptError("io", `could not open the state database: ${msg}`, { file, cause: e });
  }
}

/** Creates the schema of a new database, or checks the version of an existing one. */
function prepareSchema(db: DatabaseSync, version: number, file: string): void {
  if (version > SCHEMA_VERSION) {
    throw new MedCryptError(
      "state-too-new",
      `schema version ${version} was written by a newer MedCrypt (this one reads ${SCHEMA_VERSION}); upgrade, or use another state folder`,
      { file },
    );
  }
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA synchronous = FULL");
  db.exec("PRAGMA foreign_keys = ON");
  if (version === SCHEMA_VERSION) return;
  db.exec("BEGIN IMMEDIATE");
  try {
    const tables = db.prepare("SELECT count(*) AS n FROM sqlite_master").get() as Row;
    if (Number(tables.n) > 0) {
      throw new MedCryptError(
        "bad-state",
        "an SQLite database that is not a MedCrypt service database (user_version 0 but tables present)",
        { file },
      );
    }
    db.exec(SCHEMA);
    db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
    db.exec("COMMIT");
  } catch (e) {
    db.exec("ROLLBACK");
    throw e;
  }
}

/**
 * The service's state folder, open: `service.db` plus `blobs/he-keys/` and `blobs/scans/`.
 * One process should serve a state folder at a time; others (an admin command adding a client)
 * may open it too, SQLite serialises their writes.
 *
 * @example Evaluation keys are registered once per client
 * ```ts
 * import { ServiceStore } from "./store.ts";
 * const dir = await Deno.makeTempDir();
 * const store = ServiceStore.open(dir);
 * const { client } = store.addClient("site-a");
 * const rec = { keyId: "0123456789abcdef", contextId: "fedcba9876543210", preset: "ckks-8192-d5" };
 * const keys = new Uint8Array(1000).fill(7);
 * console.log(await store.putHeKeys(client.id, rec, keys)); // { created: true }
 * console.log(await store.putHeKeys(client.id, rec, keys)); // { created: false }
 * console.log((await store.getHeKeys(client.id, rec.keyId))?.length); // 1000
 * store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class ServiceStore {
  /** The state folder. */
  readonly dir: string;
  readonly #db: DatabaseSync;
  readonly #heDir: string;
  readonly #scanDir: string;
  /** Per-blob queues, so two writes of one key in this process never interleave. */
  readonly #busy = new Map<string, Promise<unknown>>();
  #open = true;

  private constructor(dir: string, db: DatabaseSync) {
    this.dir = dir;
    this.#db = db;
    this.#heDir = join(dir, "blobs", "he-keys");
    this.#scanDir = join(dir, "blobs", "scans");
  }

  /**
   * Opens (creating it if needed) the state folder `dir`: removes the temporaries and orphan
   * blobs an interrupted run left behind.
   *
   * @param dir the state folder, such as {@linkcode defaultStateDir}()
   * @returns the open store; throws {@linkcode MedCryptError} `bad-state` when `service.db` is
   *   not a MedCrypt database, `state-too-new` when a newer version wrote it
   * @example
   * ```ts
   * import { ServiceStore } from "./store.ts";
   * const dir = await Deno.makeTempDir();
   * await Deno.writeTextFile(`${dir}/service.db`, "not a database, just text ".repeat(40));
   * const err = (() => { try { ServiceStore.open(dir); } catch (e) { return e; } })() as Error & { code: string };
   * console.log(err.code); // bad-state
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  static open(dir: string): ServiceStore {
    for (const sub of ["", "blobs", "blobs/he-keys", "blobs/scans"]) {
      Deno.mkdirSync(join(dir, sub), { recursive: true, mode: 0o700 });
    }
    const file = join(dir, "service.db");
    const { db, version } = openDatabase(file);
    try {
      prepareSchema(db, version, file);
      const store = new ServiceStore(dir, db);
      store.#sweep();
      return store;
    } catch (e) {
      db.close();
      throw e;
    }
  }

  #sweep(): void {
    const heKey = this.#db.prepare("SELECT 1 FROM he_keys WHERE client_id = ? AND key_id = ?");
    const scan = this.#db.prepare("SELECT 1 FROM scans WHERE client_id = ? AND id = ?");
    sweepFolder(this.#heDir, HE_BLOB_RE, (m) => heKey.get(Number(m[1]), m[2]) !== undefined);
    sweepFolder(this.#scanDir, SCAN_BLOB_RE, (m) => scan.get(Number(m[1]), m[2]) !== undefined);
  }

  /**
   * Closes the database (a second call does nothing).
   *
   * @returns nothing
   * @example
   * ```ts
   * import { ServiceStore } from "./store.ts";
   * const dir = await Deno.makeTempDir();
   * const store = ServiceStore.open(dir);
   * store.close();
   * store.close();
   * console.log("closed"); // closed
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  close(): void {
    if (!this.#open) return;
    this.#open = false;
    this.#db.close();
  }

  /**
   * Adds a client with a fresh random token. The token is returned once and never stored (the
   * database keeps its SHA-256).
   *
   * @param name 1..64 characters of `[A-Za-z0-9_.-]`, unique (`client-exists` otherwise)
   * @param budget how many charged requests it may make; `null` (the default) is unlimited
   * @returns the new client and its token, `mc_` + 43 base64url characters
   * @example
   * ```ts
   * import { ServiceStore } from "./store.ts";
   * const dir = await Deno.makeTempDir();
   * const store = ServiceStore.open(dir);
   * const { client, token } = store.addClient("site-a", 100);
   * console.log(client.name, client.budget, client.used, token.length); // site-a 100 0 46
   * store.close();
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  addClient(name: string, budget: number | null = null): { client: ClientRecord; token: string } {
    if (typeof name !== "string" || !NAME_RE.test(name)) {
      throw new MedCryptError("usage", "a client name is 1 to 64 characters of A-Z a-z 0-9 _ . -");
    }
    checkBudget(budget);
    if (this.clientByName(name)) {
      throw new MedCryptError("client-exists", `a client named '${name}' exists already`);
    }
    const token = "mc_" + Buffer.from(crypto.getRandomValues(new Uint8Array(32)))
      .toString("base64url");
    this.#db.prepare(
      "INSERT INTO clients (name, token_sha256, budget, used, created) VALUES (?, ?, ?, 0, ?)",
    ).run(name, tokenHash(token), budget, new Date().toISOString());
    return { client: this.clientByName(name)!, token };
  }

  /**
   * @param name a client's name
   * @returns its record, or `undefined`
   * @example
   * ```ts
   * import { ServiceStore } from "./store.ts";
   * const dir = await Deno.makeTempDir();
   * const store = ServiceStore.open(dir);
   * store.addClient("site-a");
   * console.log(store.clientByName("site-a")?.budget, store.clientByName("site-b")); // null undefined
   * store.close();
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  clientByName(name: string): ClientRecord | undefined {
    const r = this.#db.prepare("SELECT * FROM clients WHERE name = ?").get(String(name));
    return r ? toClient(r as Row) : undefined;
  }

  /**
   * Finds the client a token belongs to (by its SHA-256; the token itself is not stored).
   *
   * @param token what `addClient` returned
   * @returns the client, or `undefined` for an unknown or malformed token
   * @example
   * ```ts
   * import { ServiceStore } from "./store.ts";
   * const dir = await Deno.makeTempDir();
   * const store = ServiceStore.open(dir);
   * const { token } = store.addClient("site-a");
   * console.log((await store.authenticate(token))?.name); // site-a
   * console.log(await store.authenticate("mc_guess")); // undefined
   * store.close();
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  authenticate(token: string): Promise<ClientRecord | undefined> {
    if (typeof token !== "string" || !TOKEN_RE.test(token)) return Promise.resolve(undefined);
    const r = this.#db.prepare("SELECT * FROM clients WHERE token_sha256 = ?").get(
      tokenHash(token),
    );
    return Promise.resolve(r ? toClient(r as Row) : undefined);
  }

  /**
   * Charges `n` requests to a client's budget, in one statement (no race between check and
   * update).
   *
   * @param clientId the client
   * @param n how many requests (a whole number ≥ 0; default 1)
   * @returns `true` when charged; `false` when the budget does not cover `n` (nothing changes)
   *   or there is no such client
   * @example
   * ```ts
   * import { ServiceStore } from "./store.ts";
   * const dir = await Deno.makeTempDir();
   * const store = ServiceStore.open(dir);
   * const { client } = store.addClient("site-a", 3);
   * console.log(store.charge(client.id, 2), store.charge(client.id, 2), store.charge(client.id)); // true false true
   * console.log(store.clientByName("site-a")?.used); // 3
   * store.close();
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  charge(clientId: number, n = 1): boolean {
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new MedCryptError("usage", `a charge must be a whole number ≥ 0, not ${n}`);
    }
    const r = this.#db.prepare(
      "UPDATE clients SET used = used + ? WHERE id = ? AND (budget IS NULL OR used + ? <= budget)",
    ).run(n, clientId, n);
    return Number(r.changes) === 1;
  }

  /**
   * @param name the client
   * @param budget the new budget (`null`: unlimited); `used` is kept
   * @returns nothing; throws {@linkcode MedCryptError} `unknown-client` for an unknown name
   * @example
   * ```ts
   * import { ServiceStore } from "./store.ts";
   * const dir = await Deno.makeTempDir();
   * const store = ServiceStore.open(dir);
   * const { client } = store.addClient("site-a", 0);
   * console.log(store.charge(client.id)); // false
   * store.setBudget("site-a", 10);
   * console.log(store.charge(client.id)); // true
   * store.close();
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  setBudget(name: string, budget: number | null): void {
    checkBudget(budget);
    const r = this.#db.prepare("UPDATE clients SET budget = ? WHERE name = ?").run(budget, name);
    if (Number(r.changes) !== 1) {
      throw new MedCryptError("unknown-client", `no client named '${name}'`);
    }
  }

  /** Runs `fn` after every earlier call queued under `key` has finished. */
  async #serial<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const before = this.#busy.get(key) ?? Promise.resolve();
    const run = before.then(fn, fn);
    const settled = run.then(() => {}, () => {});
    this.#busy.set(key, settled);
    try {
      return await run;
    } finally {
      if (this.#busy.get(key) === settled) this.#busy.delete(key);
    }
  }

  /** Writes a blob atomically, then runs `insert`; removes the blob again if `insert` throws. */
  async #putBlob(path: string, bytes: Uint8Array, insert: () => void): Promise<void> {
    await writeFileAtomic(path, bytes);
    try {
      insert();
    } catch (e) {
      removeIfPresent(path);
      if (/FOREIGN KEY/.test((e as Error).message)) {
        throw new MedCryptError("unknown-client", "no such client", { cause: e });
      }
      throw e;
    }
  }

  /** Reads the blob a row names; a missing or short file is `bad-state` (never returned). */
  async #readBlob(path: string, size: number): Promise<Uint8Array> {
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(path);
    } catch (e) {
      throw new MedCryptError("bad-state", `stored blob unreadable: ${(e as Error).message}`, {
        file: path,
        cause: e,
      });
    }
    if (bytes.length !== size) {
      throw new MedCryptError("bad-state", `stored blob is ${bytes.length} bytes, not ${size}`, {
        file: path,
      });
    }
    return bytes;
  }

  /**
   * Registers a client's CKKS evaluation keys. Registering the same `keyId` again with the same
   * bytes and context does nothing; with anything else it is refused (`key-conflict`).
   *
   * @param clientId the client
   * @param rec `keyId` and `contextId` (16 lowercase hex characters each) and the preset name
   * @param bytes the serialised keys
   * @returns whether they were new
   * @example
   * ```ts
   * import { ServiceStore } from "./store.ts";
   * const dir = await Deno.makeTempDir();
   * const store = ServiceStore.open(dir);
   * const { client } = store.addClient("site-a");
   * const rec = { keyId: "0123456789abcdef", contextId: "fedcba9876543210", preset: "ckks-8192-d5" };
   * await store.putHeKeys(client.id, rec, new Uint8Array([1, 2]));
   * const err = await store.putHeKeys(client.id, rec, new Uint8Array([3])).catch((e) => e);
   * console.log(err.code); // key-conflict
   * store.close();
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  putHeKeys(
    clientId: number,
    rec: { keyId: string; contextId: string; preset: string },
    bytes: Uint8Array,
  ): Promise<{ created: boolean }> {
    checkHex16("keyId", rec.keyId);
    checkHex16("contextId", rec.contextId);
    if (typeof rec.preset !== "string" || !NAME_RE.test(rec.preset)) {
      throw new MedCryptError("usage", "a preset name is 1 to 64 characters of A-Z a-z 0-9 _ . -");
    }
    const path = join(this.#heDir, `${clientId}-${rec.keyId}.bin`);
    return this.#serial(path, async () => {
      const sha = await sha256Hex(bytes);
      const old = this.#db.prepare(
        "SELECT context_id, preset, sha256 FROM he_keys WHERE client_id = ? AND key_id = ?",
      ).get(clientId, rec.keyId) as Row | undefined;
      if (old) {
        if (old.sha256 === sha && old.context_id === rec.contextId && old.preset === rec.preset) {
          return { created: false };
        }
        throw new MedCryptError(
          "key-conflict",
          `keys ${rec.keyId} are registered already with other contents; use a new key id`,
        );
      }
      await this.#putBlob(path, bytes, () =>
        this.#db.prepare(
          "INSERT INTO he_keys (client_id, key_id, context_id, preset, bytes, sha256, created) VALUES (?, ?, ?, ?, ?, ?, ?)",
        ).run(
          clientId,
          rec.keyId,
          rec.contextId,
          rec.preset,
          bytes.length,
          sha,
          new Date().toISOString(),
        ));
      return { created: true };
    });
  }

  /**
   * @param clientId the client
   * @param keyId the keys' id
   * @returns the serialised keys, or `undefined` when this client registered no such keys
   * @example
   * ```ts
   * import { ServiceStore } from "./store.ts";
   * const dir = await Deno.makeTempDir();
   * const store = ServiceStore.open(dir);
   * const a = store.addClient("site-a").client, b = store.addClient("site-b").client;
   * const rec = { keyId: "0123456789abcdef", contextId: "fedcba9876543210", preset: "ckks-8192-d5" };
   * await store.putHeKeys(a.id, rec, new Uint8Array([1, 2]));
   * console.log(await store.getHeKeys(a.id, rec.keyId)); // Uint8Array(2) [ 1, 2 ]
   * console.log(await store.getHeKeys(b.id, rec.keyId)); // undefined
   * store.close();
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  async getHeKeys(clientId: number, keyId: string): Promise<Uint8Array | undefined> {
    if (typeof keyId !== "string" || !HEX16_RE.test(keyId)) return undefined;
    const r = this.#db.prepare("SELECT bytes FROM he_keys WHERE client_id = ? AND key_id = ?")
      .get(clientId, keyId) as Row | undefined;
    if (!r) return undefined;
    return await this.#readBlob(join(this.#heDir, `${clientId}-${keyId}.bin`), Number(r.bytes));
  }

  /**
   * @param clientId the client
   * @returns its registered keys, oldest first
   * @example
   * ```ts
   * import { ServiceStore } from "./store.ts";
   * const dir = await Deno.makeTempDir();
   * const store = ServiceStore.open(dir);
   * const { client } = store.addClient("site-a");
   * const rec = { keyId: "0123456789abcdef", contextId: "fedcba9876543210", preset: "ckks-8192-d5" };
   * await store.putHeKeys(client.id, rec, new Uint8Array(10));
   * console.log(store.listHeKeys(client.id).map((k) => `${k.keyId} ${k.preset} ${k.bytes}`)); // [ "0123456789abcdef ckks-8192-d5 10" ]
   * store.close();
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  listHeKeys(clientId: number): HeKeyRecord[] {
    return this.#db.prepare("SELECT * FROM he_keys WHERE client_id = ? ORDER BY rowid")
      .all(clientId).map((r) => toHeKey(r as Row));
  }

  /**
   * Stores a scan (an `.mce` envelope; the store does not look inside).
   *
   * @param clientId the owner
   * @param bytes the envelope
   * @returns its record, with a fresh random id
   * @example
   * ```ts
   * import { ServiceStore } from "./store.ts";
   * const dir = await Deno.makeTempDir();
   * const store = ServiceStore.open(dir);
   * const { client } = store.addClient("site-a");
   * const scan = await store.putScan(client.id, new Uint8Array([1, 2, 3]));
   * console.log(scan.id.length, scan.bytes, scan.sha256.slice(0, 8)); // 16 3 039058c6
   * store.close();
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  async putScan(clientId: number, bytes: Uint8Array): Promise<ScanRecord> {
    const id = toHex(crypto.getRandomValues(new Uint8Array(8)));
    const rec: ScanRecord = {
      id,
      bytes: bytes.length,
      sha256: await sha256Hex(bytes),
      created: new Date().toISOString(),
    };
    await this.#putBlob(join(this.#scanDir, `${clientId}-${id}.mce`), bytes, () =>
      this.#db.prepare(
        "INSERT INTO scans (id, client_id, bytes, sha256, created) VALUES (?, ?, ?, ?, ?)",
      ).run(id, clientId, rec.bytes, rec.sha256, rec.created));
    return rec;
  }

  /**
   * @param clientId the owner
   * @returns its scans, oldest first
   * @example
   * ```ts
   * import { ServiceStore } from "./store.ts";
   * const dir = await Deno.makeTempDir();
   * const store = ServiceStore.open(dir);
   * const { client } = store.addClient("site-a");
   * await store.putScan(client.id, new Uint8Array(5));
   * console.log(store.listScans(client.id).map((s) => s.bytes)); // [ 5 ]
   * store.close();
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  listScans(clientId: number): ScanRecord[] {
    return this.#db.prepare("SELECT * FROM scans WHERE client_id = ? ORDER BY rowid")
      .all(clientId).map((r) => toScan(r as Row));
  }

  /**
   * @param clientId the owner
   * @param id the scan's id
   * @returns the envelope, or `undefined` when this client has no such scan
   * @example
   * ```ts
   * import { ServiceStore } from "./store.ts";
   * const dir = await Deno.makeTempDir();
   * const store = ServiceStore.open(dir);
   * const a = store.addClient("site-a").client, b = store.addClient("site-b").client;
   * const scan = await store.putScan(a.id, new Uint8Array([9]));
   * console.log(await store.getScan(a.id, scan.id), await store.getScan(b.id, scan.id)); // Uint8Array(1) [ 9 ] undefined
   * store.close();
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  async getScan(clientId: number, id: string): Promise<Uint8Array | undefined> {
    if (typeof id !== "string" || !HEX16_RE.test(id)) return undefined;
    const r = this.#db.prepare("SELECT bytes FROM scans WHERE client_id = ? AND id = ?")
      .get(clientId, id) as Row | undefined;
    if (!r) return undefined;
    return await this.#readBlob(join(this.#scanDir, `${clientId}-${id}.mce`), Number(r.bytes));
  }

  /**
   * Deletes a scan: the row first, then the file (a file left by a crash in between is removed
   * at the next open).
   *
   * @param clientId the owner
   * @param id the scan's id
   * @returns whether this client had such a scan
   * @example
   * ```ts
   * import { ServiceStore } from "./store.ts";
   * const dir = await Deno.makeTempDir();
   * const store = ServiceStore.open(dir);
   * const { client } = store.addClient("site-a");
   * const scan = await store.putScan(client.id, new Uint8Array([9]));
   * console.log(await store.deleteScan(client.id, scan.id), await store.deleteScan(client.id, scan.id)); // true false
   * store.close();
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  async deleteScan(clientId: number, id: string): Promise<boolean> {
    if (typeof id !== "string" || !HEX16_RE.test(id)) return false;
    const r = this.#db.prepare("DELETE FROM scans WHERE client_id = ? AND id = ?").run(
      clientId,
      id,
    );
    if (Number(r.changes) !== 1) return false;
    await Deno.remove(join(this.#scanDir, `${clientId}-${id}.mce`)).catch((e) => {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    });
    return true;
  }

  /**
   * Logs a request. Only sizes, status and a short note are kept: callers must never pass
   * pixel data or ciphertext contents; `detail` is cut at 200 characters.
   *
   * @param e the request
   * @returns nothing
   * @example
   * ```ts
   * import { ServiceStore } from "./store.ts";
   * const dir = await Deno.makeTempDir();
   * const store = ServiceStore.open(dir);
   * store.audit({ clientId: null, endpoint: "GET /v1/health", status: 200, bytesIn: 0, bytesOut: 15, ms: 0.4 });
   * store.audit({ clientId: null, endpoint: "POST /v1/infer", status: 401, bytesIn: 9, bytesOut: 40, ms: 1, detail: "x".repeat(500) });
   * const [last, first] = store.auditLog();
   * console.log(last.status, last.detail?.length, first.endpoint, first.detail); // 401 200 GET /v1/health undefined
   * store.close();
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  audit(e: Omit<AuditEntry, "at">): void {
    const detail = e.detail === undefined ? null : String(e.detail).slice(0, MAX_DETAIL);
    this.#db.prepare(
      "INSERT INTO audit (at, client_id, endpoint, status, bytes_in, bytes_out, ms, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    ).run(
      new Date().toISOString(),
      e.clientId,
      String(e.endpoint).slice(0, MAX_DETAIL),
      e.status,
      e.bytesIn,
      e.bytesOut,
      e.ms,
      detail,
    );
  }

  /**
   * @param limit how many entries at most (default 100)
   * @returns the newest entries, newest first
   * @example
   * ```ts
   * import { ServiceStore } from "./store.ts";
   * const dir = await Deno.makeTempDir();
   * const store = ServiceStore.open(dir);
   * for (const status of [200, 404, 500]) {
   *   store.audit({ clientId: 1, endpoint: "GET /v1/scans", status, bytesIn: 0, bytesOut: 0, ms: 1 });
   * }
   * console.log(store.auditLog(2).map((e) => e.status)); // [ 500, 404 ]
   * store.close();
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  auditLog(limit = 100): AuditEntry[] {
    return this.#db.prepare("SELECT * FROM audit ORDER BY id DESC LIMIT ?")
      .all(Math.max(0, Math.floor(limit))).map((r) => toAudit(r as Row));
  }
}

/**
 * The default state folder: `$XDG_STATE_HOME/medcrypt`, or `$HOME/.local/state/medcrypt`.
 *
 * @returns the folder (not created)
 * @example
 * ```ts
 * import { defaultStateDir } from "./store.ts";
 * console.log(defaultStateDir().endsWith("/medcrypt")); // true
 * ```
 */
export function defaultStateDir(): string {
  const xdg = Deno.env.get("XDG_STATE_HOME");
  if (xdg && xdg.startsWith("/")) return join(xdg, "medcrypt");
  const home = Deno.env.get("HOME");
  if (!home) {
    throw new MedCryptError("usage", "HOME is not set: give the state folder explicitly");
  }
  return join(home, ".local", "state", "medcrypt");
}
