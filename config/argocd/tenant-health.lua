-- Argo CD health check for controlplane.econt.io/Tenant.
-- Healthy only when the operator reports Ready=True for the current generation; Degraded when it refuses the spec
-- or is blocked by a conflict (Ready=False with one of the reasons below); Suspended for suspended tenants; Progressing otherwise, with the operator's message.
local hs = {}
-- Reasons that need a human: the spec or something outside it must change before the tenant can converge.
local degraded = {
  InvalidSpec = true, SlugConflict = true, DatabaseNameConflict = true, DatabaseConflict = true,
  UnknownSchemaVersion = true, SchemaDowngradeRefused = true, DatabaseServerTlsFailed = true,
  DeletionBlocked = true, DatabaseAuthenticationFailed = true, CatalogRefused = true, SecretNotFound = true,
  SecretAccessDenied = true, ReconcileFailed = true, NoServerAvailable = true,
}
local status = obj.status
if status == nil or status.conditions == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the controlplane operator to report status"
  return hs
end

local generation = obj.metadata.generation
if generation ~= nil and (status.observedGeneration == nil or status.observedGeneration < generation) then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to observe generation " .. generation
  return hs
end

local ready = nil
for _, condition in ipairs(status.conditions) do
  if condition.type == "Ready" then
    ready = condition
  end
end

if ready == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the Ready condition"
  return hs
end

local message = (ready.reason or "") .. ": " .. (ready.message or "")
if status.phase == "Suspended" then
  hs.status = "Suspended"
  hs.message = message
elseif ready.status == "True" then
  hs.status = "Healthy"
  hs.message = message
elseif degraded[ready.reason] then
  hs.status = "Degraded"
  hs.message = message
else
  hs.status = "Progressing"
  hs.message = message
end
return hs
