// Module resolution hooks for the pipelines dlpc compiles (registered by bin/dlpc.mjs after tsx,
// so they run before tsx's own hooks). Two rules, so that a .dlp compiles and runs in any folder,
// not only inside the dlp repository:
//
// 1. `dlp/runtime` (the one import the emitter writes) is always the runtime of THIS dlpc, the
//    one the code was generated against, whether or not the user's folder has a `dlp` package
//    (it usually has none: dlpc installed globally, or through npx).
// 2. A .ts file outside this package that dlpc's own code imports (build/<pipeline>.ts, written
//    by `dlpc compile`/`run`/`tune`) is an ES module, whatever package.json is (or is not) above
//    it: without this, Node takes a .ts file in a folder with no `"type": "module"` for CommonJS.
let root = "";
let runtime = "";

export function initialize(data) {
  root = data.root; // file URL of the package root, ending in '/'
  runtime = data.runtime; // file URL of runtime/index.ts
}

const inside = (url) => typeof url === "string" && url.startsWith(root) && !url.slice(root.length).startsWith("node_modules/");

export async function resolve(specifier, context, next) {
  if (specifier === "dlp/runtime") return next(runtime, context);
  const r = await next(specifier, context);
  if (inside(context.parentURL) && r.url.startsWith("file:") && !inside(r.url) && /\.m?ts$/.test(new URL(r.url).pathname)) return { ...r, format: "module" };
  return r;
}
