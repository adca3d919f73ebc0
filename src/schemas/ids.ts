// The ids the API names things by, and their rules: each pattern once, for schemas, shippers' labels,
// tokens and headers alike.

/** Resource groups: SAP AI Core's id rule. */
export const RESOURCE_GROUP_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9.-]{1,251}[a-zA-Z0-9]$/
/** The group a request acts in without the header. */
export const DEFAULT_RESOURCE_GROUP = 'default'

/** Deployment and execution ids. */
export const RUN_ID_PATTERN = /^[\w.-]{4,64}$/
export const RUN_ID_RULE = '4 to 64 letters, digits, underscores, dots or dashes'

/** Idempotency-Key: printable ASCII without spaces, as UUIDs, ULIDs and hashes are. */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/
