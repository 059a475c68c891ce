-- Argo CD health check for controlplane.econt.io/SchemaRollout.
-- Healthy once it has Succeeded; Degraded when halted by its failure budget or its spec is refused (InvalidSpec);
-- Suspended while paused or awaiting approval (a human must act); Progressing otherwise (also while it waits for an
-- overlapping rollout to finish), with the operator's message.
local hs = {}
local refused = { InvalidSpec = true }
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

local progressing = nil
for _, condition in ipairs(status.conditions) do
  if condition.type == "Progressing" then
    progressing = condition
  end
end

if progressing == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the Progressing condition"
  return hs
end

hs.message = (progressing.reason or "") .. ": " .. (progressing.message or "")
if status.phase == "Succeeded" then
  hs.status = "Healthy"
elseif status.phase == "Halted" or refused[progressing.reason] then
  hs.status = "Degraded"
elseif status.phase == "Paused" or status.phase == "AwaitingApproval" then
  hs.status = "Suspended"
else
  hs.status = "Progressing"
end
return hs
