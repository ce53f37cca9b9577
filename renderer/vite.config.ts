import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

/**
 * The dev server (`npm start` through Forge) injects an inline React-refresh preamble and talks
 * HMR over a WebSocket: the strict CSP of index.html would block both, so only while serving is
 * it relaxed. Built pages (Electron's file:// and `mediapath serve`) keep the strict one.
 */
function devCsp(): Plugin {
  return {
    name: 'mediapath-dev-csp',
    apply: 'serve',
    transformIndexHtml: (html) => html.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'").replace("connect-src 'self'", "connect-src 'self' ws: http:"),
  };
}

// Relative asset paths: the same build loads from file:// (Electron) and from `mediapath serve`.
export default defineConfig({ root: __dirname, base: './', plugins: [react(), devCsp()], build: { chunkSizeWarningLimit: 1000 } });
