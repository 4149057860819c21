/**
 * The Store contract: one set of cases every Store adapter passes (SQLite, PostgreSQL). Each
 * adapter's test file supplies a {@link StoreSubject} and adds the cases only it can have
 * (its file format, its schema upgrades, its connection faults).
 */
import type { TestContext } from 'node:test';
import type { Store } from '../../core/store.ts';
import { deliveryCases } from './store-contract-delivery.ts';
import { functionCases } from './store-contract-functions.ts';
import { gatewayCases } from './store-contract-gateways.ts';
import { invocationCases } from './store-contract-invocations.ts';
import { resultBurstCases } from './store-contract-results.ts';
import { scheduleCases } from './store-contract-schedule.ts';
import { secretCases } from './store-contract-secrets.ts';
import { tokenCases } from './store-contract-tokens.ts';

export interface StoreSubject {
  /** A fresh, empty database of the test's own (a file, a schema), removed after the test. */
  location(t: TestContext): Promise<string>;
  /** A store on `location`, not yet initialized; closed after the test. */
  create(t: TestContext, location: string, options?: { now?: () => number }): Store;
  /** How many rows `table` holds, read past the store. */
  count(location: string, table: string): Promise<number>;
  /** Every row of `table` as text: what someone holding the database would read. */
  dump(location: string, table: string): Promise<string>;
}

/** Opens stores of one subject: a fresh database, or another store on an existing one. */
export interface Opener {
  subject: StoreSubject;
  open: (
    t: TestContext,
    location?: string,
    options?: { now?: () => number },
  ) => Promise<{ store: Store; location: string }>;
}

/** Registers every contract case for `subject`. */
export function storeContract(subject: StoreSubject): void {
  const opener: Opener = {
    subject,
    open: async (t, location, options) => {
      const where = location ?? (await subject.location(t));
      const store = subject.create(t, where, options);
      await store.init();
      return { store, location: where };
    },
  };
  functionCases(opener);
  invocationCases(opener);
  resultBurstCases(opener);
  deliveryCases(opener);
  scheduleCases(opener);
  gatewayCases(opener);
  secretCases(opener);
  tokenCases(opener);
}
