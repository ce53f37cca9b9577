import type { MediapathApi } from '../main/api';

declare global {
  interface Window {
    mediapath: MediapathApi;
  }
}

const root = document.getElementById('app');
if (root) root.textContent = 'mediapath';
void window.mediapath?.version().then((r) => {
  if (r.ok && root) root.textContent = `${r.value.name} ${r.value.version}`;
});
