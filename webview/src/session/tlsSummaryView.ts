// The session panel header's TLS line: version, cipher and trust at a glance; opened, ALPN, SNI and the certificates.
import type { TlsCertificateInfo, TlsSummary } from '../../../src/shared/tlsSummary';
import { h } from '../dom';
import { t } from '../strings';

function row(dl: HTMLElement, name: string, value: string): void {
  dl.append(h('dt', undefined, name), h('dd', undefined, value));
}

function certBlock(title: string, c: TlsCertificateInfo): HTMLElement {
  const box = h('div', 'tls-cert');
  box.append(h('div', 'tls-cert-title', title));
  const dl = h('dl');
  row(dl, t('Subject'), c.subject);
  row(dl, t('Issuer'), c.issuer);
  row(dl, t('Valid'), t('{0} to {1}', c.validFrom.slice(0, 10), c.validTo.slice(0, 10)));
  row(dl, t('Names (SAN)'), c.sans.join(', ') || t('none'));
  row(dl, t('SHA-256'), c.sha256);
  box.append(dl);
  return box;
}

/** Renders `tls` into `el` (a <details>), or hides it for sessions without TLS. */
export function renderTls(el: HTMLDetailsElement, tls: TlsSummary | undefined): void {
  el.hidden = !tls;
  if (!tls) return;
  const open = el.open;
  el.replaceChildren();
  const trust = tls.role === 'server' ? '' : tls.verified ? t('verified') : t('NOT verified');
  const summary = h('summary', 'tls-line', [tls.protocol, tls.cipher, trust].filter(Boolean).join(' · '));
  el.dataset.trust = tls.role === 'server' || tls.verified ? 'ok' : 'untrusted';
  const body = h('div', 'tls-body');
  const dl = h('dl');
  row(dl, t('ALPN'), tls.alpn ?? t('none'));
  row(dl, t('SNI'), tls.sni ?? t('none'));
  body.append(dl);
  if (tls.verifyError) body.append(h('p', 'tls-verify-error', tls.verifyError.message));
  if (tls.local) body.append(certBlock(t('Own certificate'), tls.local));
  tls.peerChain.forEach((c, i) => body.append(certBlock(i === 0 ? t('Peer certificate') : t('Issuer certificate {0}', i), c)));
  if (!tls.local && tls.peerChain.length === 0) body.append(h('p', undefined, t('The peer presented no certificate.')));
  el.append(summary, body);
  el.open = open;
}
