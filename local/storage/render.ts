// Image transformations as the Supabase CLI's local stack serves them, at
// /render/image/{public,authenticated,sign}/<bucket>/<key>: width, height,
// resize (cover, contain, fill), quality and format, done with sharp. Without
// format=origin the image is sent as WebP to clients that accept it, as
// Storage's renderer does.
import type { IncomingMessage, ServerResponse } from "node:http";
import sharp from "sharp";
import type { StorageContext } from "./context.ts";
import type { ObjectRow } from "./database.ts";
import { errors } from "./errors.ts";

export interface Transformation {
  width?: number;
  height?: number;
  resize: "cover" | "contain" | "fill";
  quality: number;
  format?: "origin";
}

/** Largest width or height asked for, and largest source image decoded. */
const maxDimension = 2500;
const maxSourcePixels = 50_000_000;
const fits = { cover: "cover", contain: "inside", fill: "fill" } as const;

function dimension(value: string | undefined, name: string): number | undefined {
  if (value === undefined || value === "") return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > maxDimension) throw errors.invalidRequest(`${name} must be an integer between 1 and ${maxDimension}`);
  return n;
}

/** The transformation from query parameters (or a signed URL's `width:…,height:…` list). */
export function parseTransformation(get: (name: string) => string | undefined): Transformation {
  const resize = get("resize") ?? "cover";
  if (!(resize in fits)) throw errors.invalidRequest("resize must be one of cover, contain, fill");
  const quality = get("quality") === undefined ? 80 : Number(get("quality"));
  if (!Number.isInteger(quality) || quality < 20 || quality > 100) throw errors.invalidRequest("quality must be an integer between 20 and 100");
  const format = get("format");
  if (format !== undefined && format !== "origin") throw errors.invalidRequest("format must be origin");
  return {
    width: dimension(get("width"), "width"),
    height: dimension(get("height"), "height"),
    resize: resize as Transformation["resize"],
    quality,
    ...(format === "origin" ? { format } : {}),
  };
}

/** A transformation as a signed URL's token carries it. */
export function transformationList(body: unknown): string {
  const t = (typeof body === "object" && body !== null ? body : {}) as Record<string, unknown>;
  const parsed = parseTransformation((name) => (t[name] === undefined || t[name] === null ? undefined : String(t[name])));
  return Object.entries(parsed).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}:${v}`).join(",");
}

export function parseTransformationList(list: string): Transformation {
  const entries = new Map(list.split(",").filter(Boolean).map((pair) => pair.split(":", 2) as [string, string]));
  return parseTransformation((name) => entries.get(name));
}

type OutputFormat = "jpeg" | "png" | "webp" | "avif" | "gif" | "tiff";
const formats: Record<string, OutputFormat> = { jpeg: "jpeg", png: "png", webp: "webp", heif: "avif", gif: "gif", tiff: "tiff" };

/** Sends the object transformed. Sources that are not images are refused. */
export async function serveTransformed(
  ctx: StorageContext,
  req: IncomingMessage,
  res: ServerResponse,
  row: ObjectRow,
  t: Transformation,
): Promise<void> {
  if (!row.version) throw errors.noSuchKey();
  const source = ctx.store.pathOf(row.bucket_id, row.name, row.version);
  let image = sharp(source, { limitInputPixels: maxSourcePixels, failOn: "error" });
  let original: OutputFormat;
  try {
    const meta = await image.metadata();
    original = formats[meta.format ?? ""] ?? "png";
  } catch {
    throw errors.invalidRequest("the object is not an image that can be transformed");
  }
  if (t.width !== undefined || t.height !== undefined) {
    image = image.rotate().resize({ width: t.width, height: t.height, fit: fits[t.resize], position: "centre" });
  }
  const webp = t.format !== "origin" && /image\/webp/.test(req.headers.accept ?? "");
  const format: OutputFormat = webp ? "webp" : original;
  const body = await image.toFormat(format, { quality: t.quality }).toBuffer().catch(() => {
    throw errors.invalidRequest("the image could not be transformed");
  });
  res.writeHead(200, {
    "content-type": `image/${format}`,
    "content-length": body.length,
    "cache-control": row.metadata?.cacheControl ?? "no-cache",
    vary: "Accept",
  });
  res.end(req.method === "HEAD" ? undefined : body);
}
