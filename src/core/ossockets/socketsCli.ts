// parseFilterText lives in ./filterText.ts and the `sockets` verb in src/core/cli/socketsCommand.ts; this re-export
// keeps src/vscode/systemSockets/systemSocketsView.ts building until it imports ./filterText itself.
export { parseFilterText } from './filterText';
