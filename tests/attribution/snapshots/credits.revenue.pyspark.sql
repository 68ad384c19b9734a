-- deals
WITH `t19` AS (
  SELECT
    `t13`.`opportunity_id`,
    `t13`.`account_id`,
    `t13`.`primary_lead_id`,
    `t13`.`amount`,
    `t13`.`closed_at`,
    `t13`.`opp_created_at`,
    `t13`.`converted_at`,
    COALESCE(`t9`.`primary_created_at`, `t15`.`earliest_created_at`) AS `lead_created_at`
  FROM (
    SELECT
      `t0`.`opportunity_id`,
      `t0`.`account_id`,
      `t0`.`primary_lead_id`,
      `t0`.`amount`,
      `t0`.`closed_at`,
      `t0`.`created_at` AS `opp_created_at`,
      `t0`.`closed_at` AS `converted_at`
    FROM `opportunities` AS `t0`
    WHERE
      `t0`.`stage` = 'won' AND `t0`.`closed_at` IS NOT NULL
  ) AS `t13`
  LEFT OUTER JOIN (
    SELECT
      `t2`.`lead_id` AS `primary_lead_id`,
      `t2`.`created_at` AS `primary_created_at`
    FROM `leads` AS `t2`
  ) AS `t9`
    ON `t13`.`primary_lead_id` = `t9`.`primary_lead_id`
  LEFT OUTER JOIN (
    SELECT
      `t11`.`account_id`,
      MIN(`t11`.`created_at`) AS `earliest_created_at`
    FROM (
      SELECT
        *
      FROM `leads` AS `t2`
      WHERE
        `t2`.`account_id` IS NOT NULL
    ) AS `t11`
    GROUP BY
      1
  ) AS `t15`
    ON `t13`.`account_id` = `t15`.`account_id`
)
SELECT
  SUM(CAST(CAST(ROUND(`t29`.`amount` * 100, 0) AS DECIMAL(14, 0)) AS BIGINT)) AS `total_cents`,
  SUM(
    IF(
      `t29`.`touched` IS NULL,
      CAST(CAST(ROUND(`t29`.`amount` * 100, 0) AS DECIMAL(14, 0)) AS BIGINT),
      0
    )
  ) AS `unattributed_cents`,
  COUNT(*) AS `opportunities`,
  SUM(IF(`t29`.`touched` IS NULL, 1, 0)) AS `unattributed_opportunities`
FROM (
  SELECT
    `t13`.`opportunity_id`,
    `t13`.`account_id`,
    `t13`.`primary_lead_id`,
    `t13`.`amount`,
    `t13`.`closed_at`,
    `t13`.`opp_created_at`,
    `t13`.`converted_at`,
    `t28`.`opportunity_id` AS `opportunity_id_right`,
    `t28`.`touched`
  FROM (
    SELECT
      `t0`.`opportunity_id`,
      `t0`.`account_id`,
      `t0`.`primary_lead_id`,
      `t0`.`amount`,
      `t0`.`closed_at`,
      `t0`.`created_at` AS `opp_created_at`,
      `t0`.`closed_at` AS `converted_at`
    FROM `opportunities` AS `t0`
    WHERE
      `t0`.`stage` = 'won' AND `t0`.`closed_at` IS NOT NULL
  ) AS `t13`
  LEFT OUTER JOIN (
    SELECT
      `t26`.`opportunity_id`,
      1 AS `touched`
    FROM (
      SELECT DISTINCT
        `t25`.`opportunity_id`
      FROM (
        SELECT
          `t24`.`opportunity_id`,
          `t24`.`lead_id`,
          `t17`.`touchpoint_id`,
          `t17`.`occurred_at`,
          `t17`.`channel`,
          `t17`.`campaign_id`,
          `t21`.`account_id`,
          `t21`.`primary_lead_id`,
          `t21`.`amount`,
          `t21`.`closed_at`,
          `t21`.`opp_created_at`,
          `t21`.`converted_at`,
          `t21`.`lead_created_at`
        FROM (
          SELECT
            *
          FROM (
            SELECT
              `t13`.`opportunity_id`,
              `t10`.`lead_id`
            FROM (
              SELECT
                `t0`.`opportunity_id`,
                `t0`.`account_id`,
                `t0`.`primary_lead_id`,
                `t0`.`amount`,
                `t0`.`closed_at`,
                `t0`.`created_at` AS `opp_created_at`,
                `t0`.`closed_at` AS `converted_at`
              FROM `opportunities` AS `t0`
              WHERE
                `t0`.`stage` = 'won' AND `t0`.`closed_at` IS NOT NULL
            ) AS `t13`
            LEFT OUTER JOIN (
              SELECT
                `t2`.`lead_id` AS `primary_lead_id`,
                `t2`.`created_at` AS `primary_created_at`
              FROM `leads` AS `t2`
            ) AS `t9`
              ON `t13`.`primary_lead_id` = `t9`.`primary_lead_id`
            LEFT OUTER JOIN (
              SELECT
                `t11`.`account_id`,
                MIN(`t11`.`created_at`) AS `earliest_created_at`
              FROM (
                SELECT
                  *
                FROM `leads` AS `t2`
                WHERE
                  `t2`.`account_id` IS NOT NULL
              ) AS `t11`
              GROUP BY
                1
            ) AS `t15`
              ON `t13`.`account_id` = `t15`.`account_id`
            INNER JOIN (
              SELECT
                `t2`.`account_id`,
                `t2`.`lead_id`
              FROM `leads` AS `t2`
            ) AS `t10`
              ON `t13`.`account_id` = `t10`.`account_id`
          ) AS `t18`
          UNION
          SELECT
            *
          FROM (
            SELECT
              `t20`.`opportunity_id`,
              `t20`.`primary_lead_id` AS `lead_id`
            FROM `t19` AS `t20`
            WHERE
              `t20`.`primary_lead_id` IS NOT NULL
          ) AS `t22`
        ) AS `t24`
        INNER JOIN (
          SELECT
            `t4`.`touchpoint_id`,
            `t4`.`lead_id`,
            `t4`.`occurred_at`,
            `t12`.`channel`,
            `t4`.`campaign_id`
          FROM `touchpoints` AS `t4`
          INNER JOIN (
            SELECT
              `t3`.`channel_id`,
              `t3`.`key` AS `channel`
            FROM `channels` AS `t3`
          ) AS `t12`
            ON `t4`.`channel_id` = `t12`.`channel_id`
        ) AS `t17`
          ON `t24`.`lead_id` = `t17`.`lead_id`
        INNER JOIN `t19` AS `t21`
          ON `t24`.`opportunity_id` = `t21`.`opportunity_id`
      ) AS `t25`
      WHERE
        CAST(FLOOR(UNIX_TIMESTAMP(CAST(`t25`.`occurred_at` AS TIMESTAMP))) AS BIGINT) >= (
          CAST(FLOOR(UNIX_TIMESTAMP(CAST(`t25`.`opp_created_at` AS TIMESTAMP))) AS BIGINT) - 31536000
        )
        AND `t25`.`occurred_at` <= `t25`.`converted_at`
    ) AS `t26`
  ) AS `t28`
    ON `t13`.`opportunity_id` = `t28`.`opportunity_id`
) AS `t29`;

-- cells (linear)
WITH `t19` AS (
  SELECT
    `t13`.`opportunity_id`,
    `t13`.`account_id`,
    `t13`.`primary_lead_id`,
    `t13`.`amount`,
    `t13`.`closed_at`,
    `t13`.`opp_created_at`,
    `t13`.`converted_at`,
    COALESCE(`t9`.`primary_created_at`, `t15`.`earliest_created_at`) AS `lead_created_at`
  FROM (
    SELECT
      `t1`.`opportunity_id`,
      `t1`.`account_id`,
      `t1`.`primary_lead_id`,
      `t1`.`amount`,
      `t1`.`closed_at`,
      `t1`.`created_at` AS `opp_created_at`,
      `t1`.`closed_at` AS `converted_at`
    FROM `opportunities` AS `t1`
    WHERE
      `t1`.`stage` = 'won' AND `t1`.`closed_at` IS NOT NULL
  ) AS `t13`
  LEFT OUTER JOIN (
    SELECT
      `t2`.`lead_id` AS `primary_lead_id`,
      `t2`.`created_at` AS `primary_created_at`
    FROM `leads` AS `t2`
  ) AS `t9`
    ON `t13`.`primary_lead_id` = `t9`.`primary_lead_id`
  LEFT OUTER JOIN (
    SELECT
      `t11`.`account_id`,
      MIN(`t11`.`created_at`) AS `earliest_created_at`
    FROM (
      SELECT
        *
      FROM `leads` AS `t2`
      WHERE
        `t2`.`account_id` IS NOT NULL
    ) AS `t11`
    GROUP BY
      1
  ) AS `t15`
    ON `t13`.`account_id` = `t15`.`account_id`
)
SELECT
  `t28`.`channel`,
  `t28`.`campaign_id`,
  CAST(EXTRACT(year FROM `t28`.`occurred_at`) AS BIGINT) AS `year`,
  CAST(EXTRACT(month FROM `t28`.`occurred_at`) AS BIGINT) AS `month`,
  SUM(`t28`.`credit`) AS `credit`
FROM (
  SELECT
    `t27`.`opportunity_id`,
    `t27`.`touchpoint_id`,
    `t27`.`occurred_at`,
    `t27`.`channel`,
    `t27`.`campaign_id`,
    `t27`.`weight`,
    `t27`.`weight` * CAST(`t27`.`amount` AS DOUBLE) AS `credit`
  FROM (
    SELECT
      `t26`.`opportunity_id`,
      `t26`.`amount`,
      `t26`.`opp_created_at`,
      `t26`.`closed_at`,
      `t26`.`lead_created_at`,
      `t26`.`touchpoint_id`,
      `t26`.`occurred_at`,
      `t26`.`channel`,
      `t26`.`campaign_id`,
      1.0 / COUNT(`t26`.`touchpoint_id`) OVER (
        PARTITION BY `t26`.`opportunity_id`
        ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
      ) AS `weight`
    FROM (
      SELECT
        `t25`.`opportunity_id`,
        `t25`.`amount`,
        `t25`.`opp_created_at`,
        `t25`.`closed_at`,
        `t25`.`lead_created_at`,
        `t25`.`touchpoint_id`,
        `t25`.`occurred_at`,
        `t25`.`channel`,
        `t25`.`campaign_id`
      FROM (
        SELECT
          `t24`.`opportunity_id`,
          `t24`.`lead_id`,
          `t17`.`touchpoint_id`,
          `t17`.`occurred_at`,
          `t17`.`channel`,
          `t17`.`campaign_id`,
          `t21`.`account_id`,
          `t21`.`primary_lead_id`,
          `t21`.`amount`,
          `t21`.`closed_at`,
          `t21`.`opp_created_at`,
          `t21`.`converted_at`,
          `t21`.`lead_created_at`
        FROM (
          SELECT
            *
          FROM (
            SELECT
              `t13`.`opportunity_id`,
              `t10`.`lead_id`
            FROM (
              SELECT
                `t1`.`opportunity_id`,
                `t1`.`account_id`,
                `t1`.`primary_lead_id`,
                `t1`.`amount`,
                `t1`.`closed_at`,
                `t1`.`created_at` AS `opp_created_at`,
                `t1`.`closed_at` AS `converted_at`
              FROM `opportunities` AS `t1`
              WHERE
                `t1`.`stage` = 'won' AND `t1`.`closed_at` IS NOT NULL
            ) AS `t13`
            LEFT OUTER JOIN (
              SELECT
                `t2`.`lead_id` AS `primary_lead_id`,
                `t2`.`created_at` AS `primary_created_at`
              FROM `leads` AS `t2`
            ) AS `t9`
              ON `t13`.`primary_lead_id` = `t9`.`primary_lead_id`
            LEFT OUTER JOIN (
              SELECT
                `t11`.`account_id`,
                MIN(`t11`.`created_at`) AS `earliest_created_at`
              FROM (
                SELECT
                  *
                FROM `leads` AS `t2`
                WHERE
                  `t2`.`account_id` IS NOT NULL
              ) AS `t11`
              GROUP BY
                1
            ) AS `t15`
              ON `t13`.`account_id` = `t15`.`account_id`
            INNER JOIN (
              SELECT
                `t2`.`account_id`,
                `t2`.`lead_id`
              FROM `leads` AS `t2`
            ) AS `t10`
              ON `t13`.`account_id` = `t10`.`account_id`
          ) AS `t18`
          UNION
          SELECT
            *
          FROM (
            SELECT
              `t20`.`opportunity_id`,
              `t20`.`primary_lead_id` AS `lead_id`
            FROM `t19` AS `t20`
            WHERE
              `t20`.`primary_lead_id` IS NOT NULL
          ) AS `t22`
        ) AS `t24`
        INNER JOIN (
          SELECT
            `t4`.`touchpoint_id`,
            `t4`.`lead_id`,
            `t4`.`occurred_at`,
            `t12`.`channel`,
            `t4`.`campaign_id`
          FROM `touchpoints` AS `t4`
          INNER JOIN (
            SELECT
              `t3`.`channel_id`,
              `t3`.`key` AS `channel`
            FROM `channels` AS `t3`
          ) AS `t12`
            ON `t4`.`channel_id` = `t12`.`channel_id`
        ) AS `t17`
          ON `t24`.`lead_id` = `t17`.`lead_id`
        INNER JOIN `t19` AS `t21`
          ON `t24`.`opportunity_id` = `t21`.`opportunity_id`
      ) AS `t25`
      WHERE
        CAST(FLOOR(UNIX_TIMESTAMP(CAST(`t25`.`occurred_at` AS TIMESTAMP))) AS BIGINT) >= (
          CAST(FLOOR(UNIX_TIMESTAMP(CAST(`t25`.`opp_created_at` AS TIMESTAMP))) AS BIGINT) - 31536000
        )
        AND `t25`.`occurred_at` <= `t25`.`converted_at`
    ) AS `t26`
  ) AS `t27`
) AS `t28`
GROUP BY
  1,
  2,
  3,
  4;

-- cells (time_decay)
WITH `t19` AS (
  SELECT
    `t13`.`opportunity_id`,
    `t13`.`account_id`,
    `t13`.`primary_lead_id`,
    `t13`.`amount`,
    `t13`.`closed_at`,
    `t13`.`opp_created_at`,
    `t13`.`converted_at`,
    COALESCE(`t9`.`primary_created_at`, `t15`.`earliest_created_at`) AS `lead_created_at`
  FROM (
    SELECT
      `t1`.`opportunity_id`,
      `t1`.`account_id`,
      `t1`.`primary_lead_id`,
      `t1`.`amount`,
      `t1`.`closed_at`,
      `t1`.`created_at` AS `opp_created_at`,
      `t1`.`closed_at` AS `converted_at`
    FROM `opportunities` AS `t1`
    WHERE
      `t1`.`stage` = 'won' AND `t1`.`closed_at` IS NOT NULL
  ) AS `t13`
  LEFT OUTER JOIN (
    SELECT
      `t2`.`lead_id` AS `primary_lead_id`,
      `t2`.`created_at` AS `primary_created_at`
    FROM `leads` AS `t2`
  ) AS `t9`
    ON `t13`.`primary_lead_id` = `t9`.`primary_lead_id`
  LEFT OUTER JOIN (
    SELECT
      `t11`.`account_id`,
      MIN(`t11`.`created_at`) AS `earliest_created_at`
    FROM (
      SELECT
        *
      FROM `leads` AS `t2`
      WHERE
        `t2`.`account_id` IS NOT NULL
    ) AS `t11`
    GROUP BY
      1
  ) AS `t15`
    ON `t13`.`account_id` = `t15`.`account_id`
)
SELECT
  `t29`.`channel`,
  `t29`.`campaign_id`,
  CAST(EXTRACT(year FROM `t29`.`occurred_at`) AS BIGINT) AS `year`,
  CAST(EXTRACT(month FROM `t29`.`occurred_at`) AS BIGINT) AS `month`,
  SUM(`t29`.`credit`) AS `credit`
FROM (
  SELECT
    `t28`.`opportunity_id`,
    `t28`.`touchpoint_id`,
    `t28`.`occurred_at`,
    `t28`.`channel`,
    `t28`.`campaign_id`,
    `t28`.`weight`,
    `t28`.`weight` * CAST(`t28`.`amount` AS DOUBLE) AS `credit`
  FROM (
    SELECT
      `t27`.`opportunity_id`,
      `t27`.`amount`,
      `t27`.`opp_created_at`,
      `t27`.`closed_at`,
      `t27`.`lead_created_at`,
      `t27`.`touchpoint_id`,
      `t27`.`occurred_at`,
      `t27`.`channel`,
      `t27`.`campaign_id`,
      `t27`.`seconds`,
      `t27`.`raw`,
      `t27`.`raw` / SUM(`t27`.`raw`) OVER (
        PARTITION BY `t27`.`opportunity_id`
        ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
      ) AS `weight`
    FROM (
      SELECT
        `t26`.`opportunity_id`,
        `t26`.`amount`,
        `t26`.`opp_created_at`,
        `t26`.`closed_at`,
        `t26`.`lead_created_at`,
        `t26`.`touchpoint_id`,
        `t26`.`occurred_at`,
        `t26`.`channel`,
        `t26`.`campaign_id`,
        `t26`.`seconds`,
        POWER(
          2.0,
          (
            (
              `t26`.`seconds` - MAX(`t26`.`seconds`) OVER (
                PARTITION BY `t26`.`opportunity_id`
                ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
              )
            ) / 604800.0
          )
        ) AS `raw`
      FROM (
        SELECT
          `t25`.`opportunity_id`,
          `t25`.`amount`,
          `t25`.`opp_created_at`,
          `t25`.`closed_at`,
          `t25`.`lead_created_at`,
          `t25`.`touchpoint_id`,
          `t25`.`occurred_at`,
          `t25`.`channel`,
          `t25`.`campaign_id`,
          CAST(FLOOR(UNIX_TIMESTAMP(CAST(`t25`.`occurred_at` AS TIMESTAMP))) AS BIGINT) AS `seconds`
        FROM (
          SELECT
            `t24`.`opportunity_id`,
            `t24`.`lead_id`,
            `t17`.`touchpoint_id`,
            `t17`.`occurred_at`,
            `t17`.`channel`,
            `t17`.`campaign_id`,
            `t21`.`account_id`,
            `t21`.`primary_lead_id`,
            `t21`.`amount`,
            `t21`.`closed_at`,
            `t21`.`opp_created_at`,
            `t21`.`converted_at`,
            `t21`.`lead_created_at`
          FROM (
            SELECT
              *
            FROM (
              SELECT
                `t13`.`opportunity_id`,
                `t10`.`lead_id`
              FROM (
                SELECT
                  `t1`.`opportunity_id`,
                  `t1`.`account_id`,
                  `t1`.`primary_lead_id`,
                  `t1`.`amount`,
                  `t1`.`closed_at`,
                  `t1`.`created_at` AS `opp_created_at`,
                  `t1`.`closed_at` AS `converted_at`
                FROM `opportunities` AS `t1`
                WHERE
                  `t1`.`stage` = 'won' AND `t1`.`closed_at` IS NOT NULL
              ) AS `t13`
              LEFT OUTER JOIN (
                SELECT
                  `t2`.`lead_id` AS `primary_lead_id`,
                  `t2`.`created_at` AS `primary_created_at`
                FROM `leads` AS `t2`
              ) AS `t9`
                ON `t13`.`primary_lead_id` = `t9`.`primary_lead_id`
              LEFT OUTER JOIN (
                SELECT
                  `t11`.`account_id`,
                  MIN(`t11`.`created_at`) AS `earliest_created_at`
                FROM (
                  SELECT
                    *
                  FROM `leads` AS `t2`
                  WHERE
                    `t2`.`account_id` IS NOT NULL
                ) AS `t11`
                GROUP BY
                  1
              ) AS `t15`
                ON `t13`.`account_id` = `t15`.`account_id`
              INNER JOIN (
                SELECT
                  `t2`.`account_id`,
                  `t2`.`lead_id`
                FROM `leads` AS `t2`
              ) AS `t10`
                ON `t13`.`account_id` = `t10`.`account_id`
            ) AS `t18`
            UNION
            SELECT
              *
            FROM (
              SELECT
                `t20`.`opportunity_id`,
                `t20`.`primary_lead_id` AS `lead_id`
              FROM `t19` AS `t20`
              WHERE
                `t20`.`primary_lead_id` IS NOT NULL
            ) AS `t22`
          ) AS `t24`
          INNER JOIN (
            SELECT
              `t4`.`touchpoint_id`,
              `t4`.`lead_id`,
              `t4`.`occurred_at`,
              `t12`.`channel`,
              `t4`.`campaign_id`
            FROM `touchpoints` AS `t4`
            INNER JOIN (
              SELECT
                `t3`.`channel_id`,
                `t3`.`key` AS `channel`
              FROM `channels` AS `t3`
            ) AS `t12`
              ON `t4`.`channel_id` = `t12`.`channel_id`
          ) AS `t17`
            ON `t24`.`lead_id` = `t17`.`lead_id`
          INNER JOIN `t19` AS `t21`
            ON `t24`.`opportunity_id` = `t21`.`opportunity_id`
        ) AS `t25`
        WHERE
          CAST(FLOOR(UNIX_TIMESTAMP(CAST(`t25`.`occurred_at` AS TIMESTAMP))) AS BIGINT) >= (
            CAST(FLOOR(UNIX_TIMESTAMP(CAST(`t25`.`opp_created_at` AS TIMESTAMP))) AS BIGINT) - 31536000
          )
          AND `t25`.`occurred_at` <= `t25`.`converted_at`
      ) AS `t26`
    ) AS `t27`
  ) AS `t28`
) AS `t29`
GROUP BY
  1,
  2,
  3,
  4;

-- cells (lead_creation)
WITH `t19` AS (
  SELECT
    `t13`.`opportunity_id`,
    `t13`.`account_id`,
    `t13`.`primary_lead_id`,
    `t13`.`amount`,
    `t13`.`closed_at`,
    `t13`.`opp_created_at`,
    `t13`.`converted_at`,
    COALESCE(`t9`.`primary_created_at`, `t15`.`earliest_created_at`) AS `lead_created_at`
  FROM (
    SELECT
      `t1`.`opportunity_id`,
      `t1`.`account_id`,
      `t1`.`primary_lead_id`,
      `t1`.`amount`,
      `t1`.`closed_at`,
      `t1`.`created_at` AS `opp_created_at`,
      `t1`.`closed_at` AS `converted_at`
    FROM `opportunities` AS `t1`
    WHERE
      `t1`.`stage` = 'won' AND `t1`.`closed_at` IS NOT NULL
  ) AS `t13`
  LEFT OUTER JOIN (
    SELECT
      `t2`.`lead_id` AS `primary_lead_id`,
      `t2`.`created_at` AS `primary_created_at`
    FROM `leads` AS `t2`
  ) AS `t9`
    ON `t13`.`primary_lead_id` = `t9`.`primary_lead_id`
  LEFT OUTER JOIN (
    SELECT
      `t11`.`account_id`,
      MIN(`t11`.`created_at`) AS `earliest_created_at`
    FROM (
      SELECT
        *
      FROM `leads` AS `t2`
      WHERE
        `t2`.`account_id` IS NOT NULL
    ) AS `t11`
    GROUP BY
      1
  ) AS `t15`
    ON `t13`.`account_id` = `t15`.`account_id`
)
SELECT
  `t28`.`channel`,
  `t28`.`campaign_id`,
  CAST(EXTRACT(year FROM `t28`.`occurred_at`) AS BIGINT) AS `year`,
  CAST(EXTRACT(month FROM `t28`.`occurred_at`) AS BIGINT) AS `month`,
  SUM(`t28`.`credit`) AS `credit`
FROM (
  SELECT
    `t27`.`opportunity_id`,
    `t27`.`touchpoint_id`,
    `t27`.`occurred_at`,
    `t27`.`channel`,
    `t27`.`campaign_id`,
    CAST(IF(`t27`.`position` = IF(`t27`.`up_to_lead` > 0, `t27`.`up_to_lead`, 1), 1, 0) AS DOUBLE) * 1.0 AS `weight`,
    CAST(IF(`t27`.`position` = IF(`t27`.`up_to_lead` > 0, `t27`.`up_to_lead`, 1), 1, 0) AS DOUBLE) * 1.0 * CAST(`t27`.`amount` AS DOUBLE) AS `credit`
  FROM (
    SELECT
      `t26`.`opportunity_id`,
      `t26`.`amount`,
      `t26`.`opp_created_at`,
      `t26`.`closed_at`,
      `t26`.`lead_created_at`,
      `t26`.`touchpoint_id`,
      `t26`.`occurred_at`,
      `t26`.`channel`,
      `t26`.`campaign_id`,
      (
        ROW_NUMBER() OVER (
          PARTITION BY `t26`.`opportunity_id`
          ORDER BY `t26`.`occurred_at` ASC NULLS LAST, `t26`.`touchpoint_id` ASC NULLS LAST
        ) - 1
      ) + 1 AS `position`,
      COUNT(`t26`.`touchpoint_id`) OVER (
        PARTITION BY `t26`.`opportunity_id`
        ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
      ) AS `touches`,
      SUM(
        IF(
          (
            `t26`.`occurred_at` <= COALESCE(`t26`.`lead_created_at`, `t26`.`opp_created_at`)
          )
          AND (
            `t26`.`occurred_at` <= `t26`.`opp_created_at`
          ),
          1,
          0
        )
      ) OVER (
        PARTITION BY `t26`.`opportunity_id`
        ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
      ) AS `up_to_lead`,
      SUM(IF(`t26`.`occurred_at` <= `t26`.`opp_created_at`, 1, 0)) OVER (
        PARTITION BY `t26`.`opportunity_id`
        ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
      ) AS `up_to_opportunity`
    FROM (
      SELECT
        `t25`.`opportunity_id`,
        `t25`.`amount`,
        `t25`.`opp_created_at`,
        `t25`.`closed_at`,
        `t25`.`lead_created_at`,
        `t25`.`touchpoint_id`,
        `t25`.`occurred_at`,
        `t25`.`channel`,
        `t25`.`campaign_id`
      FROM (
        SELECT
          `t24`.`opportunity_id`,
          `t24`.`lead_id`,
          `t17`.`touchpoint_id`,
          `t17`.`occurred_at`,
          `t17`.`channel`,
          `t17`.`campaign_id`,
          `t21`.`account_id`,
          `t21`.`primary_lead_id`,
          `t21`.`amount`,
          `t21`.`closed_at`,
          `t21`.`opp_created_at`,
          `t21`.`converted_at`,
          `t21`.`lead_created_at`
        FROM (
          SELECT
            *
          FROM (
            SELECT
              `t13`.`opportunity_id`,
              `t10`.`lead_id`
            FROM (
              SELECT
                `t1`.`opportunity_id`,
                `t1`.`account_id`,
                `t1`.`primary_lead_id`,
                `t1`.`amount`,
                `t1`.`closed_at`,
                `t1`.`created_at` AS `opp_created_at`,
                `t1`.`closed_at` AS `converted_at`
              FROM `opportunities` AS `t1`
              WHERE
                `t1`.`stage` = 'won' AND `t1`.`closed_at` IS NOT NULL
            ) AS `t13`
            LEFT OUTER JOIN (
              SELECT
                `t2`.`lead_id` AS `primary_lead_id`,
                `t2`.`created_at` AS `primary_created_at`
              FROM `leads` AS `t2`
            ) AS `t9`
              ON `t13`.`primary_lead_id` = `t9`.`primary_lead_id`
            LEFT OUTER JOIN (
              SELECT
                `t11`.`account_id`,
                MIN(`t11`.`created_at`) AS `earliest_created_at`
              FROM (
                SELECT
                  *
                FROM `leads` AS `t2`
                WHERE
                  `t2`.`account_id` IS NOT NULL
              ) AS `t11`
              GROUP BY
                1
            ) AS `t15`
              ON `t13`.`account_id` = `t15`.`account_id`
            INNER JOIN (
              SELECT
                `t2`.`account_id`,
                `t2`.`lead_id`
              FROM `leads` AS `t2`
            ) AS `t10`
              ON `t13`.`account_id` = `t10`.`account_id`
          ) AS `t18`
          UNION
          SELECT
            *
          FROM (
            SELECT
              `t20`.`opportunity_id`,
              `t20`.`primary_lead_id` AS `lead_id`
            FROM `t19` AS `t20`
            WHERE
              `t20`.`primary_lead_id` IS NOT NULL
          ) AS `t22`
        ) AS `t24`
        INNER JOIN (
          SELECT
            `t4`.`touchpoint_id`,
            `t4`.`lead_id`,
            `t4`.`occurred_at`,
            `t12`.`channel`,
            `t4`.`campaign_id`
          FROM `touchpoints` AS `t4`
          INNER JOIN (
            SELECT
              `t3`.`channel_id`,
              `t3`.`key` AS `channel`
            FROM `channels` AS `t3`
          ) AS `t12`
            ON `t4`.`channel_id` = `t12`.`channel_id`
        ) AS `t17`
          ON `t24`.`lead_id` = `t17`.`lead_id`
        INNER JOIN `t19` AS `t21`
          ON `t24`.`opportunity_id` = `t21`.`opportunity_id`
      ) AS `t25`
      WHERE
        CAST(FLOOR(UNIX_TIMESTAMP(CAST(`t25`.`occurred_at` AS TIMESTAMP))) AS BIGINT) >= (
          CAST(FLOOR(UNIX_TIMESTAMP(CAST(`t25`.`opp_created_at` AS TIMESTAMP))) AS BIGINT) - 31536000
        )
        AND `t25`.`occurred_at` <= `t25`.`converted_at`
    ) AS `t26`
  ) AS `t27`
) AS `t28`
GROUP BY
  1,
  2,
  3,
  4;

-- cells (full_path)
WITH `t19` AS (
  SELECT
    `t13`.`opportunity_id`,
    `t13`.`account_id`,
    `t13`.`primary_lead_id`,
    `t13`.`amount`,
    `t13`.`closed_at`,
    `t13`.`opp_created_at`,
    `t13`.`converted_at`,
    COALESCE(`t9`.`primary_created_at`, `t15`.`earliest_created_at`) AS `lead_created_at`
  FROM (
    SELECT
      `t1`.`opportunity_id`,
      `t1`.`account_id`,
      `t1`.`primary_lead_id`,
      `t1`.`amount`,
      `t1`.`closed_at`,
      `t1`.`created_at` AS `opp_created_at`,
      `t1`.`closed_at` AS `converted_at`
    FROM `opportunities` AS `t1`
    WHERE
      `t1`.`stage` = 'won' AND `t1`.`closed_at` IS NOT NULL
  ) AS `t13`
  LEFT OUTER JOIN (
    SELECT
      `t2`.`lead_id` AS `primary_lead_id`,
      `t2`.`created_at` AS `primary_created_at`
    FROM `leads` AS `t2`
  ) AS `t9`
    ON `t13`.`primary_lead_id` = `t9`.`primary_lead_id`
  LEFT OUTER JOIN (
    SELECT
      `t11`.`account_id`,
      MIN(`t11`.`created_at`) AS `earliest_created_at`
    FROM (
      SELECT
        *
      FROM `leads` AS `t2`
      WHERE
        `t2`.`account_id` IS NOT NULL
    ) AS `t11`
    GROUP BY
      1
  ) AS `t15`
    ON `t13`.`account_id` = `t15`.`account_id`
)
SELECT
  `t30`.`channel`,
  `t30`.`campaign_id`,
  CAST(EXTRACT(year FROM `t30`.`occurred_at`) AS BIGINT) AS `year`,
  CAST(EXTRACT(month FROM `t30`.`occurred_at`) AS BIGINT) AS `month`,
  SUM(`t30`.`credit`) AS `credit`
FROM (
  SELECT
    `t29`.`opportunity_id`,
    `t29`.`touchpoint_id`,
    `t29`.`occurred_at`,
    `t29`.`channel`,
    `t29`.`campaign_id`,
    IF(
      `t29`.`spread_over` > 0,
      `t29`.`with_spread` + (
        (
          `t29`.`between` * 0.1
        ) / `t29`.`spread_over`
      ),
      `t29`.`without_spread`
    ) AS `weight`,
    IF(
      `t29`.`spread_over` > 0,
      `t29`.`with_spread` + (
        (
          `t29`.`between` * 0.1
        ) / `t29`.`spread_over`
      ),
      `t29`.`without_spread`
    ) * CAST(`t29`.`amount` AS DOUBLE) AS `credit`
  FROM (
    SELECT
      `t28`.`opportunity_id`,
      `t28`.`amount`,
      `t28`.`opp_created_at`,
      `t28`.`closed_at`,
      `t28`.`lead_created_at`,
      `t28`.`touchpoint_id`,
      `t28`.`occurred_at`,
      `t28`.`channel`,
      `t28`.`campaign_id`,
      `t28`.`position`,
      `t28`.`touches`,
      `t28`.`up_to_lead`,
      `t28`.`up_to_opportunity`,
      `t28`.`first_touch`,
      `t28`.`lead_creation`,
      `t28`.`opportunity_creation`,
      `t28`.`closed_won`,
      (
        CAST(IF(`t28`.`position` = `t28`.`first_touch`, 1, 0) AS DOUBLE) * 0.225
      ) + (
        CAST(IF(`t28`.`position` = `t28`.`lead_creation`, 1, 0) AS DOUBLE) * 0.225
      ) + (
        CAST(IF(`t28`.`position` = `t28`.`opportunity_creation`, 1, 0) AS DOUBLE) * 0.225
      ) + (
        CAST(IF(`t28`.`position` = `t28`.`closed_won`, 1, 0) AS DOUBLE) * 0.225
      ) AS `with_spread`,
      (
        CAST(IF(`t28`.`position` = `t28`.`first_touch`, 1, 0) AS DOUBLE) * 0.25
      ) + (
        CAST(IF(`t28`.`position` = `t28`.`lead_creation`, 1, 0) AS DOUBLE) * 0.25
      ) + (
        CAST(IF(`t28`.`position` = `t28`.`opportunity_creation`, 1, 0) AS DOUBLE) * 0.25
      ) + (
        CAST(IF(`t28`.`position` = `t28`.`closed_won`, 1, 0) AS DOUBLE) * 0.25
      ) AS `without_spread`,
      CAST(IF(
        (
          `t28`.`position` > 1
        )
        AND (
          `t28`.`position` < `t28`.`closed_won`
        )
        AND NOT (
          `t28`.`position` IN (
            `t28`.`first_touch`,
            `t28`.`lead_creation`,
            `t28`.`opportunity_creation`,
            `t28`.`closed_won`
          )
        ),
        1,
        0
      ) AS DOUBLE) AS `between`,
      SUM(
        IF(
          (
            `t28`.`position` > 1
          )
          AND (
            `t28`.`position` < `t28`.`closed_won`
          )
          AND NOT (
            `t28`.`position` IN (
              `t28`.`first_touch`,
              `t28`.`lead_creation`,
              `t28`.`opportunity_creation`,
              `t28`.`closed_won`
            )
          ),
          1,
          0
        )
      ) OVER (
        PARTITION BY `t28`.`opportunity_id`
        ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
      ) AS `spread_over`
    FROM (
      SELECT
        `t27`.`opportunity_id`,
        `t27`.`amount`,
        `t27`.`opp_created_at`,
        `t27`.`closed_at`,
        `t27`.`lead_created_at`,
        `t27`.`touchpoint_id`,
        `t27`.`occurred_at`,
        `t27`.`channel`,
        `t27`.`campaign_id`,
        `t27`.`position`,
        `t27`.`touches`,
        `t27`.`up_to_lead`,
        `t27`.`up_to_opportunity`,
        1 AS `first_touch`,
        IF(`t27`.`up_to_lead` > 0, `t27`.`up_to_lead`, 1) AS `lead_creation`,
        IF(`t27`.`up_to_opportunity` > 0, `t27`.`up_to_opportunity`, 1) AS `opportunity_creation`,
        `t27`.`touches` AS `closed_won`
      FROM (
        SELECT
          `t26`.`opportunity_id`,
          `t26`.`amount`,
          `t26`.`opp_created_at`,
          `t26`.`closed_at`,
          `t26`.`lead_created_at`,
          `t26`.`touchpoint_id`,
          `t26`.`occurred_at`,
          `t26`.`channel`,
          `t26`.`campaign_id`,
          (
            ROW_NUMBER() OVER (
              PARTITION BY `t26`.`opportunity_id`
              ORDER BY `t26`.`occurred_at` ASC NULLS LAST, `t26`.`touchpoint_id` ASC NULLS LAST
            ) - 1
          ) + 1 AS `position`,
          COUNT(`t26`.`touchpoint_id`) OVER (
            PARTITION BY `t26`.`opportunity_id`
            ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
          ) AS `touches`,
          SUM(
            IF(
              (
                `t26`.`occurred_at` <= COALESCE(`t26`.`lead_created_at`, `t26`.`opp_created_at`)
              )
              AND (
                `t26`.`occurred_at` <= `t26`.`opp_created_at`
              ),
              1,
              0
            )
          ) OVER (
            PARTITION BY `t26`.`opportunity_id`
            ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
          ) AS `up_to_lead`,
          SUM(IF(`t26`.`occurred_at` <= `t26`.`opp_created_at`, 1, 0)) OVER (
            PARTITION BY `t26`.`opportunity_id`
            ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
          ) AS `up_to_opportunity`
        FROM (
          SELECT
            `t25`.`opportunity_id`,
            `t25`.`amount`,
            `t25`.`opp_created_at`,
            `t25`.`closed_at`,
            `t25`.`lead_created_at`,
            `t25`.`touchpoint_id`,
            `t25`.`occurred_at`,
            `t25`.`channel`,
            `t25`.`campaign_id`
          FROM (
            SELECT
              `t24`.`opportunity_id`,
              `t24`.`lead_id`,
              `t17`.`touchpoint_id`,
              `t17`.`occurred_at`,
              `t17`.`channel`,
              `t17`.`campaign_id`,
              `t21`.`account_id`,
              `t21`.`primary_lead_id`,
              `t21`.`amount`,
              `t21`.`closed_at`,
              `t21`.`opp_created_at`,
              `t21`.`converted_at`,
              `t21`.`lead_created_at`
            FROM (
              SELECT
                *
              FROM (
                SELECT
                  `t13`.`opportunity_id`,
                  `t10`.`lead_id`
                FROM (
                  SELECT
                    `t1`.`opportunity_id`,
                    `t1`.`account_id`,
                    `t1`.`primary_lead_id`,
                    `t1`.`amount`,
                    `t1`.`closed_at`,
                    `t1`.`created_at` AS `opp_created_at`,
                    `t1`.`closed_at` AS `converted_at`
                  FROM `opportunities` AS `t1`
                  WHERE
                    `t1`.`stage` = 'won' AND `t1`.`closed_at` IS NOT NULL
                ) AS `t13`
                LEFT OUTER JOIN (
                  SELECT
                    `t2`.`lead_id` AS `primary_lead_id`,
                    `t2`.`created_at` AS `primary_created_at`
                  FROM `leads` AS `t2`
                ) AS `t9`
                  ON `t13`.`primary_lead_id` = `t9`.`primary_lead_id`
                LEFT OUTER JOIN (
                  SELECT
                    `t11`.`account_id`,
                    MIN(`t11`.`created_at`) AS `earliest_created_at`
                  FROM (
                    SELECT
                      *
                    FROM `leads` AS `t2`
                    WHERE
                      `t2`.`account_id` IS NOT NULL
                  ) AS `t11`
                  GROUP BY
                    1
                ) AS `t15`
                  ON `t13`.`account_id` = `t15`.`account_id`
                INNER JOIN (
                  SELECT
                    `t2`.`account_id`,
                    `t2`.`lead_id`
                  FROM `leads` AS `t2`
                ) AS `t10`
                  ON `t13`.`account_id` = `t10`.`account_id`
              ) AS `t18`
              UNION
              SELECT
                *
              FROM (
                SELECT
                  `t20`.`opportunity_id`,
                  `t20`.`primary_lead_id` AS `lead_id`
                FROM `t19` AS `t20`
                WHERE
                  `t20`.`primary_lead_id` IS NOT NULL
              ) AS `t22`
            ) AS `t24`
            INNER JOIN (
              SELECT
                `t4`.`touchpoint_id`,
                `t4`.`lead_id`,
                `t4`.`occurred_at`,
                `t12`.`channel`,
                `t4`.`campaign_id`
              FROM `touchpoints` AS `t4`
              INNER JOIN (
                SELECT
                  `t3`.`channel_id`,
                  `t3`.`key` AS `channel`
                FROM `channels` AS `t3`
              ) AS `t12`
                ON `t4`.`channel_id` = `t12`.`channel_id`
            ) AS `t17`
              ON `t24`.`lead_id` = `t17`.`lead_id`
            INNER JOIN `t19` AS `t21`
              ON `t24`.`opportunity_id` = `t21`.`opportunity_id`
          ) AS `t25`
          WHERE
            CAST(FLOOR(UNIX_TIMESTAMP(CAST(`t25`.`occurred_at` AS TIMESTAMP))) AS BIGINT) >= (
              CAST(FLOOR(UNIX_TIMESTAMP(CAST(`t25`.`opp_created_at` AS TIMESTAMP))) AS BIGINT) - 31536000
            )
            AND `t25`.`occurred_at` <= `t25`.`converted_at`
        ) AS `t26`
      ) AS `t27`
    ) AS `t28`
  ) AS `t29`
) AS `t30`
GROUP BY
  1,
  2,
  3,
  4;
