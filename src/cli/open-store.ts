import type { PonderConfig } from '../config/schema.ts';
import { StoreError } from '../store/errors.ts';
import { openStore } from '../store/index.ts';
import type { Store } from '../store/types.ts';
import { CliError } from './cli-error.ts';

/** Opens the configured store for one CLI command; store problems become one clear line. */
export async function openCliStore(config: PonderConfig): Promise<Store> {
  try {
    return await openStore({
      dataDir: config.dataDir,
      ...(config.databaseUrl ? { databaseUrl: config.databaseUrl } : {}),
      ...(config.masterKey ? { masterKey: config.masterKey } : {}),
    });
  } catch (err) {
    if (err instanceof StoreError) throw new CliError(err.message);
    throw err;
  }
}
