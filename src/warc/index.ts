/** Reading web archives: gzip detection and inflation, record framing (warcio), payloads. */
export { decodeInput, type DecodedInput } from './decompress.js';
export { parseRecords, type ParsedRecord } from './records.js';
