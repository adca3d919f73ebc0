// Signed download links, like presigned URLs: HMAC-SHA256 over request id, resource group and expiry with
// a server secret, so the link alone grants the download, only of that archive and only until it expires.
import { sign, signatureMatches } from '../auth/signing.js'

export interface LinkParts { requestId: string, group: string, expires: number }

// Newline-separated: neither a uuid, a group name nor a number can contain one, so fields cannot shift.
const signed = (parts: LinkParts): string => `${parts.requestId}\n${parts.group}\n${parts.expires}`

export class LinkSigner {
  /** `secret` resolves the server secret (see lazySecret). */
  constructor (private readonly baseUrl: string, private readonly secret: () => Promise<string>) {}

  async url (parts: LinkParts): Promise<string> {
    const query = new URLSearchParams({ group: parts.group, expires: String(parts.expires), signature: sign(await this.secret(), signed(parts)) })
    return `${this.baseUrl}/v2/lm/exports/${parts.requestId}/download?${query.toString()}`
  }

  /** Constant-time check of a link's signature. */
  async verify (parts: LinkParts, signature: string): Promise<boolean> {
    return signatureMatches(await this.secret(), signed(parts), signature)
  }
}
