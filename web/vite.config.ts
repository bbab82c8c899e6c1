import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // The server's CSP forbids inline scripts; Vite's module preload polyfill is inline-free but not needed.
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 700,
  },
  // `vite --config web/vite.config.ts` for UI work against a running `ponder serve` (default port 3000).
  server: { proxy: { '/api': 'http://127.0.0.1:3000' } },
});
