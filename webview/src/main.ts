// Webview entry point: one bundle serves every panel; <body data-view="…"> says which one to start.
import './elements';
import './kit.css';
import { startSessionApp } from './session/sessionApp';
import { startPacketsView } from './packets/packetsApp';
import { startTimelineView } from './timeline/timelineApp';

const view = document.body.dataset.view;
const root = document.getElementById('root') ?? document.body;
if (view === 'session') {
  startSessionApp(root).catch((e: unknown) => {
    root.textContent = `Socket Lab: the panel could not start (${e instanceof Error ? e.message : String(e)}).`;
  });
}
if (view === 'packets') {
  startPacketsView(root).catch((e: unknown) => {
    root.textContent = `Socket Lab: the packet panel could not start (${e instanceof Error ? e.message : String(e)}).`;
  });
}
if (view === 'timeline') {
  startTimelineView(root).catch((e: unknown) => {
    root.textContent = `Socket Lab: the timeline could not start (${e instanceof Error ? e.message : String(e)}).`;
  });
}
