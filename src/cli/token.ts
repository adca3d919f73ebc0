// `npm run token -- [--group G] [--scope "..."] [--ttl SECONDS] [--subject S]`: prints a dev-mode token (valid
// AUTH_MAX_TOKEN_LIFETIME, 24 hours, unless --ttl is shorter),
// signed with the secret the service keeps in DATA_DIR. Refuses when any AUTH_* is set.
import { parseArgs } from 'node:util'
import { RESOURCE_GROUP_PATTERN } from '../schemas/ids.js'
import { DEV_AUTH_SECRET_FILE, readOrCreateSecret } from '../auth/secret-file.js'
import { ALL_SCOPES, signDevToken } from '../auth/tokens.js'
import { parseConfig } from '../config.js'

try {
  const { values } = parseArgs({
    options: {
      group: { type: 'string', multiple: true },
      scope: { type: 'string', default: ALL_SCOPES.join(' ') },
      ttl: { type: 'string' },
      subject: { type: 'string', default: 'dev' }
    }
  })
  const config = parseConfig()
  if (!config.auth.devMode) {
    console.error('AUTH_* is set: the service verifies tokens from your identity provider, and no dev token is printed.')
    process.exit(1)
  }
  // The service refuses tokens living longer than AUTH_MAX_TOKEN_LIFETIME: the default is that, an explicit longer --ttl is an error.
  const maxSeconds = config.auth.maxTokenLifetimeSeconds
  const ttlSeconds = Number(values.ttl ?? maxSeconds)
  if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) throw new Error('--ttl must be a positive number of seconds')
  if (ttlSeconds > maxSeconds) throw new Error(`--ttl ${ttlSeconds}: the service accepts tokens of at most ${maxSeconds} seconds (AUTH_MAX_TOKEN_LIFETIME)`)
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
