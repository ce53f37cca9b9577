import { defineConfig } from 'vite';

// Electron main process bundle (Forge's plugin-vite supplies entry and output).
export default defineConfig({
  build: {
    rollupOptions: {
      // The stun package resolves its own internals through a nested node_modules: keep it external.
      external: ['stun', 'pino'],
    },
  },
});
