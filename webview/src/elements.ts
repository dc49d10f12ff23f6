// The one module that imports the webview UI component library (@vscode-elements/elements,
// the maintained successor of the archived @vscode/webview-ui-toolkit). Swap it here only; import only
// the components the panels use (each one adds to the bundle).
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-split-layout/index.js';
