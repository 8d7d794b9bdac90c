/** Local worker processes now live in the fleet layer (`src/fleet/local-fleet.ts`); kept for existing imports. */
export { LocalFleet as LocalWorkers, cliEntry, type LocalFleetOptions as LocalWorkersOptions } from '../fleet/local-fleet.js';
