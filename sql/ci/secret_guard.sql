-- CI guard (specification §8): db_secret_ref holds references only, never credentials.
-- Fails (raises) when a stored reference contains '://', '@', whitespace or a credential-like keyword,
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
