/** Where workers run: local processes or EC2 spot instances, behind one `Fleet` interface, and the driver a coordinator runs it with. */
export { targetSize, type Fleet, type FleetPlan, type FleetRun } from './fleet.js';
export { LocalFleet, localFleetPlan, cliEntry, type LocalFleetOptions } from './local-fleet.js';
export { Ec2Fleet, RUN_TAG, DEFAULT_AMI, transitionTime, type Ec2FleetOptions } from './ec2-fleet.js';
export { renderUserData, shellQuote, ecrRegistry, type UserDataOptions } from './user-data.js';
export { runLogGroup, bootStream, workerStream, LOG_RETENTION_DAYS } from './log-names.js';
export { spotHistory, currentSpotPrices, SpotHistoryCache } from './spot-prices.js';
export { FleetDriver, type FleetTick } from './driver.js';
export { FleetFailedError, LaunchCheck, type LaunchedInstance } from './launch-check.js';
export { ARCHITECTURES, DEFAULT_AMIS, fleetArchitecture, typeArchitectures, type Architecture } from './architectures.js';
