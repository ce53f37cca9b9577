import { createRoot } from 'react-dom/client';
import { App } from './app/app';
import { createWsApi, wsUrlFor } from './bridge/ws-api';
import './styles.css';

// Electron's preload provides window.mediapath; in a browser (`mediapath serve`) the page builds
// the same API over its WebSocket from the token in its URL.
const root = document.getElementById('app')!;
if (!window.mediapath) {
  const url = wsUrlFor(window.location);
  if (url) window.mediapath = createWsApi(url);
}
if (window.mediapath) {
  createRoot(root).render(<App api={window.mediapath} />);
} else {
  root.textContent = 'mediapath: no engine connection. Open the URL that `mediapath serve` printed (it carries the access token), or start the desktop app.';
}
