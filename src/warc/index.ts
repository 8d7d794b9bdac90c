/** Reading web archives: gzip detection and inflation, record framing (by hand for the common case, warcio otherwise), payloads. */
export { decodeInput, type DecodedInput } from './decompress.js';
export { parseRecords, warcioRecords, type ParsedRecord, type ParseOptions } from './records.js';
export { parseSimpleHeaders, type SimpleHeaders } from './headers.js';
export { inputRecords, InputFramingError, type InputRecords, type InputRecordsOptions } from './input.js';
export { gzipMembers, TruncatedInputError, type Member, type MemberDamage } from './members.js';
