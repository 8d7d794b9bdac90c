/**
 * A streaming reader of the MySQL dump files Wikimedia publishes (`enwiki-20241201-page.sql.gz`, ...): the table's
 * columns from its `CREATE TABLE` statement, then every row of its `INSERT INTO ... VALUES (...),(...);` statements,
 * a chunk at a time (the English page table is about 2 GB gzipped; nothing but the current row is held).
 *
 * What mysqldump writes: comments (`-- ...`, `/*!40101 ... *\/;`), `DROP TABLE`, `CREATE TABLE` (one column a line,
 * `` `name` type ...``), `LOCK TABLES`, then INSERT statements of many rows each, one a line. Values are NULL, numbers,
 * or single-quoted strings with backslash escapes (`\0 \' \" \b \n \r \t \Z \\`); strings are bytes (varbinary), read
 * as UTF-8. Anything else fails, naming the byte offset in the file's SQL (after gunzip).
 */

export type SqlValue = string | number | null;

/** A malformed dump: what was expected and where (the byte offset of the SQL text, uncompressed). */
export class SqlDumpError extends Error {
  override readonly name = 'SqlDumpError';
  constructor(message: string, readonly offset: number) {
    super(`${message} at byte ${offset} of the SQL (after gunzip)`);
  }
}

/** The longest statement line other than an INSERT's (CREATE TABLE's column lines, comments), and the longest value. */
const MAX_LINE = 1 << 20;
const MAX_VALUE = 1 << 20;

const enum S {
  LineStart, // at the start of a line outside an INSERT
  Line, // inside a non-INSERT line (collected, bounded)
  InsertHead, // after `INSERT INTO`: up to `VALUES `
  TupleOrEnd, // expecting `(`
  Value, // expecting a value
  Str, // inside a quoted string
  StrEsc, // after a backslash in a string
  Bare, // inside NULL or a number
  AfterValue, // expecting `,` or `)`
  AfterTuple, // expecting `,` or `;`
}

const INSERT = Buffer.from('INSERT INTO ');
const ESCAPES: Record<number, number> = { 0x30: 0, 0x27: 0x27, 0x22: 0x22, 0x62: 8, 0x6e: 10, 0x72: 13, 0x74: 9, 0x5a: 0x1a, 0x5c: 0x5c, 0x25: 0x25, 0x5f: 0x5f };

/**
 * Push-style parser: `push(chunk)` as the bytes come, `end()` at the end. `onColumns(table, names)` once a CREATE TABLE
 * is read; `onRow(table, values)` per row of an INSERT (values in column order). Throws SqlDumpError.
 */
export class SqlDumpParser {
  private state = S.LineStart;
  private offset = 0;
  private line: number[] = [];
  private head = '';
  private table = '';
  private createTable: string | null = null;
  private columns: string[] = [];
  private readonly tables = new Map<string, number>();
  private row: SqlValue[] = [];
  private value = Buffer.alloc(4096);
  private valueLen = 0;
  private bare = '';

  constructor(
    private readonly onColumns: (table: string, columns: readonly string[]) => void,
    private readonly onRow: (table: string, values: readonly SqlValue[]) => void,
  ) {}

  private fail(why: string, at: number): never {
    throw new SqlDumpError(why, at);
  }

  private addByte(b: number, at: number): void {
    if (this.valueLen === this.value.length) {
      if (this.valueLen >= MAX_VALUE) this.fail(`a value longer than ${MAX_VALUE} bytes`, at);
      const bigger = Buffer.alloc(this.value.length * 2);
      this.value.copy(bigger, 0, 0, this.valueLen);
      this.value = bigger;
    }
    this.value[this.valueLen++] = b;
  }

  /** A line outside an INSERT: CREATE TABLE's start, its columns and its end; everything else is skipped. */
  private endLine(at: number): void {
    const text = Buffer.from(this.line).toString('utf8');
    this.line = [];
    const create = /^CREATE TABLE `([^`]+)` \($/.exec(text);
    if (create) {
      this.createTable = create[1] as string;
      this.columns = [];
      return;
    }
    if (this.createTable === null) return;
    const column = /^\s+`([^`]+)` /.exec(text);
    if (column) {
      this.columns.push(column[1] as string);
      return;
    }
    if (text.startsWith(')')) {
      if (this.columns.length === 0) this.fail(`CREATE TABLE \`${this.createTable}\` without columns`, at);
      this.tables.set(this.createTable, this.columns.length);
      this.onColumns(this.createTable, this.columns);
      this.createTable = null;
    }
  }

  private endValue(v: SqlValue): void {
    this.row.push(v);
  }

  private endBare(at: number): void {
    const t = this.bare;
    this.bare = '';
    if (t === 'NULL') return this.endValue(null);
    if (!/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(t)) {
      this.fail(`a value that is neither NULL, a number nor a quoted string (${JSON.stringify(Buffer.from(t, 'latin1').toString('utf8').slice(0, 40))})`, at);
    }
    this.endValue(Number(t));
  }

  private endTuple(at: number): void {
    const width = this.tables.get(this.table) as number;
    if (this.row.length !== width) this.fail(`a row of ${this.row.length} values in table \`${this.table}\` of ${width} columns`, at);
    this.onRow(this.table, this.row);
    this.row = [];
  }

  push(chunk: Buffer): void {
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i] as number;
      const at = this.offset + i;
      switch (this.state) {
        case S.LineStart:
          if (b === 0x0a) break;
          this.line = [b];
          this.state = S.Line;
          break;
        case S.Line:
          if (b === 0x0a) {
            this.endLine(at);
            this.state = S.LineStart;
            break;
          }
          if (this.line.length >= MAX_LINE) this.fail(`a line longer than ${MAX_LINE} bytes`, at);
          this.line.push(b);
          if (this.line.length === INSERT.length && Buffer.from(this.line).equals(INSERT)) {
            this.line = [];
            this.head = '';
            this.state = S.InsertHead;
          }
          break;
        case S.InsertHead: {
          this.head += String.fromCharCode(b);
          if (this.head.length > 300) this.fail('an INSERT statement without VALUES', at);
          const m = /^`([^`]+)` VALUES $/.exec(this.head);
          if (m) {
            this.table = m[1] as string;
            if (!this.tables.has(this.table)) this.fail(`INSERT INTO \`${this.table}\` before its CREATE TABLE`, at);
            this.state = S.TupleOrEnd;
          }
          break;
        }
        case S.TupleOrEnd:
          if (b !== 0x28) this.fail("expected '(' starting a row", at);
          this.row = [];
          this.state = S.Value;
          break;
        case S.Value:
          if (b === 0x27) {
            this.valueLen = 0;
            this.state = S.Str;
          } else if (b === 0x2c || b === 0x29) {
            this.fail('expected a value', at);
          } else {
            this.bare = String.fromCharCode(b);
            this.state = S.Bare;
          }
          break;
        case S.Str:
          if (b === 0x5c) this.state = S.StrEsc;
          else if (b === 0x27) {
            this.endValue(this.value.toString('utf8', 0, this.valueLen));
            this.state = S.AfterValue;
          } else this.addByte(b, at);
          break;
        case S.StrEsc: {
          const e = ESCAPES[b];
          if (e === undefined) this.fail(`an unknown escape \\${String.fromCharCode(b)} in a string`, at);
          // MySQL keeps the backslash of \% and \_ (they only mean something in LIKE patterns).
          if (b === 0x25 || b === 0x5f) this.addByte(0x5c, at);
          this.addByte(e, at);
          this.state = S.Str;
          break;
        }
        case S.Bare:
          if (b === 0x2c || b === 0x29) {
            this.endBare(at);
            if (b === 0x2c) this.state = S.Value;
            else {
              this.endTuple(at);
              this.state = S.AfterTuple;
            }
          } else {
            if (this.bare.length > 64) this.fail('a value that is neither NULL, a number nor a quoted string', at);
            this.bare += String.fromCharCode(b);
          }
          break;
        case S.AfterValue:
          if (b === 0x2c) this.state = S.Value;
          else if (b === 0x29) {
            this.endTuple(at);
            this.state = S.AfterTuple;
          } else this.fail("expected ',' or ')' after a value", at);
          break;
        case S.AfterTuple:
          if (b === 0x2c) this.state = S.TupleOrEnd;
          else if (b === 0x3b) this.state = S.LineStart; // the newline after ';' is a blank line start
          else this.fail("expected ',' or ';' after a row", at);
          break;
      }
    }
    this.offset += chunk.length;
  }

  /** The end of the file: it must not end inside a statement. */
  end(): void {
    if (this.state === S.Line) this.endLine(this.offset);
    else if (this.state !== S.LineStart) this.fail('the file ends inside an INSERT statement (truncated?)', this.offset);
    if (this.createTable !== null) this.fail(`the file ends inside CREATE TABLE \`${this.createTable}\``, this.offset);
  }

  /** Bytes of SQL read so far. */
  get position(): number {
    return this.offset;
  }
}
