-- pgcrypto provides gen_random_uuid() for every primary key of the catalog (specification §3).
CREATE EXTENSION IF NOT EXISTS pgcrypto;
