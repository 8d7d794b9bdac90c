/** Reading web archives: gzip detection and inflation, record framing (by hand for the common case, warcio otherwise), payloads. */
export { decodeInput, type DecodedInput } from './decompress.js';
export { framedRecords, parseRecords, warcioRecords, MAX_HEADER_BYTES, type BatchRecord, type ParsedRecord, type ParseOptions, type RecordDamage } from './records.js';
export { pickHeaders, headerNames } from './headers.js';
export { inputRecords, InputFramingError, type InputRecords, type InputRecordsOptions } from './input.js';
export { gzipMembers, TruncatedInputError, type Member, type MemberDamage } from './members.js';
