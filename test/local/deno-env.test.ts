// What a Deno process gets from this machine's environment: enough to reach
// the npm registry through its proxy and trust its CA, and nothing else.
import { describe, expect, it } from "vitest";
import { denoEnv } from "../../local/bin/deno.mjs";

describe("denoEnv", () => {
  it("maps the usual extra-CA variables onto DENO_CERT, Deno's own one winning", () => {
    expect(denoEnv({ SSL_CERT_FILE: "/etc/ssl/bundle.pem" }).DENO_CERT).toBe("/etc/ssl/bundle.pem");
    expect(denoEnv({ NODE_EXTRA_CA_CERTS: "/extra.pem", SSL_CERT_FILE: "/bundle.pem" }).DENO_CERT).toBe("/extra.pem");
    expect(denoEnv({ npm_config_cafile: "/npm-ca.pem" }).DENO_CERT).toBe("/npm-ca.pem");
    expect(denoEnv({ DENO_CERT: "/deno.pem", NODE_EXTRA_CA_CERTS: "/extra.pem" }).DENO_CERT).toBe("/deno.pem");
    expect(denoEnv({}).DENO_CERT).toBeUndefined();
  });

  it("passes the proxy variables and the Deno cache folder through, and fills the proxy in from npm's settings", () => {
    const env = denoEnv({ HTTPS_PROXY: "http://proxy:3128", no_proxy: "localhost", DENO_DIR: "/cache/deno" });
    expect(env).toMatchObject({ HTTPS_PROXY: "http://proxy:3128", no_proxy: "localhost", DENO_DIR: "/cache/deno" });
    const fromNpm = denoEnv({ npm_config_https_proxy: "http://npm-proxy:8080", npm_config_noproxy: "127.0.0.1", https_proxy: "" });
    expect(fromNpm).toMatchObject({ HTTPS_PROXY: "http://npm-proxy:8080", NO_PROXY: "127.0.0.1" });
    expect(denoEnv({ https_proxy: "http://mine:1", npm_config_https_proxy: "http://npm:2" }).HTTPS_PROXY).toBeUndefined();
  });

  it("keeps everything else out, secrets included", () => {
    const env = denoEnv({ PATH: "/bin", HOME: "/home/me", AWS_SECRET_ACCESS_KEY: "s3cr3t", PGPASSWORD: "postgres" });
    expect(Object.keys(env).sort()).toEqual(["DENO_NO_UPDATE_CHECK", "HOME", "NO_COLOR", "PATH"]);
  });
});
