-- cohorts
SELECT
  "t7"."year",
  "t7"."month",
  COUNT("t7"."lead_at") AS "lead",
  COUNT("t7"."mql_at") AS "mql",
  COUNT("t7"."sal_at") AS "sal",
  COUNT("t7"."sql_at") AS "sql",
  COUNT("t7"."opportunity_at") AS "opportunity",
  COUNT("t7"."won_at") AS "won",
  COALESCE(SUM("t7"."mql_at" - "t7"."lead_at"), 0) AS "lead_mql_seconds",
  COUNT("t7"."mql_at" - "t7"."lead_at") AS "lead_mql_lagged",
  COALESCE(SUM("t7"."sal_at" - "t7"."mql_at"), 0) AS "mql_sal_seconds",
  COUNT("t7"."sal_at" - "t7"."mql_at") AS "mql_sal_lagged",
  COALESCE(SUM("t7"."sql_at" - "t7"."sal_at"), 0) AS "sal_sql_seconds",
  COUNT("t7"."sql_at" - "t7"."sal_at") AS "sal_sql_lagged",
  COALESCE(SUM("t7"."opportunity_at" - "t7"."sql_at"), 0) AS "sql_opp_seconds",
  COUNT("t7"."opportunity_at" - "t7"."sql_at") AS "sql_opp_lagged"
FROM (
  SELECT
    "t4"."lead_id",
    "t4"."year",
    "t4"."month",
    "t4"."lead_at",
    "t6"."lead_id" AS "lead_id_right",
    "t6"."mql_at",
    "t6"."sal_at",
    "t6"."sql_at",
    "t6"."opportunity_at",
    "t6"."won_at"
  FROM (
    SELECT
      "t0"."lead_id",
      CAST(EXTRACT(year FROM "t0"."created_at") AS BIGINT) AS "year",
      CAST(EXTRACT(month FROM "t0"."created_at") AS BIGINT) AS "month",
      CAST(FLOOR(EXTRACT('epoch' FROM "t0"."created_at")) AS BIGINT) AS "lead_at"
    FROM "leads" AS "t0"
    WHERE
      "t0"."created_at" >= CAST('2025-03-01T00:00:00' AS TIMESTAMP)
      AND "t0"."created_at" < CAST('2025-05-01T00:00:00' AS TIMESTAMP)
      AND "t0"."created_at" < CAST('2025-07-01T00:00:00' AS TIMESTAMP)
  ) AS "t4"
  LEFT OUTER JOIN (
    SELECT
      "t3"."lead_id",
      MIN("t3"."at") FILTER(WHERE
        "t3"."rank" >= 1) AS "mql_at",
      MIN("t3"."at") FILTER(WHERE
        "t3"."rank" >= 2) AS "sal_at",
      MIN("t3"."at") FILTER(WHERE
        "t3"."rank" >= 3) AS "sql_at",
      MIN("t3"."at") FILTER(WHERE
        "t3"."rank" >= 4) AS "opportunity_at",
      MIN("t3"."at") FILTER(WHERE
        "t3"."rank" >= 5) AS "won_at"
    FROM (
      SELECT
        "t1"."lead_id",
        CASE "t1"."to_status"
          WHEN 'mql'
          THEN 1
          WHEN 'accepted'
          THEN 2
          WHEN 'sql'
          THEN 3
          WHEN 'opportunity'
          THEN 4
          WHEN 'customer'
          THEN 5
          ELSE NULL
        END AS "rank",
        CAST(FLOOR(EXTRACT('epoch' FROM "t1"."changed_at")) AS BIGINT) AS "at"
      FROM "lead_status_changes" AS "t1"
      WHERE
        "t1"."changed_at" < CAST('2025-07-01T00:00:00' AS TIMESTAMP)
        AND CASE "t1"."to_status"
          WHEN 'mql'
          THEN 1
          WHEN 'accepted'
          THEN 2
          WHEN 'sql'
          THEN 3
          WHEN 'opportunity'
          THEN 4
          WHEN 'customer'
          THEN 5
          ELSE NULL
        END IS NOT NULL
    ) AS "t3"
    GROUP BY
      1
  ) AS "t6"
    ON "t4"."lead_id" = "t6"."lead_id"
) AS "t7"
GROUP BY
  1,
  2;

-- deals
SELECT
  COUNT("t1"."opportunity_id") FILTER(WHERE
    (
      "t1"."closed_at" IS NOT NULL
    )
    AND (
      "t1"."closed_at" < CAST('2025-07-01T00:00:00' AS TIMESTAMP)
    )
    AND "t1"."stage" IN ('won', 'lost')) AS "closed",
  COUNT("t1"."opportunity_id") FILTER(WHERE
    (
      "t1"."closed_at" IS NOT NULL
    )
    AND (
      "t1"."closed_at" < CAST('2025-07-01T00:00:00' AS TIMESTAMP)
    )
    AND "t1"."stage" IN ('won', 'lost')
    AND (
      "t1"."stage" = 'won'
    )) AS "won",
  COALESCE(
    SUM(
      CAST(FLOOR(EXTRACT('epoch' FROM "t1"."closed_at")) AS BIGINT) - CAST(FLOOR(EXTRACT('epoch' FROM "t1"."created_at")) AS BIGINT)
    ) FILTER(WHERE
      (
        "t1"."closed_at" IS NOT NULL
      )
      AND (
        "t1"."closed_at" < CAST('2025-07-01T00:00:00' AS TIMESTAMP)
      )
      AND "t1"."stage" IN ('won', 'lost')
      AND (
        "t1"."stage" = 'won'
      )),
    0
  ) AS "won_seconds",
  COALESCE(
    SUM(
      CAST(CAST(ROUND(CAST("t1"."amount" * 100 AS DECIMAL), 0) AS DECIMAL(14, 0)) AS BIGINT)
    ) FILTER(WHERE
      (
        "t1"."closed_at" IS NOT NULL
      )
      AND (
        "t1"."closed_at" < CAST('2025-07-01T00:00:00' AS TIMESTAMP)
      )
      AND "t1"."stage" IN ('won', 'lost')
      AND (
        "t1"."stage" = 'won'
      )),
    0
  ) AS "won_cents"
FROM (
  SELECT
    *
  FROM "opportunities" AS "t0"
  WHERE
    "t0"."created_at" >= CAST('2025-03-01T00:00:00' AS TIMESTAMP)
    AND "t0"."created_at" < CAST('2025-05-01T00:00:00' AS TIMESTAMP)
    AND "t0"."created_at" < CAST('2025-07-01T00:00:00' AS TIMESTAMP)
) AS "t1";
