import type { Manifest } from '../../core/manifest.ts';
import type { FunctionRecord, VersionRecord } from '../../core/store.ts';

/** A version joined with its bundle's size, as both SQL stores select it. */
export interface VersionRow {
  name: string;
  version: number;
  manifest: string;
  bundle_sha: string;
  bundle_size: number;
  created_at: number;
}

/** A function joined with its active version. */
export interface FunctionRow extends VersionRow {
  active_version: number;
  fn_created_at: number;
  fn_updated_at: number;
}

/** The columns of a {@link VersionRow}, over `versions v` joined with `bundles b`. */
export const VERSION_COLUMNS = `v.name, v.version, v.manifest, v.bundle_sha, b.size AS bundle_size, v.created_at`;

/** Selects {@link FunctionRow}s; callers append their WHERE/ORDER BY in their own placeholders. */
export const SELECT_FUNCTIONS = `
  SELECT ${VERSION_COLUMNS}, f.active_version,
         f.created_at AS fn_created_at, f.updated_at AS fn_updated_at
  FROM functions f
  JOIN versions v ON v.name = f.name AND v.version = f.active_version
  JOIN bundles b ON b.sha = v.bundle_sha`;

/** Maps a version row; both stores hand the manifest over as JSON text. */
export function toVersion(row: VersionRow): VersionRecord {
  return {
    name: row.name,
    version: row.version,
    manifest: JSON.parse(row.manifest) as Manifest,
    bundleSha: row.bundle_sha,
    bundleSize: row.bundle_size,
    createdAt: row.created_at,
  };
}

/** Maps a function row with its active version. */
export function toFunction(row: FunctionRow): FunctionRecord {
  return {
    name: row.name,
    activeVersion: row.active_version,
    createdAt: row.fn_created_at,
    updatedAt: row.fn_updated_at,
    active: toVersion(row),
  };
}
