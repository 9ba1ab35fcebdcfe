// The Phoenix channel wire format as Realtime speaks it: vsn 1.0.0 sends JSON
// objects, vsn 2.0.0 JSON arrays [join_ref, ref, topic, event, payload] plus
// binary user-broadcast frames (kind 3 from clients, kind 4 to clients).

export type Vsn = "1.0.0" | "2.0.0";

export interface Frame {
  join_ref: string | null;
  ref: string | null;
  topic: string;
  event: string;
  payload: unknown;
}

/** A broadcast a client or the database sent; `payload` is JSON or raw bytes. */
export interface UserBroadcast {
  event: string;
  payload: unknown;
  binary: boolean;
  meta?: Record<string, unknown>;
}

const KIND_USER_BROADCAST_PUSH = 3;
const KIND_USER_BROADCAST = 4;
const ENCODING_BINARY = 0;
const ENCODING_JSON = 1;

export class ProtocolError extends Error {}

export function decodeFrame(vsn: Vsn, data: Buffer, isBinary: boolean): Frame {
  if (isBinary) {
    if (vsn !== "2.0.0") throw new ProtocolError("binary frames need vsn 2.0.0");
    return decodeUserBroadcastPush(data);
  }
  let value: unknown;
  try {
    value = JSON.parse(data.toString("utf8"));
  } catch {
    throw new ProtocolError("frame is not JSON");
  }
  if (vsn === "2.0.0") {
    if (!Array.isArray(value) || value.length !== 5) throw new ProtocolError("expected [join_ref, ref, topic, event, payload]");
    const [join_ref, ref, topic, event, payload] = value;
    return checked({ join_ref, ref, topic, event, payload });
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new ProtocolError("expected a JSON object");
  const { join_ref = null, ref = null, topic, event, payload } = value as Record<string, unknown>;
  return checked({ join_ref, ref, topic, event, payload } as Frame);
}

function checked(frame: Frame): Frame {
  if (typeof frame.topic !== "string" || typeof frame.event !== "string") throw new ProtocolError("topic and event must be strings");
  if (frame.ref !== null && typeof frame.ref !== "string") throw new ProtocolError("ref must be a string or null");
  if (frame.join_ref !== null && typeof frame.join_ref !== "string") throw new ProtocolError("join_ref must be a string or null");
  return frame;
}

/** Kind 3: header lengths, then join_ref, ref, topic, user event, metadata JSON and the user payload. */
function decodeUserBroadcastPush(data: Buffer): Frame {
  if (data.length < 7 || data[0] !== KIND_USER_BROADCAST_PUSH) throw new ProtocolError("unknown binary frame kind");
  const lengths = [data[1], data[2], data[3], data[4], data[5]];
  const encoding = data[6];
  let offset = 7;
  const [joinRef, ref, topic, userEvent, metadata] = lengths.map((length) => {
    if (offset + length > data.length) throw new ProtocolError("binary frame shorter than its header says");
    const text = data.toString("utf8", offset, offset + length);
    offset += length;
    return text;
  });
  const body = data.subarray(offset);
  let payload: unknown;
  if (encoding === ENCODING_JSON) {
    try {
      payload = JSON.parse(body.toString("utf8"));
    } catch {
      throw new ProtocolError("broadcast payload is not JSON");
    }
  } else if (encoding === ENCODING_BINARY) {
    payload = Buffer.from(body);
  } else {
    throw new ProtocolError("unknown payload encoding");
  }
  let meta: Record<string, unknown> = {};
  if (metadata) {
    try {
      meta = JSON.parse(metadata);
    } catch {
      throw new ProtocolError("broadcast metadata is not JSON");
    }
  }
  return {
    join_ref: joinRef || null,
    ref: ref || null,
    topic,
    event: "broadcast",
    payload: { ...meta, type: "broadcast", event: userEvent, payload },
  };
}

export function encodeFrame(vsn: Vsn, frame: Frame): string {
  if (vsn === "2.0.0") return JSON.stringify([frame.join_ref, frame.ref, frame.topic, frame.event, frame.payload]);
  return JSON.stringify(frame);
}

/** A user broadcast to a client: kind 4 binary under 2.0.0, a JSON "broadcast" push under 1.0.0. */
export function encodeUserBroadcast(vsn: Vsn, topic: string, message: UserBroadcast): string | Buffer | undefined {
  if (vsn === "1.0.0") {
    // JSON cannot carry raw bytes: 1.0.0 clients only ever get JSON broadcasts.
    if (message.binary) return undefined;
    const payload = { type: "broadcast", event: message.event, payload: message.payload, ...(message.meta ? { meta: message.meta } : {}) };
    return encodeFrame(vsn, { join_ref: null, ref: null, topic, event: "broadcast", payload });
  }
  const topicBytes = Buffer.from(topic, "utf8");
  const eventBytes = Buffer.from(message.event, "utf8");
  const metaBytes = Buffer.from(message.meta ? JSON.stringify(message.meta) : "", "utf8");
  const body = message.binary ? (message.payload as Buffer) : Buffer.from(JSON.stringify(message.payload), "utf8");
  if (topicBytes.length > 255 || eventBytes.length > 255 || metaBytes.length > 255) return undefined;
  const header = Buffer.from([
    KIND_USER_BROADCAST,
    topicBytes.length,
    eventBytes.length,
    metaBytes.length,
    message.binary ? ENCODING_BINARY : ENCODING_JSON,
  ]);
  return Buffer.concat([header, topicBytes, eventBytes, metaBytes, body]);
}
