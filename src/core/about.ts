// A named import: esbuild keeps only the version string, not the whole manifest, in the CLI and helper bundles.
import { version as packageVersion } from '../../package.json';

export const productName = 'Socket Lab';
export const version: string = packageVersion;
