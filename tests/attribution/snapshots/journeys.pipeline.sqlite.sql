-- journey touches
WITH "t19" AS (
  SELECT
    "t9"."opportunity_id",
    "t9"."account_id",
    "t9"."primary_lead_id",
    "t9"."amount",
    "t9"."closed_at",
    "t9"."opp_created_at",
    "t9"."converted_at",
    COALESCE("t10"."primary_created_at", "t15"."earliest_created_at") AS "lead_created_at"
  FROM (
    SELECT
      "t1"."opportunity_id",
      "t1"."account_id",
      "t1"."primary_lead_id",
      "t1"."amount",
      "t1"."closed_at",
      "t1"."created_at" AS "opp_created_at",
      "t1"."created_at" AS "converted_at"
    FROM "opportunities" AS "t1"
  ) AS "t9"
  LEFT OUTER JOIN (
    SELECT
      "t2"."lead_id" AS "primary_lead_id",
      "t2"."created_at" AS "primary_created_at"
    FROM "leads" AS "t2"
  ) AS "t10"
    ON "t9"."primary_lead_id" = "t10"."primary_lead_id"
  LEFT OUTER JOIN (
    SELECT
      "t12"."account_id",
      MIN("t12"."created_at") AS "earliest_created_at"
    FROM (
      SELECT
        *
      FROM "leads" AS "t2"
      WHERE
        "t2"."account_id" IS NOT NULL
    ) AS "t12"
    GROUP BY
      1
  ) AS "t15"
    ON "t9"."account_id" = "t15"."account_id"
)
SELECT
  "t25"."opportunity_id",
  "t25"."amount",
  "t25"."opp_created_at",
  "t25"."closed_at",
  "t25"."lead_created_at",
  "t25"."touchpoint_id",
  "t25"."occurred_at",
  "t25"."channel",
  "t25"."campaign_id"
FROM (
  SELECT
    "t24"."opportunity_id",
    "t24"."lead_id",
    "t17"."touchpoint_id",
    "t17"."occurred_at",
    "t17"."channel",
    "t17"."campaign_id",
    "t21"."account_id",
    "t21"."primary_lead_id",
    "t21"."amount",
    "t21"."closed_at",
    "t21"."opp_created_at",
    "t21"."converted_at",
    "t21"."lead_created_at"
  FROM (
    SELECT
      *
    FROM (
      SELECT
        "t9"."opportunity_id",
        "t11"."lead_id"
      FROM (
        SELECT
          "t1"."opportunity_id",
          "t1"."account_id",
          "t1"."primary_lead_id",
          "t1"."amount",
          "t1"."closed_at",
          "t1"."created_at" AS "opp_created_at",
          "t1"."created_at" AS "converted_at"
        FROM "opportunities" AS "t1"
      ) AS "t9"
      LEFT OUTER JOIN (
        SELECT
          "t2"."lead_id" AS "primary_lead_id",
          "t2"."created_at" AS "primary_created_at"
        FROM "leads" AS "t2"
      ) AS "t10"
        ON "t9"."primary_lead_id" = "t10"."primary_lead_id"
      LEFT OUTER JOIN (
        SELECT
          "t12"."account_id",
          MIN("t12"."created_at") AS "earliest_created_at"
        FROM (
          SELECT
            *
          FROM "leads" AS "t2"
          WHERE
            "t2"."account_id" IS NOT NULL
        ) AS "t12"
        GROUP BY
          1
      ) AS "t15"
        ON "t9"."account_id" = "t15"."account_id"
      INNER JOIN (
        SELECT
          "t2"."account_id",
          "t2"."lead_id"
        FROM "leads" AS "t2"
      ) AS "t11"
        ON "t9"."account_id" = "t11"."account_id"
    ) AS "t18"
    UNION
    SELECT
      *
    FROM (
      SELECT
        "t20"."opportunity_id",
        "t20"."primary_lead_id" AS "lead_id"
      FROM "t19" AS "t20"
      WHERE
        "t20"."primary_lead_id" IS NOT NULL
    ) AS "t22"
  ) AS "t24"
  INNER JOIN (
    SELECT
      "t4"."touchpoint_id",
      "t4"."lead_id",
      "t4"."occurred_at",
      "t13"."channel",
      "t4"."campaign_id"
    FROM "touchpoints" AS "t4"
    INNER JOIN (
      SELECT
        "t3"."channel_id",
        "t3"."key" AS "channel"
      FROM "channels" AS "t3"
    ) AS "t13"
      ON "t4"."channel_id" = "t13"."channel_id"
  ) AS "t17"
    ON "t24"."lead_id" = "t17"."lead_id"
  INNER JOIN "t19" AS "t21"
    ON "t24"."opportunity_id" = "t21"."opportunity_id"
) AS "t25"
WHERE
  CAST(FLOOR(CAST(STRFTIME('%s', "t25"."occurred_at") AS INTEGER)) AS INTEGER) >= (
    CAST(FLOOR(CAST(STRFTIME('%s', "t25"."opp_created_at") AS INTEGER)) AS INTEGER) - 31536000
  )
  AND "t25"."occurred_at" <= "t25"."converted_at";

-- paths
WITH "t12" AS (
  SELECT
    "t3"."opportunity_id",
    "t3"."account_id",
    "t3"."primary_lead_id",
    "t3"."amount",
    "t3"."closed_at",
    "t3"."created_at" AS "opp_created_at",
    "t3"."created_at" AS "converted_at"
  FROM "opportunities" AS "t3"
  WHERE
    "t3"."created_at" >= '2025-06-30 00:00:00'
    AND "t3"."created_at" <= '2026-06-30 00:00:00'
)
SELECT
  "t33"."converted",
  "t33"."journey",
  "t33"."position",
  "t33"."cents",
  "t33"."channel"
FROM (
  SELECT
    "t32"."converted",
    "t32"."journey",
    "t32"."cents",
    "t32"."touchpoint_id",
    "t32"."occurred_at",
    "t32"."channel",
    ROW_NUMBER() OVER (
      PARTITION BY "t32"."converted", "t32"."journey"
      ORDER BY "t32"."occurred_at" ASC NULLS LAST, "t32"."touchpoint_id" ASC NULLS LAST
      ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
    ) - 1 AS "position",
    LAG("t32"."channel") OVER (
      PARTITION BY "t32"."converted", "t32"."journey"
      ORDER BY "t32"."occurred_at" ASC NULLS LAST, "t32"."touchpoint_id" ASC NULLS LAST
      ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
    ) AS "previous"
  FROM (
    SELECT
      *
    FROM (
      SELECT
        TRUE AS "converted",
        "t29"."opportunity_id" AS "journey",
        CAST(CAST(ROUND("t29"."amount" * 100, 0) AS REAL(14, 0)) AS INTEGER) AS "cents",
        "t29"."touchpoint_id",
        "t29"."occurred_at",
        "t29"."channel"
      FROM (
        SELECT
          "t27"."opportunity_id",
          "t27"."lead_id",
          "t22"."touchpoint_id",
          "t22"."occurred_at",
          "t22"."channel",
          "t22"."campaign_id",
          "t19"."account_id",
          "t19"."primary_lead_id",
          "t19"."amount",
          "t19"."closed_at",
          "t19"."opp_created_at",
          "t19"."converted_at"
        FROM (
          SELECT
            *
          FROM (
            SELECT
              "t20"."opportunity_id",
              "t9"."lead_id"
            FROM "t12" AS "t20"
            INNER JOIN (
              SELECT
                "t2"."account_id",
                "t2"."lead_id"
              FROM "leads" AS "t2"
            ) AS "t9"
              ON "t20"."account_id" = "t9"."account_id"
          ) AS "t23"
          UNION
          SELECT
            *
          FROM (
            SELECT
              "t3"."opportunity_id",
              "t3"."primary_lead_id" AS "lead_id"
            FROM "opportunities" AS "t3"
            WHERE
              "t3"."created_at" >= '2025-06-30 00:00:00'
              AND "t3"."created_at" <= '2026-06-30 00:00:00'
              AND "t3"."primary_lead_id" IS NOT NULL
          ) AS "t10"
        ) AS "t27"
        INNER JOIN (
          SELECT
            "t4"."touchpoint_id",
            "t4"."lead_id",
            "t4"."occurred_at",
            "t8"."channel",
            "t4"."campaign_id"
          FROM "touchpoints" AS "t4"
          INNER JOIN (
            SELECT
              "t1"."channel_id",
              "t1"."key" AS "channel"
            FROM "channels" AS "t1"
          ) AS "t8"
            ON "t4"."channel_id" = "t8"."channel_id"
        ) AS "t22"
          ON "t27"."lead_id" = "t22"."lead_id"
        INNER JOIN "t12" AS "t19"
          ON "t27"."opportunity_id" = "t19"."opportunity_id"
      ) AS "t29"
      WHERE
        CAST(FLOOR(CAST(STRFTIME('%s', "t29"."occurred_at") AS INTEGER)) AS INTEGER) >= (
          CAST(FLOOR(CAST(STRFTIME('%s', "t29"."opp_created_at") AS INTEGER)) AS INTEGER) - 31536000
        )
        AND "t29"."occurred_at" <= "t29"."converted_at"
    ) AS "t31"
    UNION ALL
    SELECT
      *
    FROM (
      SELECT
        FALSE AS "converted",
        "t17"."visitor" AS "journey",
        CAST(NULL AS INTEGER) AS "cents",
        "t13"."touchpoint_id",
        "t13"."occurred_at",
        "t8"."channel"
      FROM (
        SELECT
          *
        FROM "touchpoints" AS "t0"
        WHERE
          "t0"."occurred_at" >= '2025-06-30 00:00:00'
          AND "t0"."occurred_at" <= '2026-06-30 00:00:00'
      ) AS "t13"
      INNER JOIN (
        SELECT
          "t1"."channel_id",
          "t1"."key" AS "channel"
        FROM "channels" AS "t1"
      ) AS "t8"
        ON "t13"."channel_id" = "t8"."channel_id"
      INNER JOIN (
        SELECT
          "t2"."lead_id",
          COALESCE("t2"."account_id", -(
            "t2"."lead_id"
          )) AS "visitor"
        FROM "leads" AS "t2"
      ) AS "t17"
        ON "t13"."lead_id" = "t17"."lead_id"
      WHERE
        NOT EXISTS(
          SELECT
            1
          FROM (
            SELECT
              *
            FROM (
              SELECT
                "t3"."account_id" AS "visitor"
              FROM "opportunities" AS "t3"
              WHERE
                "t3"."created_at" >= '2025-06-30 00:00:00'
                AND "t3"."created_at" <= '2026-06-30 00:00:00'
                AND "t3"."account_id" IS NOT NULL
            ) AS "t11"
            UNION
            SELECT
              *
            FROM (
              SELECT
                "t18"."visitor"
              FROM "t12" AS "t20"
              INNER JOIN (
                SELECT
                  "t2"."lead_id" AS "primary_lead_id",
                  COALESCE("t2"."account_id", -(
                    "t2"."lead_id"
                  )) AS "visitor"
                FROM "leads" AS "t2"
              ) AS "t18"
                ON "t20"."primary_lead_id" = "t18"."primary_lead_id"
            ) AS "t24"
          ) AS "t28"
          WHERE
            "t17"."visitor" = "t28"."visitor"
        )
    ) AS "t30"
  ) AS "t32"
) AS "t33"
WHERE
  (
    "t33"."previous" IS NULL
  ) OR (
    "t33"."previous" <> "t33"."channel"
  )
ORDER BY
  "t33"."converted" ASC NULLS LAST,
  "t33"."journey" ASC NULLS LAST,
  "t33"."position" ASC NULLS LAST;

-- transitions
WITH "t12" AS (
  SELECT
    "t3"."opportunity_id",
    "t3"."account_id",
    "t3"."primary_lead_id",
    "t3"."amount",
    "t3"."closed_at",
    "t3"."created_at" AS "opp_created_at",
    "t3"."created_at" AS "converted_at"
  FROM "opportunities" AS "t3"
  WHERE
    "t3"."created_at" >= '2025-06-30 00:00:00'
    AND "t3"."created_at" <= '2026-06-30 00:00:00'
), "t33" AS (
  SELECT
    "t32"."converted",
    "t32"."journey",
    "t32"."cents",
    "t32"."touchpoint_id",
    "t32"."occurred_at",
    "t32"."channel",
    ROW_NUMBER() OVER (
      PARTITION BY "t32"."converted", "t32"."journey"
      ORDER BY "t32"."occurred_at" ASC NULLS LAST, "t32"."touchpoint_id" ASC NULLS LAST
      ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
    ) - 1 AS "position",
    LAG("t32"."channel") OVER (
      PARTITION BY "t32"."converted", "t32"."journey"
      ORDER BY "t32"."occurred_at" ASC NULLS LAST, "t32"."touchpoint_id" ASC NULLS LAST
      ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
    ) AS "previous",
    LEAD("t32"."channel") OVER (
      PARTITION BY "t32"."converted", "t32"."journey"
      ORDER BY "t32"."occurred_at" ASC NULLS LAST, "t32"."touchpoint_id" ASC NULLS LAST
      ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
    ) AS "following"
  FROM (
    SELECT
      *
    FROM (
      SELECT
        TRUE AS "converted",
        "t29"."opportunity_id" AS "journey",
        CAST(CAST(ROUND("t29"."amount" * 100, 0) AS REAL(14, 0)) AS INTEGER) AS "cents",
        "t29"."touchpoint_id",
        "t29"."occurred_at",
        "t29"."channel"
      FROM (
        SELECT
          "t27"."opportunity_id",
          "t27"."lead_id",
          "t22"."touchpoint_id",
          "t22"."occurred_at",
          "t22"."channel",
          "t22"."campaign_id",
          "t19"."account_id",
          "t19"."primary_lead_id",
          "t19"."amount",
          "t19"."closed_at",
          "t19"."opp_created_at",
          "t19"."converted_at"
        FROM (
          SELECT
            *
          FROM (
            SELECT
              "t20"."opportunity_id",
              "t9"."lead_id"
            FROM "t12" AS "t20"
            INNER JOIN (
              SELECT
                "t2"."account_id",
                "t2"."lead_id"
              FROM "leads" AS "t2"
            ) AS "t9"
              ON "t20"."account_id" = "t9"."account_id"
          ) AS "t23"
          UNION
          SELECT
            *
          FROM (
            SELECT
              "t3"."opportunity_id",
              "t3"."primary_lead_id" AS "lead_id"
            FROM "opportunities" AS "t3"
            WHERE
              "t3"."created_at" >= '2025-06-30 00:00:00'
              AND "t3"."created_at" <= '2026-06-30 00:00:00'
              AND "t3"."primary_lead_id" IS NOT NULL
          ) AS "t10"
        ) AS "t27"
        INNER JOIN (
          SELECT
            "t4"."touchpoint_id",
            "t4"."lead_id",
            "t4"."occurred_at",
            "t8"."channel",
            "t4"."campaign_id"
          FROM "touchpoints" AS "t4"
          INNER JOIN (
            SELECT
              "t1"."channel_id",
              "t1"."key" AS "channel"
            FROM "channels" AS "t1"
          ) AS "t8"
            ON "t4"."channel_id" = "t8"."channel_id"
        ) AS "t22"
          ON "t27"."lead_id" = "t22"."lead_id"
        INNER JOIN "t12" AS "t19"
          ON "t27"."opportunity_id" = "t19"."opportunity_id"
      ) AS "t29"
      WHERE
        CAST(FLOOR(CAST(STRFTIME('%s', "t29"."occurred_at") AS INTEGER)) AS INTEGER) >= (
          CAST(FLOOR(CAST(STRFTIME('%s', "t29"."opp_created_at") AS INTEGER)) AS INTEGER) - 31536000
        )
        AND "t29"."occurred_at" <= "t29"."converted_at"
    ) AS "t31"
    UNION ALL
    SELECT
      *
    FROM (
      SELECT
        FALSE AS "converted",
        "t17"."visitor" AS "journey",
        CAST(NULL AS INTEGER) AS "cents",
        "t13"."touchpoint_id",
        "t13"."occurred_at",
        "t8"."channel"
      FROM (
        SELECT
          *
        FROM "touchpoints" AS "t0"
        WHERE
          "t0"."occurred_at" >= '2025-06-30 00:00:00'
          AND "t0"."occurred_at" <= '2026-06-30 00:00:00'
      ) AS "t13"
      INNER JOIN (
        SELECT
          "t1"."channel_id",
          "t1"."key" AS "channel"
        FROM "channels" AS "t1"
      ) AS "t8"
        ON "t13"."channel_id" = "t8"."channel_id"
      INNER JOIN (
        SELECT
          "t2"."lead_id",
          COALESCE("t2"."account_id", -(
            "t2"."lead_id"
          )) AS "visitor"
        FROM "leads" AS "t2"
      ) AS "t17"
        ON "t13"."lead_id" = "t17"."lead_id"
      WHERE
        NOT EXISTS(
          SELECT
            1
          FROM (
            SELECT
              *
            FROM (
              SELECT
                "t3"."account_id" AS "visitor"
              FROM "opportunities" AS "t3"
              WHERE
                "t3"."created_at" >= '2025-06-30 00:00:00'
                AND "t3"."created_at" <= '2026-06-30 00:00:00'
                AND "t3"."account_id" IS NOT NULL
            ) AS "t11"
            UNION
            SELECT
              *
            FROM (
              SELECT
                "t18"."visitor"
              FROM "t12" AS "t20"
              INNER JOIN (
                SELECT
                  "t2"."lead_id" AS "primary_lead_id",
                  COALESCE("t2"."account_id", -(
                    "t2"."lead_id"
                  )) AS "visitor"
                FROM "leads" AS "t2"
              ) AS "t18"
                ON "t20"."primary_lead_id" = "t18"."primary_lead_id"
            ) AS "t24"
          ) AS "t28"
          WHERE
            "t17"."visitor" = "t28"."visitor"
        )
    ) AS "t30"
  ) AS "t32"
)
SELECT
  "t37"."from_state",
  "t37"."to_state",
  COUNT(*) AS "journeys",
  SUM("t37"."cents") AS "cents"
FROM (
  SELECT
    *
  FROM (
    SELECT
      COALESCE("t34"."previous", '(start)') AS "from_state",
      "t34"."channel" AS "to_state",
      CAST(NULL AS INTEGER) AS "cents"
    FROM "t33" AS "t34"
    WHERE
      (
        "t34"."previous" IS NULL
      ) OR (
        "t34"."previous" <> "t34"."channel"
      )
  ) AS "t36"
  UNION ALL
  SELECT
    *
  FROM (
    SELECT
      "t34"."channel" AS "from_state",
      IIF("t34"."converted", '(conversion)', '(null)') AS "to_state",
      "t34"."cents"
    FROM "t33" AS "t34"
    WHERE
      "t34"."following" IS NULL
  ) AS "t35"
) AS "t37"
GROUP BY
  1,
  2;

-- unattributed
WITH "t7" AS (
  SELECT
    "t0"."opportunity_id",
    "t0"."account_id",
    "t0"."primary_lead_id",
    "t0"."amount",
    "t0"."closed_at",
    "t0"."created_at" AS "opp_created_at",
    "t0"."created_at" AS "converted_at"
  FROM "opportunities" AS "t0"
  WHERE
    "t0"."created_at" >= '2025-06-30 00:00:00'
    AND "t0"."created_at" <= '2026-06-30 00:00:00'
)
SELECT
  "t23"."opportunity_id",
  CAST(CAST(ROUND("t23"."amount" * 100, 0) AS REAL(14, 0)) AS INTEGER) AS "cents"
FROM (
  SELECT
    "t12"."opportunity_id",
    "t12"."account_id",
    "t12"."primary_lead_id",
    "t12"."amount",
    "t12"."closed_at",
    "t12"."opp_created_at",
    "t12"."converted_at",
    "t22"."opportunity_id" AS "opportunity_id_right",
    "t22"."touches"
  FROM "t7" AS "t12"
  LEFT OUTER JOIN (
    SELECT
      "t20"."opportunity_id",
      COUNT(*) AS "touches"
    FROM (
      SELECT
        *
      FROM (
        SELECT
          "t18"."opportunity_id",
          "t18"."lead_id",
          "t15"."touchpoint_id",
          "t15"."occurred_at",
          "t15"."channel",
          "t15"."campaign_id",
          "t13"."account_id",
          "t13"."primary_lead_id",
          "t13"."amount",
          "t13"."closed_at",
          "t13"."opp_created_at",
          "t13"."converted_at"
        FROM (
          SELECT
            *
          FROM (
            SELECT
              "t12"."opportunity_id",
              "t9"."lead_id"
            FROM "t7" AS "t12"
            INNER JOIN (
              SELECT
                "t2"."account_id",
                "t2"."lead_id"
              FROM "leads" AS "t2"
            ) AS "t9"
              ON "t12"."account_id" = "t9"."account_id"
          ) AS "t16"
          UNION
          SELECT
            *
          FROM (
            SELECT
              "t0"."opportunity_id",
              "t0"."primary_lead_id" AS "lead_id"
            FROM "opportunities" AS "t0"
            WHERE
              "t0"."created_at" >= '2025-06-30 00:00:00'
              AND "t0"."created_at" <= '2026-06-30 00:00:00'
              AND "t0"."primary_lead_id" IS NOT NULL
          ) AS "t8"
        ) AS "t18"
        INNER JOIN (
          SELECT
            "t4"."touchpoint_id",
            "t4"."lead_id",
            "t4"."occurred_at",
            "t10"."channel",
            "t4"."campaign_id"
          FROM "touchpoints" AS "t4"
          INNER JOIN (
            SELECT
              "t3"."channel_id",
              "t3"."key" AS "channel"
            FROM "channels" AS "t3"
          ) AS "t10"
            ON "t4"."channel_id" = "t10"."channel_id"
        ) AS "t15"
          ON "t18"."lead_id" = "t15"."lead_id"
        INNER JOIN "t7" AS "t13"
          ON "t18"."opportunity_id" = "t13"."opportunity_id"
      ) AS "t19"
      WHERE
        CAST(FLOOR(CAST(STRFTIME('%s', "t19"."occurred_at") AS INTEGER)) AS INTEGER) >= (
          CAST(FLOOR(CAST(STRFTIME('%s', "t19"."opp_created_at") AS INTEGER)) AS INTEGER) - 31536000
        )
        AND "t19"."occurred_at" <= "t19"."converted_at"
    ) AS "t20"
    GROUP BY
      1
  ) AS "t22"
    ON "t12"."opportunity_id" = "t22"."opportunity_id"
) AS "t23"
WHERE
  "t23"."touches" IS NULL;
