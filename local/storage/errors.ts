// Errors in the shape the Supabase Storage API sends them. That server answers
// every client error with HTTP 400 and puts the precise status in the body's
// `statusCode` (a string), so clients branch on the body, not the status line.
// storage-js reads `code` (e.g. `exists()` looks for "NoSuchKey").
import type { ServerResponse } from "node:http";

export class StorageError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    readonly error: string,
    message: string,
    private readonly statusLine?: number,
  ) {
    super(message);
  }

  get httpStatus(): number {
    return this.statusLine ?? (this.statusCode >= 500 ? 500 : 400);
  }

  body() {
    return { statusCode: String(this.statusCode), code: this.code, error: this.error, message: this.message };
  }
}

export const errors = {
  noSuchBucket: () => new StorageError(404, "NoSuchBucket", "Bucket not found", "Bucket not found"),
  noSuchKey: () => new StorageError(404, "NoSuchKey", "not_found", "Object not found"),
  objectExists: () => new StorageError(409, "KeyAlreadyExists", "Duplicate", "The resource already exists"),
  bucketExists: () => new StorageError(409, "BucketAlreadyExists", "Duplicate", "The resource already exists"),
  bucketNotEmpty: () =>
    new StorageError(409, "InvalidRequest", "Bucket not empty", "The bucket you tried to delete is not empty"),
  entityTooLarge: () =>
    new StorageError(413, "EntityTooLarge", "Payload too large", "The object exceeded the maximum allowed size"),
  invalidMimeType: (mimeType: string) =>
    new StorageError(415, "InvalidMimeType", "invalid_mime_type", `mime type ${mimeType} is not supported`),
  invalidContentType: () => new StorageError(415, "InvalidMimeType", "invalid_mime_type", "Invalid Content-Type header"),
  invalidKey: (key: string) => new StorageError(400, "InvalidKey", "Invalid Input", `Invalid key: ${JSON.stringify(key)}`),
  invalidBucketName: (name: string) =>
    new StorageError(400, "InvalidBucketName", "Invalid Input", `Bucket name invalid: ${JSON.stringify(name)}`),
  missingAuthorization: () =>
    new StorageError(400, "InvalidRequest", "Error", "headers must have required property 'authorization'"),
  invalidJwt: (message: string) => new StorageError(403, "InvalidJWT", "Unauthorized", message),
  invalidSignature: (message: string) => new StorageError(400, "InvalidSignature", "InvalidSignature", message),
  accessDenied: (message: string) => new StorageError(403, "AccessDenied", "Unauthorized", message),
  invalidRequest: (message: string) => new StorageError(400, "InvalidRequest", "Bad Request", message),
  routeNotFound: (method: string, path: string) =>
    new StorageError(404, "NotFound", "Not Found", `Route ${method}:${path} not found`, 404),
  internal: () => new StorageError(500, "InternalError", "Internal Server Error", "Internal Server Error"),
};

interface PostgresLikeError {
  code?: string;
  message?: string;
}

/** Postgres refusals the caller caused (RLS, grants, duplicates) as Storage API errors. */
export function fromDatabaseError(err: unknown, onDuplicate: () => StorageError): StorageError | null {
  const { code, message } = (err ?? {}) as PostgresLikeError;
  if (code === "42501") return errors.accessDenied(message ?? "permission denied");
  if (code === "23505") return onDuplicate();
  return null;
}

export function sendError(res: ServerResponse, err: StorageError): void {
  const body = JSON.stringify(err.body());
  res.writeHead(err.httpStatus, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

export function sendJson(res: ServerResponse, value: unknown, status = 200): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(body) });
  res.end(body);
}
