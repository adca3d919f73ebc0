// Loki's tenant header: Promtail's and Alloy's tenant_id, logcli's --org-id and the Grafana data source's
// custom header send X-Scope-OrgID; without AI-Resource-Group it names the resource group.
import type { onRequestAsyncHookHandler } from 'fastify'

export const tenantAsGroup: onRequestAsyncHookHandler = async (request) => {
  const tenant = request.headers['x-scope-orgid']
  if (request.headers['ai-resource-group'] === undefined && typeof tenant === 'string') request.headers['ai-resource-group'] = tenant
}
