/** Reading web archives (WARC, and ARC): gzip detection and inflation, format detection, record framing (by hand for the common case, warcio otherwise), payloads. */
export { decodeInput, type DecodedInput } from './decompress.js';
export { framedRecords, parseRecords, warcioRecords, MAX_HEADER_BYTES, type BatchRecord, type ParsedRecord, type ParseOptions, type RecordDamage } from './records.js';
export { arcFramedRecords, parseArcRecords } from './arc.js';
export { parseArcLine, arcDateToIso, type ArcHeader } from './arc-header.js';
export { describeBytes, sniffFormat, type ArchiveFormat } from './format.js';
export { pickHeaders, headerNames } from './headers.js';
export { inputRecords, InputFramingError, type InputRecords, type InputRecordsOptions, type MemberFramingDamage } from './input.js';
export { gzipMembers, TruncatedInputError, type Member, type MemberDamage } from './members.js';
export { defaultInflate, inflateFor, nativeInflate, zlibInflate, type Inflate, type InflateChoice } from './inflate.js';
