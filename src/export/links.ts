// Signed download links, like presigned URLs: HMAC-SHA256 over request id, resource group and expiry with
// a server secret, so the link alone grants the download, only of that archive and only until it expires.
import { createHmac, timingSafeEqual } from 'node:crypto'

export interface LinkParts { requestId: string, group: string, expires: number }

export class LinkSigner {
  private secret: Promise<string> | undefined

  /** `loadSecret` runs on first use only (the secret file is made in DATA_DIR when the operator sets none). */
  constructor (private readonly baseUrl: string, private readonly loadSecret: () => Promise<string>) {}

  private async mac (parts: LinkParts): Promise<Buffer> {
    this.secret ??= this.loadSecret()
    // Newline-separated: neither a uuid, a group name nor a number can contain one, so fields cannot shift.
    return createHmac('sha256', await this.secret).update(`${parts.requestId}\n${parts.group}\n${parts.expires}`).digest()
  }

  async url (parts: LinkParts): Promise<string> {
    const query = new URLSearchParams({ group: parts.group, expires: String(parts.expires), signature: (await this.mac(parts)).toString('base64url') })
    return `${this.baseUrl}/v2/lm/exports/${parts.requestId}/download?${query.toString()}`
  }

  /** Constant-time check of a link's signature. */
  async verify (parts: LinkParts, signature: string): Promise<boolean> {
    const expected = await this.mac(parts)
    const given = Buffer.from(signature, 'base64url')
    return given.length === expected.length && timingSafeEqual(given, expected)
  }
}
