-- by source, grade
SELECT
  "t19"."source",
  "t19"."grade",
  COUNT("t19"."lead_id") AS "leads",
  COUNT("t19"."lead_id") FILTER(WHERE
    "t19"."won_cents" IS NOT NULL) AS "won",
  COALESCE(SUM("t19"."won_cents"), 0) AS "won_cents"
FROM (
  SELECT
    "t8"."lead_id",
    "t18"."won_cents",
    COALESCE("t7"."source", '') AS "source",
    COALESCE("t8"."fit_grade", '') AS "grade"
  FROM (
    SELECT
      *
    FROM "leads" AS "t0"
    WHERE
      "t0"."created_at" >= MAKE_TIMESTAMP(2025, 1, 1, 0, 0, 0.0)
      AND "t0"."created_at" < MAKE_TIMESTAMP(2025, 7, 1, 0, 0, 0.0)
  ) AS "t8"
  SEMI JOIN (
    SELECT
      *
    FROM "lead_status_changes" AS "t1"
    WHERE
      "t1"."to_status" IN ('mql', 'accepted', 'sql', 'opportunity', 'customer')
  ) AS "t9"
    ON "t8"."lead_id" = "t9"."lead_id"
  LEFT OUTER JOIN (
    SELECT
      "t16"."won_lead_id",
      SUM("t16"."cents") AS "won_cents"
    FROM (
      SELECT
        *
      FROM (
        SELECT
          "t11"."won_lead_id",
          "t11"."closed_s",
          "t11"."cents",
          "t14"."lead_id",
          "t14"."created_s"
        FROM (
          SELECT
            "t3"."primary_lead_id" AS "won_lead_id",
            CAST(FLOOR(EPOCH(CAST("t3"."closed_at" AS TIMESTAMP))) AS BIGINT) AS "closed_s",
            CAST(CAST(ROUND("t3"."amount" * 100, 0) AS DECIMAL(14, 0)) AS BIGINT) AS "cents"
          FROM "opportunities" AS "t3"
          WHERE
            "t3"."stage" = 'won'
            AND "t3"."closed_at" IS NOT NULL
            AND "t3"."primary_lead_id" IS NOT NULL
        ) AS "t11"
        INNER JOIN (
          SELECT
            "t12"."lead_id",
            "t12"."created_s"
          FROM (
            SELECT
              "t8"."lead_id",
              "t8"."source_id",
              "t8"."account_id",
              "t8"."fit_grade" AS "grade",
              CAST(FLOOR(EPOCH(CAST("t8"."created_at" AS TIMESTAMP))) AS BIGINT) AS "created_s"
            FROM (
              SELECT
                *
              FROM "leads" AS "t0"
              WHERE
                "t0"."created_at" >= MAKE_TIMESTAMP(2025, 1, 1, 0, 0, 0.0)
                AND "t0"."created_at" < MAKE_TIMESTAMP(2025, 7, 1, 0, 0, 0.0)
            ) AS "t8"
            SEMI JOIN (
              SELECT
                *
              FROM "lead_status_changes" AS "t1"
              WHERE
                "t1"."to_status" IN ('mql', 'accepted', 'sql', 'opportunity', 'customer')
            ) AS "t9"
              ON "t8"."lead_id" = "t9"."lead_id"
          ) AS "t12"
        ) AS "t14"
          ON "t11"."won_lead_id" = "t14"."lead_id"
      ) AS "t15"
      WHERE
        "t15"."closed_s" <= (
          "t15"."created_s" + 31536000
        )
    ) AS "t16"
    GROUP BY
      1
  ) AS "t18"
    ON "t8"."lead_id" = "t18"."won_lead_id"
  LEFT OUTER JOIN (
    SELECT
      "t2"."channel_id" AS "channel",
      "t2"."key" AS "source",
      "t2"."group" AS "source_group"
    FROM "channels" AS "t2"
  ) AS "t7"
    ON "t8"."source_id" = "t7"."channel"
) AS "t19"
GROUP BY
  1,
  2;

-- by source_group, country, industry
SELECT
  "t22"."source_group",
  "t22"."country",
  "t22"."industry",
  COUNT("t22"."lead_id") AS "leads",
  COUNT("t22"."lead_id") FILTER(WHERE
    "t22"."won_cents" IS NOT NULL) AS "won",
  COALESCE(SUM("t22"."won_cents"), 0) AS "won_cents"
FROM (
  SELECT
    "t11"."lead_id",
    "t21"."won_cents",
    COALESCE("t9"."source_group", '') AS "source_group",
    COALESCE("t10"."country", '') AS "country",
    COALESCE("t10"."industry", '') AS "industry"
  FROM (
    SELECT
      *
    FROM "leads" AS "t0"
    WHERE
      "t0"."created_at" >= MAKE_TIMESTAMP(2025, 1, 1, 0, 0, 0.0)
      AND "t0"."created_at" < MAKE_TIMESTAMP(2025, 7, 1, 0, 0, 0.0)
  ) AS "t11"
  SEMI JOIN (
    SELECT
      *
    FROM "lead_status_changes" AS "t1"
    WHERE
      "t1"."to_status" IN ('mql', 'accepted', 'sql', 'opportunity', 'customer')
  ) AS "t12"
    ON "t11"."lead_id" = "t12"."lead_id"
  LEFT OUTER JOIN (
    SELECT
      "t19"."won_lead_id",
      SUM("t19"."cents") AS "won_cents"
    FROM (
      SELECT
        *
      FROM (
        SELECT
          "t14"."won_lead_id",
          "t14"."closed_s",
          "t14"."cents",
          "t17"."lead_id",
          "t17"."created_s"
        FROM (
          SELECT
            "t4"."primary_lead_id" AS "won_lead_id",
            CAST(FLOOR(EPOCH(CAST("t4"."closed_at" AS TIMESTAMP))) AS BIGINT) AS "closed_s",
            CAST(CAST(ROUND("t4"."amount" * 100, 0) AS DECIMAL(14, 0)) AS BIGINT) AS "cents"
          FROM "opportunities" AS "t4"
          WHERE
            "t4"."stage" = 'won'
            AND "t4"."closed_at" IS NOT NULL
            AND "t4"."primary_lead_id" IS NOT NULL
        ) AS "t14"
        INNER JOIN (
          SELECT
            "t15"."lead_id",
            "t15"."created_s"
          FROM (
            SELECT
              "t11"."lead_id",
              "t11"."source_id",
              "t11"."account_id",
              "t11"."fit_grade" AS "grade",
              CAST(FLOOR(EPOCH(CAST("t11"."created_at" AS TIMESTAMP))) AS BIGINT) AS "created_s"
            FROM (
              SELECT
                *
              FROM "leads" AS "t0"
              WHERE
                "t0"."created_at" >= MAKE_TIMESTAMP(2025, 1, 1, 0, 0, 0.0)
                AND "t0"."created_at" < MAKE_TIMESTAMP(2025, 7, 1, 0, 0, 0.0)
            ) AS "t11"
            SEMI JOIN (
              SELECT
                *
              FROM "lead_status_changes" AS "t1"
              WHERE
                "t1"."to_status" IN ('mql', 'accepted', 'sql', 'opportunity', 'customer')
            ) AS "t12"
              ON "t11"."lead_id" = "t12"."lead_id"
          ) AS "t15"
        ) AS "t17"
          ON "t14"."won_lead_id" = "t17"."lead_id"
      ) AS "t18"
      WHERE
        "t18"."closed_s" <= (
          "t18"."created_s" + 31536000
        )
    ) AS "t19"
    GROUP BY
      1
  ) AS "t21"
    ON "t11"."lead_id" = "t21"."won_lead_id"
  LEFT OUTER JOIN (
    SELECT
      "t2"."channel_id" AS "channel",
      "t2"."key" AS "source",
      "t2"."group" AS "source_group"
    FROM "channels" AS "t2"
  ) AS "t9"
    ON "t11"."source_id" = "t9"."channel"
  LEFT OUTER JOIN (
    SELECT
      "t3"."account_id" AS "account",
      "t3"."country",
      "t3"."industry"
    FROM "accounts" AS "t3"
  ) AS "t10"
    ON "t11"."account_id" = "t10"."account"
) AS "t22"
GROUP BY
  1,
  2,
  3;
