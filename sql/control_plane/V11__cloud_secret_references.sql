-- Secret guard (§7, §8) for the cloud secret managers: db_secret_ref may now also point into AWS Secrets
-- Manager (aws:<region>/<secret-name>#<key>), Google Secret Manager (gcp:<project>/<secret-id>#<key>) and
-- Azure Key Vault (azure:<vault-name>/<secret-name>#<key>). Both regular expressions are
-- ControlPlane.Store.Secrets.SecretReference.Pattern and .ForbiddenPattern copied verbatim, as in V4 (tests
-- compare this constraint, the CRD pattern and sql/ci/secret_guard.sql with the C# constants). The new pattern
-- accepts every reference the old one did, so rows already stored keep satisfying it.
ALTER TABLE control_plane.tenants DROP CONSTRAINT tenants_db_secret_ref_guard;
ALTER TABLE control_plane.tenants ADD CONSTRAINT tenants_db_secret_ref_guard CHECK (
    length(db_secret_ref) <= 512
    AND db_secret_ref !~* '(://|@|[[:space:]]|password=|passwd=|pwd=|secret=|token=|apikey|api_key|api-key|hvs\.)'
    AND db_secret_ref ~ '^(k8s:[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?/[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*#[-._a-zA-Z0-9]+|vault:[a-zA-Z0-9_-]+(/[a-zA-Z0-9_-][a-zA-Z0-9._-]*)+#[-._a-zA-Z0-9]+|aws:[a-z]{2}(-[a-z]+)+-[0-9]{1,2}/[a-zA-Z0-9_+-][a-zA-Z0-9._+-]*(/[a-zA-Z0-9_+-][a-zA-Z0-9._+-]*)*#[-._a-zA-Z0-9]+|gcp:[a-z][-a-z0-9]{4,28}[a-z0-9]/[a-zA-Z0-9_-]{1,255}#[-._a-zA-Z0-9]+|azure:[a-zA-Z][-a-zA-Z0-9]{1,22}[a-zA-Z0-9]/[-a-zA-Z0-9]{1,127}#[-._a-zA-Z0-9]+|env:[A-Z_][A-Z0-9_]*|mock:[a-z0-9][a-z0-9._-]*)$'
);
