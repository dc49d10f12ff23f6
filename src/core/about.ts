import pkg from '../../package.json';

export const productName = 'Socket Lab';
export const version: string = pkg.version;
