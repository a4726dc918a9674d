-- @app: nulls_demo
-- @description: COALESCE, IS NULL and NULL-safe arithmetic on fields that are often NULL.
CREATE STREAM null_handling AS
SELECT id,
       COALESCE(category, 'UNKNOWN') AS category,
       COALESCE(value, 0) AS value_or_zero,
       CASE WHEN value IS NULL THEN 'missing' ELSE 'present' END AS value_state,
       value * 2 AS doubled,
       note
FROM nullable_records
WHERE id IS NOT NULL
EMIT CHANGES
WITH ('nullable_records.type' = 'kafka_source', 'nullable_records.config_file' = '../configs/nullable_records_source.yaml',
      'null_handling.type' = 'kafka_sink', 'null_handling.config_file' = '../configs/common_kafka_sink.yaml', 'null_handling.topic.name' = 'null_handling');
