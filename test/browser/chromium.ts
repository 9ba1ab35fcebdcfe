// Debian's Chromium (package chromium, installed by the setup) driven by
// playwright-core; `npx playwright install` cannot download a browser here.
// Playwright starts it with a new, empty profile of its own.
import { chromium, type Browser } from "playwright-core";

export const chromiumPath = "/usr/bin/chromium";

// Without the background-networking flags Chromium keeps calling Google's
// services, which a closed network refuses.
export const chromiumFlags = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath, headless: true, chromiumSandbox: false, args: chromiumFlags });
}
