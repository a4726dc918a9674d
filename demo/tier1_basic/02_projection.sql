-- @app: projection_demo
-- @description: Selects, renames and computes fields.
CREATE STREAM projection_output AS
SELECT id AS record_id,
       value,
       value * 2 AS double_value,
       UPPER(category) AS category_upper,
       amount + 1 AS amount_plus_one,
       category
FROM simple_records
EMIT CHANGES
WITH ('simple_records.type' = 'kafka_source', 'simple_records.config_file' = '../configs/simple_records_source.yaml',
      'projection_output.type' = 'kafka_sink', 'projection_output.config_file' = '../configs/common_kafka_sink.yaml', 'projection_output.topic.name' = 'projection_output');
