-- CI guard (specification §8): db_secret_ref holds references only, never credentials.
-- Fails (raises) when a stored reference contains '://', '@', whitespace or a credential-like keyword, is not
-- of a form of the reference grammar (k8s, vault, aws, gcp, azure, env, mock),
-- or when the catalog lost the CHECK constraint that refuses them at write time.
DO $$
DECLARE
    offending bigint;
    guarded boolean;
BEGIN
    SELECT count(*) INTO offending
    FROM control_plane.tenants
    WHERE db_secret_ref ~* '(://|@|[[:space:]]|password=|passwd=|pwd=|secret=|token=|apikey|api_key|api-key|hvs\.)';
    IF offending > 0 THEN
        RAISE EXCEPTION 'secret guard: % tenant row(s) hold a credential-like db_secret_ref', offending;
    END IF;

    -- The whole grammar (ControlPlane.Store.Secrets.SecretReference.Pattern verbatim; a test compares them):
    -- a row that is not a reference of a known form would also fail the catalog's CHECK.
    SELECT count(*) INTO offending
    FROM control_plane.tenants
    WHERE length(db_secret_ref) > 512
       OR db_secret_ref !~ '^(k8s:[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?/[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*#[-._a-zA-Z0-9]+|vault:[a-zA-Z0-9_-]+(/[a-zA-Z0-9_-][a-zA-Z0-9._-]*)+#[-._a-zA-Z0-9]+|aws:[a-z]{2}(-[a-z]+)+-[0-9]{1,2}/[a-zA-Z0-9_+-][a-zA-Z0-9._+-]*(/[a-zA-Z0-9_+-][a-zA-Z0-9._+-]*)*#[-._a-zA-Z0-9]+|gcp:[a-z][-a-z0-9]{4,28}[a-z0-9]/[a-zA-Z0-9_-]{1,255}#[-._a-zA-Z0-9]+|azure:[a-zA-Z][-a-zA-Z0-9]{1,22}[a-zA-Z0-9]/[-a-zA-Z0-9]{1,127}#[-._a-zA-Z0-9]+|env:[A-Z_][A-Z0-9_]*|mock:[a-z0-9][a-z0-9._-]*)$';
    IF offending > 0 THEN
        RAISE EXCEPTION 'secret guard: % tenant row(s) hold a db_secret_ref outside the reference grammar', offending;
    END IF;

    SELECT EXISTS (
        SELECT 1 FROM pg_constraint c
        JOIN pg_class t ON t.oid = c.conrelid
        JOIN pg_namespace n ON n.oid = t.relnamespace
        WHERE n.nspname = 'control_plane' AND t.relname = 'tenants' AND c.contype = 'c'
          AND pg_get_constraintdef(c.oid) LIKE '%db_secret_ref%'
    ) INTO guarded;
    IF NOT guarded THEN
        RAISE EXCEPTION 'secret guard: control_plane.tenants has no CHECK constraint on db_secret_ref';
    END IF;

    RAISE NOTICE 'secret guard passed';
END
$$;
