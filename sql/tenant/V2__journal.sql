-- Tenant accounting schema, version 2: journal entries whose lines must balance.

CREATE TABLE journal_entries (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    fiscal_period_id uuid NOT NULL REFERENCES fiscal_periods (id),
    entry_date       date NOT NULL,
    description      text NOT NULL,
    posted_at        timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX journal_entries_period_date_idx ON journal_entries (fiscal_period_id, entry_date);

CREATE TABLE journal_lines (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    entry_id   uuid NOT NULL REFERENCES journal_entries (id) ON DELETE CASCADE,
    account_id uuid NOT NULL REFERENCES accounts (id),
    debit      numeric(18, 2) NOT NULL DEFAULT 0 CHECK (debit >= 0),
    credit     numeric(18, 2) NOT NULL DEFAULT 0 CHECK (credit >= 0),
    CONSTRAINT journal_lines_one_side CHECK ((debit = 0) <> (credit = 0))
);
CREATE INDEX journal_lines_entry_idx ON journal_lines (entry_id);
CREATE INDEX journal_lines_account_idx ON journal_lines (account_id);

-- Double entry: a posted entry's debits equal its credits. Checked at commit so lines can be added one by one.
CREATE FUNCTION journal_entry_must_balance() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    entry uuid := COALESCE(NEW.entry_id, OLD.entry_id);
    difference numeric;
BEGIN
    SELECT COALESCE(sum(debit), 0) - COALESCE(sum(credit), 0) INTO difference
    FROM journal_lines WHERE entry_id = entry;
    IF difference <> 0 THEN
        RAISE EXCEPTION 'journal entry % does not balance (debits - credits = %)', entry, difference
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER journal_lines_balance
    AFTER INSERT OR UPDATE OR DELETE ON journal_lines
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION journal_entry_must_balance();
