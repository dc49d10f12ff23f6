// The packet panel's status line and filter error, pure (unit-tested): counts with the locale's thousands separator.
import type { PanelStatus } from '../../../src/shared/packetPanelProtocol';
import { t } from '../strings';

const num = new Intl.NumberFormat();

/** "455,000 packets · file", "2 of 10 packets shown · capturing · 3 dropped". */
export function statusText(status: PanelStatus): string {
  const parts = [status.matched === status.total
    ? t('{0} packets', num.format(status.total))
    : t('{0} of {1} packets shown', num.format(status.matched), num.format(status.total))];
  parts.push(status.state === 'running' ? t('capturing') : status.state === 'stopped' ? t('stopped') : t('file'));
  if (status.drops > 0) parts.push(t('{0} dropped', num.format(status.drops)));
  return parts.join(' · ');
}

/** A filter that does not parse leaves the list as it was (as in Wireshark): the error says so. */
export function filterErrorText(error: string): string {
  return `${error} ${t('The list still shows the result of the previous filter.')}`;
}
