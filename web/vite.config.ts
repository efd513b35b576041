// The creator app's build. The SDK is compiled from its sources (../sdk-ts/src), so building the
// app needs no separate SDK build; its dependencies resolve from this package's node_modules
// (the same pinned versions as sdk-ts/package.json).
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const sdk = fileURLToPath(new URL("../sdk-ts/src/", import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
      { find: /^@rendertrust\/sdk$/, replacement: `${sdk}index.ts` },
      { find: /^@rendertrust\/sdk\/gen\/(.*)$/, replacement: `${sdk}gen/$1.ts` },
    ],
    dedupe: ["@bufbuild/protobuf", "@connectrpc/connect", "@connectrpc/connect-web", "preact"],
  },
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
    // everything under /assets/ is named by content hash (served as immutable by the server)
    assetsInlineLimit: 0,
    reportCompressedSize: false,
  },
  server: { port: 5173, proxy: {} },
});
