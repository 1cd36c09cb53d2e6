-- The target table of MerchantTotalsJob: one row per merchant and minute, fenced by version.
CREATE TABLE IF NOT EXISTS merchant_minute_totals (
    merchant_id  text        NOT NULL,
    window_start timestamptz NOT NULL,
    payments     bigint      NOT NULL,
    amount       numeric     NOT NULL,
    version      bigint      NOT NULL,
    PRIMARY KEY (merchant_id, window_start)
);
