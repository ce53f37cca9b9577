// Composition root of the desktop app: Electron starts here. The CLI starts at
// main/headless/bin.cjs instead, so nothing below this file needs Electron.
import { startApp } from './app/window';

startApp();
