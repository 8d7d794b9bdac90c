/** Cost of a run: prices (table + overrides), the pure ledger, and the tracker that keeps it as a run goes. */
export { DEFAULT_PRICES, HOURS_PER_MONTH, loadPrices, mergePrices, pricedTypes, type PriceTable } from './prices.js';
export {
  billedSeconds, checkLedger, computeLedger, formatLedger, historyKey, integratePrice, s3RequestClass,
  type InstanceLife, type Ledger, type LedgerInput, type LedgerItem, type PricePoint,
} from './ledger.js';
export { CostTracker, readCostFile, readCostSoFar, type CostTrackerOptions } from './tracker.js';
export { inputRequestsBilled, projectRun, type Projection, type ProjectionBound, type ProjectionInput } from './projection.js';
