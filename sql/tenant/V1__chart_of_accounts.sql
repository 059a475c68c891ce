-- Tenant accounting schema, version 1: chart of accounts and fiscal periods.
-- Runs inside each tenant database as the tenant's own role (objects are owned by it).

CREATE TABLE accounts (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    code        text NOT NULL,
    name        text NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('asset', 'liability', 'equity', 'income', 'expense')),
    parent_id   uuid REFERENCES accounts (id),
    is_postable boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT accounts_code_format CHECK (code ~ '^[0-9]{1,10}(\.[0-9]{1,10})*$')
);
CREATE UNIQUE INDEX accounts_code_key ON accounts (code);

CREATE TABLE fiscal_periods (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name       text NOT NULL,
    starts_on  date NOT NULL,
    ends_on    date NOT NULL,
    closed_at  timestamptz,
    CONSTRAINT fiscal_periods_range CHECK (ends_on >= starts_on)
);
CREATE UNIQUE INDEX fiscal_periods_starts_on_key ON fiscal_periods (starts_on);
