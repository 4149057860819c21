import { createHash } from 'node:crypto';
import { FjordError } from '../../core/errors.ts';
import type { Manifest } from '../../core/manifest.ts';
import type { FunctionRecord, VersionRecord } from '../../core/store.ts';
import {
  SELECT_FUNCTIONS,
  VERSION_COLUMNS,
  toFunction,
  toVersion,
  type FunctionRow,
  type VersionRow,
} from '../sql-store/function-rows.ts';
import type { Queryable } from './database.ts';
import { toJson } from './json.ts';

/** Functions, their numbered versions and the content-addressed bundles those point at. */
export class FunctionRepository {
  readonly #db: Queryable;
  readonly #now: () => number;

  constructor(db: Queryable, now: () => number) {
    this.#db = db;
    this.#now = now;
  }

  /**
   * Stores the bundle once per content, adds version max+1 and makes it active. Run in a
   * transaction: an advisory lock on the name serializes deploys of one function from several
   * gateways, which would otherwise both pick the same next number.
   */
  async createVersion(manifest: Manifest, bundle: string): Promise<VersionRecord> {
    const sha = createHash('sha256').update(bundle, 'utf8').digest('hex');
    const size = Buffer.byteLength(bundle, 'utf8');
    const now = this.#now();
    const name = manifest.name;
    await this.#db.query(
      "SELECT pg_advisory_xact_lock(hashtext('fjord-function:' || current_schema() || ':' || $1))",
      [name],
    );
    // DO UPDATE rather than DO NOTHING: it locks the bundle's row, so a concurrent delete of an
    // unreferenced bundle cannot remove it under the version about to point at it.
    await this.#db.query(
      `INSERT INTO bundles (sha, size, code) VALUES ($1, $2, $3)
       ON CONFLICT (sha) DO UPDATE SET size = excluded.size`,
      [sha, size, bundle],
    );
    // max over all versions ever created, so numbers keep counting after a rollback.
    const { rows } = await this.#db.query<{ latest: number | null }>(
      'SELECT max(version) AS latest FROM versions WHERE name = $1',
      [name],
    );
    const version = (rows[0]?.latest ?? 0) + 1;
    await this.#db.query(
      `INSERT INTO versions (name, version, manifest, bundle_sha, created_at)
       VALUES ($1, $2, $3::jsonb, $4, $5)`,
      [name, version, toJson(manifest), sha, now],
    );
    await this.#db.query(
      `INSERT INTO functions (name, active_version, created_at, updated_at)
       VALUES ($1, $2, $3, $3)
       ON CONFLICT (name) DO UPDATE
         SET active_version = excluded.active_version, updated_at = excluded.updated_at`,
      [name, version, now],
    );
    return { name, version, manifest, bundleSha: sha, bundleSize: size, createdAt: now };
  }

  async get(name: string): Promise<FunctionRecord | undefined> {
    const { rows } = await this.#db.query<FunctionRow>(`${SELECT_FUNCTIONS} WHERE f.name = $1`, [
      name,
    ]);
    const row = rows[0];
    return row === undefined ? undefined : toFunction(row);
  }

  async list(): Promise<FunctionRecord[]> {
    const { rows } = await this.#db.query<FunctionRow>(`${SELECT_FUNCTIONS} ORDER BY f.name`);
    return rows.map(toFunction);
  }

  /** Ascending by version; empty for an unknown function. */
  async listVersions(name: string): Promise<VersionRecord[]> {
    const { rows } = await this.#db.query<VersionRow>(
      `SELECT ${VERSION_COLUMNS}
       FROM versions v JOIN bundles b ON b.sha = v.bundle_sha
       WHERE v.name = $1 ORDER BY v.version`,
      [name],
    );
    return rows.map(toVersion);
  }

  /** Run in a transaction: the checks and the update see one state. */
  async setActive(name: string, version: number): Promise<FunctionRecord> {
    const exists = await this.#db.query('SELECT 1 FROM functions WHERE name = $1 FOR UPDATE', [
      name,
    ]);
    if (exists.rowCount === 0) {
      throw new FjordError('FUNCTION_NOT_FOUND', `function "${name}" does not exist`);
    }
    const known = await this.#db.query('SELECT 1 FROM versions WHERE name = $1 AND version = $2', [
      name,
      version,
    ]);
    if (known.rowCount === 0) {
      throw new FjordError('VERSION_NOT_FOUND', `function "${name}" has no version ${version}`);
    }
    await this.#db.query(
      'UPDATE functions SET active_version = $2, updated_at = $3 WHERE name = $1',
      [name, version, this.#now()],
    );
    const record = await this.get(name);
    if (record === undefined) throw new FjordError('INTERNAL', `function "${name}" vanished`);
    return record;
  }

  /**
   * Removes the function and its versions, then every bundle no version points at any more.
   * Logs and invocations are the caller's to remove in the same transaction.
   */
  async delete(name: string): Promise<boolean> {
    const { rowCount } = await this.#db.query('DELETE FROM functions WHERE name = $1', [name]);
    if (rowCount === 0) return false;
    const { rows } = await this.#db.query<{ bundle_sha: string }>(
      'DELETE FROM versions WHERE name = $1 RETURNING bundle_sha',
      [name],
    );
    // Only the bundles this function used can have become unreferenced.
    await this.#db.query(
      `DELETE FROM bundles
       WHERE sha = ANY($1::text[])
         AND NOT EXISTS (SELECT 1 FROM versions v WHERE v.bundle_sha = bundles.sha)`,
      [[...new Set(rows.map((row) => row.bundle_sha))]],
    );
    return true;
  }

  async getBundle(sha: string): Promise<string | undefined> {
    const { rows } = await this.#db.query<{ code: string }>(
      'SELECT code FROM bundles WHERE sha = $1',
      [sha],
    );
    return rows[0]?.code;
  }
}
