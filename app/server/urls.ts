// Where `npm run app` serves the two pages (the demo prints them too).
export const defaultAppPort = 5173;

export const appUrls = (base: string) => ({ app: base, ops: `${base}ops.html` });
