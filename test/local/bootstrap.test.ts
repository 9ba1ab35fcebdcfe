import { describe, expect, it } from "vitest";
import { browserPackages, debianPackages, planDebianInstall } from "../../local/bin/bootstrap.mjs";

const debian = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\n';
const ubuntu = "ID=ubuntu\nID_LIKE=debian\n";
const fedora = "ID=fedora\n";
const onlyPostgres = (file: string) => file === debianPackages[0][1];

describe("bootstrap of Debian packages", () => {
  it("does nothing when every package is there", () => {
    expect(planDebianInstall({ exists: () => true, osRelease: fedora, uid: 1000 })).toEqual({ action: "none" });
  });

  it("installs only what is missing when root on Debian or a derivative", () => {
    for (const osRelease of [debian, ubuntu]) {
      expect(planDebianInstall({ exists: onlyPostgres, osRelease, uid: 0 })).toEqual({
        action: "install",
        packages: ["postgresql-15-cron", "postgresql-15-pgtap", "libtap-parser-sourcehandler-pgtap-perl"],
      });
    }
  });

  it("gives a non-root user the exact command to run", () => {
    const plan = planDebianInstall({ exists: onlyPostgres, osRelease: debian, uid: 1000 });
    expect(plan).toEqual({
      action: "fail",
      message:
        "missing Debian packages: postgresql-15-cron, postgresql-15-pgtap, libtap-parser-sourcehandler-pgtap-perl.\n" +
        "Run as root:\n  sudo sh -c 'apt-get update && apt-get install -y postgresql-15-cron postgresql-15-pgtap libtap-parser-sourcehandler-pgtap-perl'",
    });
  });

  it("tells another OS what is needed instead of trying apt-get", () => {
    const plan = planDebianInstall({ exists: () => false, osRelease: fedora, uid: 0 });
    expect(plan.action).toBe("fail");
    expect(plan.action === "fail" && plan.message).toContain("This is not a Debian system");
    expect(plan.action === "fail" && plan.message).toContain("postgresql-15, postgresql-15-cron");
  });
});

describe("bootstrap of the browser tests' Chromium", () => {
  const stackOnly = (file: string) => debianPackages.some(([, f]) => f === file);

  it("is planned only when the browser packages are asked for", () => {
    expect(planDebianInstall({ exists: stackOnly, osRelease: debian, uid: 0 })).toEqual({ action: "none" });
    expect(planDebianInstall({ exists: stackOnly, osRelease: debian, uid: 0 }, [...debianPackages, ...browserPackages])).toEqual({
      action: "install",
      packages: ["chromium"],
    });
  });

  it("gives a non-root user the command that installs it", () => {
    const plan = planDebianInstall({ exists: stackOnly, osRelease: debian, uid: 1000 }, [...debianPackages, ...browserPackages]);
    expect(plan).toEqual({
      action: "fail",
      message: "missing Debian packages: chromium.\nRun as root:\n  sudo sh -c 'apt-get update && apt-get install -y chromium'",
    });
  });
});
