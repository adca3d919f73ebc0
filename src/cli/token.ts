// `npm run token -- [--group G] [--scope "..."] [--ttl SECONDS] [--subject S]`: prints a dev-mode token,
// signed with the secret the service keeps in DATA_DIR. Refuses when any AUTH_* is set.
import { parseArgs } from 'node:util'
import { RESOURCE_GROUP_PATTERN } from '../auth/resource-group.js'
import { DEV_AUTH_SECRET_FILE, readOrCreateSecret } from '../auth/secret-file.js'
import { ALL_SCOPES, signDevToken } from '../auth/tokens.js'
import { parseConfig } from '../config.js'

try {
  const { values } = parseArgs({
    options: {
      group: { type: 'string', multiple: true },
      scope: { type: 'string', default: ALL_SCOPES.join(' ') },
      ttl: { type: 'string', default: String(24 * 3600) },
      subject: { type: 'string', default: 'dev' }
    }
  })
  const config = parseConfig()
  if (!config.auth.devMode) {
    console.error('AUTH_* is set: the service verifies tokens from your identity provider, and no dev token is printed.')
    process.exit(1)
  }
  const ttlSeconds = Number(values.ttl)
  if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) throw new Error('--ttl must be a positive number of seconds')
  const groups = values.group ?? ['default']
  // A token for a group the service would refuse (400) is of no use: say so now.
  const invalid = groups.filter((g) => g !== '*' && !RESOURCE_GROUP_PATTERN.test(g))
  if (invalid.length > 0) throw new Error(`--group ${invalid.join(', ')}: a resource group is 3 to 253 letters, digits, dots or dashes, starting and ending with a letter or digit (or * for all)`)
  const secret = await readOrCreateSecret(config.dataDir, DEV_AUTH_SECRET_FILE)
  const token = await signDevToken(secret, {
    subject: values.subject,
    scopes: values.scope.split(' ').filter(Boolean),
    groups,
    ttlSeconds
  })
  process.stdout.write(token + '\n')
} catch (err) {
  console.error(err instanceof Error ? err.message : err)
  process.exit(1)
}
