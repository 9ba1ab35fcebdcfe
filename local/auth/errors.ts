// Errors as Supabase Auth (GoTrue) sends them. A request carrying
// X-Supabase-Api-Version (supabase-js always sends 2024-01-01) gets
// {code, message}; an unversioned one the legacy {code: status, error_code, msg}.
// Both carry the x-sb-error-code header.
import type { ServerResponse } from "node:http";

export const apiVersion = "2024-01-01";

export class AuthError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export const errors = {
  badJson: (reason: string) => new AuthError(400, "bad_json", `Could not parse request body as JSON: ${reason}`),
  validation: (message: string) => new AuthError(400, "validation_failed", message),
  invalidEmail: () => new AuthError(400, "validation_failed", "Unable to validate email address: invalid format"),
  invalidCredentials: () => new AuthError(400, "invalid_credentials", "Invalid login credentials"),
  emailNotConfirmed: () => new AuthError(400, "email_not_confirmed", "Email not confirmed"),
  userBanned: () => new AuthError(400, "user_banned", "User is banned"),
  unsupportedGrant: () => new AuthError(400, "unsupported_grant_type", "unsupported_grant_type"),
  refreshTokenNotFound: () => new AuthError(400, "refresh_token_not_found", "Invalid Refresh Token: Refresh Token Not Found"),
  refreshTokenReused: () => new AuthError(400, "refresh_token_already_used", "Invalid Refresh Token: Already Used"),
  noAuthorization: () => new AuthError(401, "no_authorization", "This endpoint requires a valid Bearer token"),
  badJwt: (reason: string) => new AuthError(403, "bad_jwt", `invalid JWT: unable to parse or verify signature, ${reason}`),
  notAdmin: () => new AuthError(403, "not_admin", "User not allowed"),
  sessionNotFound: () => new AuthError(403, "session_not_found", "Session from session_id claim in JWT does not exist"),
  userFromJwtNotFound: () => new AuthError(403, "user_not_found", "User from sub claim in JWT does not exist"),
  userNotFound: () => new AuthError(404, "user_not_found", "User not found"),
  notFound: () => new AuthError(404, "not_found", "Unhandled request"),
  methodNotAllowed: () => new AuthError(405, "method_not_allowed", "Method not allowed"),
  userExists: () => new AuthError(422, "user_already_exists", "User already registered"),
  emailExists: () => new AuthError(422, "email_exists", "A user with this email address has already been registered"),
  signupDisabled: () => new AuthError(422, "signup_disabled", "Signups not allowed for this instance"),
  anonymousDisabled: () => new AuthError(422, "anonymous_provider_disabled", "Anonymous sign-ins are disabled"),
  phoneDisabled: () => new AuthError(422, "phone_provider_disabled", "Phone signups are disabled"),
  weakPassword: (min: number) =>
    new AuthError(422, "weak_password", `Password should be at least ${min} characters.`, {
      weak_password: { reasons: ["length"] },
    }),
  anonymousPassword: () =>
    new AuthError(422, "validation_failed", "Updating password of an anonymous user without an email or phone is not allowed"),
};

export function sendError(res: ServerResponse, error: AuthError, versioned: boolean): void {
  const body = versioned
    ? { code: error.code, message: error.message, ...error.extra }
    : { code: error.status, error_code: error.code, msg: error.message, ...error.extra };
  res.writeHead(error.status, {
    "content-type": "application/json",
    "x-sb-error-code": error.code,
    "x-supabase-api-version": apiVersion,
  });
  res.end(JSON.stringify(body));
}
