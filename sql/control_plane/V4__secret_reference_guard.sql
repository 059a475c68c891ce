-- Secret guard (§7, §8): db_secret_ref holds a reference into a secret manager, never a credential.
-- Both regular expressions are ControlPlane.Store.Secrets.SecretReference.Pattern and .ForbiddenPattern
-- copied verbatim (a test compares this constraint with the C# constants and runs both on the same table
-- of good and bad references). Change all three together, in a new migration.
ALTER TABLE control_plane.tenants ADD CONSTRAINT tenants_db_secret_ref_guard CHECK (
    length(db_secret_ref) <= 512
    AND db_secret_ref !~* '(://|@|[[:space:]]|password=|passwd=|pwd=|secret=|token=|apikey|api_key|api-key|hvs\.)'
    AND db_secret_ref ~ '^(k8s:[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?/[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*#[-._a-zA-Z0-9]+|vault:[a-zA-Z0-9_-]+(/[a-zA-Z0-9_-][a-zA-Z0-9._-]*)+#[-._a-zA-Z0-9]+|env:[A-Z_][A-Z0-9_]*|mock:[a-z0-9][a-z0-9._-]*)$'
);
