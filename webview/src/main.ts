// Webview entry point. The session panel and hex viewer are built by the panel issue.
import { elementsLoaded } from './elements';

document.body.dataset.elements = String(elementsLoaded);
