// Logical replication as the Realtime server reads it: one TEMPORARY slot with
// the built-in pgoutput plugin (so Postgres drops it, and the WAL it holds,
// when the connection ends), streaming the publications' changes whole
// transaction by whole transaction in commit order. Progress is confirmed
// after each transaction is handled, so the slot never retains WAL for long.
import { randomBytes } from "node:crypto";
import type { Duplex } from "node:stream";
import postgres from "postgres";

export interface Relation {
  id: number;
  schema: string;
  table: string;
  columns: Array<{ name: string; typeOid: number; typeMod: number; key: boolean }>;
}

/** A column value as pgoutput sends it: text, null, or unchanged (a TOASTed value not rewritten). */
export type Value = string | null | undefined;

export interface Change {
  kind: "INSERT" | "UPDATE" | "DELETE";
  relation: Relation;
  /** The new row (INSERT, UPDATE). */
  row?: Value[];
  /** The old row: key columns only unless REPLICA IDENTITY FULL (UPDATE when the key changed, DELETE). */
  old?: Value[];
  /** Whether `old` holds only the replica identity's key columns. */
  oldIsKey: boolean;
}

export interface Transaction {
  commitTime: Date;
  changes: Change[];
}

export interface ReplicationOptions {
  dbUrl: string;
  publications: string[];
  /** Handles one committed transaction; the next waits for it. */
  onTransaction: (tx: Transaction) => Promise<void>;
  log: (line: string) => void;
  /** Resolves once the slot exists and streaming has begun (tests wait on it). */
  onStreaming?: (slot: string) => void;
}

const POSTGRES_EPOCH_MS = Date.UTC(2000, 0, 1);
const STATUS_INTERVAL_MS = 10_000;
const RECONNECT_DELAY_MS = 1000;

export function startReplication(options: ReplicationOptions) {
  let stopped = false;
  let current: { sql: postgres.Sql; stream: Duplex } | undefined;
  let retry: NodeJS.Timeout | undefined;

  async function connect(): Promise<void> {
    const sql = postgres(options.dbUrl, {
      max: 1,
      fetch_types: false,
      idle_timeout: 0,
      max_lifetime: null,
      onnotice: () => {},
      connection: { replication: "database", application_name: "pgpod local realtime" },
    });
    try {
      const slot = `pgpod_realtime_${randomBytes(6).toString("hex")}`;
      const [created] = await sql.unsafe(`CREATE_REPLICATION_SLOT ${slot} TEMPORARY LOGICAL pgoutput NOEXPORT_SNAPSHOT`);
      const names = options.publications.map((p) => `"${p}"`).join(",");
      // START_REPLICATION answers with CopyBoth: postgres.js hands it over as a duplex stream.
      const stream = (await sql
        .unsafe(`START_REPLICATION SLOT ${slot} LOGICAL ${created.consistent_point} (proto_version '1', publication_names '${names}')`)
        .writable()) as unknown as Duplex;
      current = { sql, stream };
      consume(stream, lsnToBigInt(created.consistent_point));
      stream.once("close", () => {
        if (current?.stream === stream) current = undefined;
        void sql.end({ timeout: 1 });
        if (!stopped) {
          options.log("replication stream ended; reconnecting");
          schedule();
        }
      });
      stream.on("error", (error) => options.log(`replication stream failed: ${error.message}`));
      options.onStreaming?.(slot);
    } catch (error) {
      await sql.end({ timeout: 1 });
      throw error;
    }
  }

  function schedule() {
    retry = setTimeout(() => {
      retry = undefined;
      if (stopped) return;
      connect().catch((error) => {
        options.log(`replication connection failed: ${(error as Error).message}; retrying`);
        schedule();
      });
    }, RECONNECT_DELAY_MS);
  }

  function consume(stream: Duplex, startLsn: bigint) {
    const relations = new Map<number, Relation>();
    let open: Transaction | undefined;
    let handledLsn = startLsn;
    let receivedLsn = startLsn;
    let chain = Promise.resolve();
    let pending = 0;

    const sendStatus = (replyNow = false) => {
      const message = Buffer.alloc(34);
      message[0] = 0x72; // 'r': standby status update
      message.writeBigUInt64BE(handledLsn, 1); // written
      message.writeBigUInt64BE(handledLsn, 9); // flushed: the slot may free WAL up to here
      message.writeBigUInt64BE(handledLsn, 17); // applied
      message.writeBigInt64BE(BigInt(Date.now() - POSTGRES_EPOCH_MS) * 1000n, 25);
      message[33] = replyNow ? 1 : 0;
      if (!stream.destroyed) stream.write(message);
    };
    const timer = setInterval(() => {
      // Nothing in flight: everything received is handled, including WAL of other tables.
      if (pending === 0) handledLsn = receivedLsn;
      sendStatus();
    }, STATUS_INTERVAL_MS);
    stream.once("close", () => clearInterval(timer));

    stream.on("data", (data: Buffer) => {
      try {
        receive(data);
      } catch (error) {
        // A message this reader cannot follow: start over on a fresh slot.
        options.log(`unreadable replication message: ${(error as Error).message}`);
        stream.destroy();
      }
    });

    function receive(data: Buffer) {
      if (data[0] === 0x6b) {
        // 'k': keepalive, with the server's WAL end and whether it wants an answer now.
        const walEnd = data.readBigUInt64BE(1);
        if (pending === 0 && !open && walEnd > receivedLsn) receivedLsn = walEnd;
        if (data[17]) {
          if (pending === 0) handledLsn = receivedLsn;
          sendStatus();
        }
        return;
      }
      if (data[0] !== 0x77) return;
      // 'w': XLogData; the pgoutput message starts after a 25-byte header.
      const message = data.subarray(25);
      switch (message[0]) {
        case 0x52: // 'R'
          relations.set(message.readUInt32BE(1), parseRelation(message));
          break;
        case 0x42: // 'B'
          open = { commitTime: postgresTime(message.readBigInt64BE(9)), changes: [] };
          break;
        case 0x49: // 'I'
        case 0x55: // 'U'
        case 0x44: // 'D'
          open?.changes.push(parseChange(message, relations));
          break;
        case 0x43: {
          // 'C': commit; its end LSN is where a restart would resume.
          const endLsn = message.readBigUInt64BE(10);
          const tx = open;
          open = undefined;
          receivedLsn = endLsn;
          if (!tx || tx.changes.length === 0) break;
          pending++;
          // A long backlog is held in Postgres (as WAL), not in this process.
          if (pending > 1000) stream.pause();
          chain = chain.then(async () => {
            try {
              await options.onTransaction(tx);
            } catch (error) {
              options.log(`failed to deliver a transaction: ${(error as Error).stack ?? error}`);
            }
            pending--;
            handledLsn = endLsn;
            if (pending < 100 && stream.isPaused()) stream.resume();
          });
          break;
        }
      }
    }
  }

  const started = connect();

  return {
    started,
    async stop(): Promise<void> {
      stopped = true;
      if (retry) clearTimeout(retry);
      const open = current;
      current = undefined;
      if (!open) return;
      open.stream.destroy();
      await open.sql.end({ timeout: 1 });
    },
  };
}

function lsnToBigInt(lsn: string): bigint {
  const [high, low] = lsn.split("/");
  return (BigInt(`0x${high}`) << 32n) + BigInt(`0x${low}`);
}

function postgresTime(micros: bigint): Date {
  return new Date(POSTGRES_EPOCH_MS + Number(micros / 1000n));
}

function readString(buffer: Buffer, offset: number): [string, number] {
  const end = buffer.indexOf(0, offset);
  return [buffer.toString("utf8", offset, end), end + 1];
}

function parseRelation(message: Buffer): Relation {
  const id = message.readUInt32BE(1);
  let offset = 5;
  let schema: string;
  let table: string;
  [schema, offset] = readString(message, offset);
  [table, offset] = readString(message, offset);
  offset += 1; // replica identity setting
  const count = message.readUInt16BE(offset);
  offset += 2;
  const columns: Relation["columns"] = [];
  for (let i = 0; i < count; i++) {
    const key = (message[offset] & 1) === 1;
    let name: string;
    [name, offset] = readString(message, offset + 1);
    columns.push({ name, key, typeOid: message.readUInt32BE(offset), typeMod: message.readInt32BE(offset + 4) });
    offset += 8;
  }
  return { id, schema: schema || "pg_catalog", table, columns };
}

function parseTuple(message: Buffer, offset: number): [Value[], number] {
  const count = message.readUInt16BE(offset);
  offset += 2;
  const values: Value[] = [];
  for (let i = 0; i < count; i++) {
    const kind = message[offset++];
    if (kind === 0x6e) values.push(null); // 'n'
    else if (kind === 0x75) values.push(undefined); // 'u'
    else {
      const length = message.readUInt32BE(offset);
      values.push(message.toString("utf8", offset + 4, offset + 4 + length));
      offset += 4 + length;
    }
  }
  return [values, offset];
}

function parseChange(message: Buffer, relations: Map<number, Relation>): Change {
  const relation = relations.get(message.readUInt32BE(1));
  if (!relation) throw new Error("pgoutput sent a change before its relation");
  let offset = 5;
  const change: Change = { kind: "INSERT", relation, oldIsKey: false };
  if (message[0] === 0x49) {
    [change.row] = parseTuple(message, offset + 1);
    return change;
  }
  change.kind = message[0] === 0x55 ? "UPDATE" : "DELETE";
  if (message[offset] === 0x4b || message[offset] === 0x4f) {
    // 'K' (key columns) or 'O' (the whole old row)
    change.oldIsKey = message[offset] === 0x4b;
    [change.old, offset] = parseTuple(message, offset + 1);
  }
  if (change.kind === "UPDATE") [change.row] = parseTuple(message, offset + 1);
  return change;
}
