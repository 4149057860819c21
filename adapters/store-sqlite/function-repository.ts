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
import type { Connection } from './connection.ts';

/** Functions, their numbered versions and the content-addressed bundles those point at. */
export class FunctionRepository {
  readonly #db: Connection;
  readonly #now: () => number;

  constructor(db: Connection, now: () => number) {
    this.#db = db;
    this.#now = now;
  }

  /** Stores the bundle once per content, adds version max+1 and makes it active. */
  createVersion(manifest: Manifest, bundle: string): VersionRecord {
    const sha = createHash('sha256').update(bundle, 'utf8').digest('hex');
    const size = Buffer.byteLength(bundle, 'utf8');
    const now = this.#now();
    const name = manifest.name;
    return this.#db.transaction(() => {
      this.#db.run(
        'INSERT INTO bundles (sha, size, code) VALUES (:sha, :size, :code) ON CONFLICT (sha) DO NOTHING',
        { sha, size, code: bundle },
      );
      // max over all versions ever created, so numbers keep counting after a rollback.
      const version =
        (this.#db.get<{ latest: number | null }>(
          'SELECT max(version) AS latest FROM versions WHERE name = :name',
          { name },
        )?.latest ?? 0) + 1;
      this.#db.run(
        `INSERT INTO versions (name, version, manifest, bundle_sha, created_at)
         VALUES (:name, :version, :manifest, :sha, :now)`,
        { name, version, manifest: JSON.stringify(manifest), sha, now },
      );
      this.#db.run(
        `INSERT INTO functions (name, active_version, created_at, updated_at)
         VALUES (:name, :version, :now, :now)
         ON CONFLICT (name) DO UPDATE
           SET active_version = excluded.active_version, updated_at = excluded.updated_at`,
        { name, version, now },
      );
      return { name, version, manifest, bundleSha: sha, bundleSize: size, createdAt: now };
    });
  }

  get(name: string): FunctionRecord | undefined {
    const row = this.#db.get<FunctionRow>(`${SELECT_FUNCTIONS} WHERE f.name = :name`, { name });
    return row === undefined ? undefined : toFunction(row);
  }

  list(): FunctionRecord[] {
    return this.#db.all<FunctionRow>(`${SELECT_FUNCTIONS} ORDER BY f.name`).map(toFunction);
  }

  /** Ascending by version; empty for an unknown function. */
  listVersions(name: string): VersionRecord[] {
    return this.#db
      .all<VersionRow>(
        `SELECT ${VERSION_COLUMNS}
         FROM versions v JOIN bundles b ON b.sha = v.bundle_sha
         WHERE v.name = :name ORDER BY v.version`,
        { name },
      )
      .map(toVersion);
  }

  setActive(name: string, version: number): FunctionRecord {
    return this.#db.transaction(() => {
      const exists = this.#db.get('SELECT 1 FROM functions WHERE name = :name', { name });
      if (exists === undefined) {
        throw new FjordError('FUNCTION_NOT_FOUND', `function "${name}" does not exist`);
      }
      const known = this.#db.get(
        'SELECT 1 FROM versions WHERE name = :name AND version = :version',
        { name, version },
      );
      if (known === undefined) {
        throw new FjordError('VERSION_NOT_FOUND', `function "${name}" has no version ${version}`);
      }
      this.#db.run(
        'UPDATE functions SET active_version = :version, updated_at = :now WHERE name = :name',
        { name, version, now: this.#now() },
      );
      const record = this.get(name);
      if (record === undefined) throw new FjordError('INTERNAL', `function "${name}" vanished`);
      return record;
    });
  }

  /**
   * Removes the function and its versions, then every bundle no version points at any more.
   * Logs and invocations are the caller's to remove in the same transaction.
   */
  delete(name: string): boolean {
    const { changes } = this.#db.run('DELETE FROM functions WHERE name = :name', { name });
    if (changes === 0) return false;
    this.#db.run('DELETE FROM versions WHERE name = :name', { name });
    this.#db.run(
      `DELETE FROM bundles
       WHERE NOT EXISTS (SELECT 1 FROM versions v WHERE v.bundle_sha = bundles.sha)`,
    );
    return true;
  }

  getBundle(sha: string): string | undefined {
    return this.#db.get<{ code: string }>('SELECT code FROM bundles WHERE sha = :sha', { sha })
      ?.code;
  }
}
