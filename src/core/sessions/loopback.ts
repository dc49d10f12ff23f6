// Whether an address stays on this machine (127.0.0.0/8, ::1, localhost).
export function isLoopback(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^(?:::ffff:)?127\.\d+\.\d+\.\d+$/.test(h);
}
