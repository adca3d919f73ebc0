// Resource groups: SAP AI Core's id rule, and the group a request acts in without the header.
export const RESOURCE_GROUP_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9.-]{1,251}[a-zA-Z0-9]$/
export const DEFAULT_RESOURCE_GROUP = 'default'
