// A TLS session's handshake in the user's language, for the Connections tooltip.
import * as vscode from 'vscode';
import { errorLanguageFor, localizeError } from '../../core/errors';
import { ListenerSession } from '../../core/sessions/listenerSession';
import type { Session } from '../../core/sessions/session';
import type { TlsCertificateInfo } from '../../shared/tlsSummary';

function certRows(label: string, c: TlsCertificateInfo): [string, string][] {
  return [
    [label, c.subject],
    [vscode.l10n.t('Issuer'), c.issuer],
    [vscode.l10n.t('Valid'), vscode.l10n.t('{0} to {1}', c.validFrom.slice(0, 10), c.validTo.slice(0, 10))],
    [vscode.l10n.t('Names (SAN)'), c.sans.join(', ') || vscode.l10n.t('none')],
    [vscode.l10n.t('SHA-256'), c.sha256],
  ];
}

/** Rows for the tooltip: protocol, cipher, ALPN, SNI, trust, the certificates; a server says where its own certificate is kept. */
export function tlsRows(s: Session): [string, string][] {
  const rows: [string, string][] = [];
  if (s instanceof ListenerSession && s.kind === 'tls-server') {
    if (s.certPath) rows.push([vscode.l10n.t('Certificate'), vscode.l10n.t('self-signed, kept in {0}; clients trust it with --ca {0} or the socketLab.tls.caFile setting', s.certPath)]);
    if (s.handshakeFailures) rows.push([vscode.l10n.t('Failed handshakes'), String(s.handshakeFailures)]);
    return rows;
  }
  const t = s.tls;
  if (!t) return rows;
  rows.push([vscode.l10n.t('TLS'), `${t.protocol}, ${t.cipher}`]);
  rows.push([vscode.l10n.t('ALPN'), t.alpn ?? vscode.l10n.t('none')], [vscode.l10n.t('SNI'), t.sni ?? vscode.l10n.t('none')]);
  if (t.role === 'client') rows.push([vscode.l10n.t('Server certificate'), t.verified ? vscode.l10n.t('verified') : vscode.l10n.t('NOT verified: {0}', t.verifyError ? localizeError(t.verifyError, errorLanguageFor(vscode.env.language)) : '?')]);
  if (t.local) rows.push(...certRows(vscode.l10n.t('Own certificate'), t.local));
  t.peerChain.forEach((c, i) => rows.push(...certRows(i === 0 ? vscode.l10n.t('Peer certificate') : vscode.l10n.t('Issuer certificate {0}', i), c)));
  return rows;
}
