-- @app: large_volume_demo
-- @description: 100,000 records through a filter and projection, with performance budgets.
CREATE STREAM large_output AS
SELECT id, value, category, amount * 10 AS amount_x10
FROM simple_records
WHERE amount > 0
EMIT CHANGES
WITH ('simple_records.type' = 'kafka_source', 'simple_records.config_file' = '../configs/simple_records_source.yaml',
      'large_output.type' = 'kafka_sink', 'large_output.config_file' = '../configs/common_kafka_sink.yaml', 'large_output.topic.name' = 'large_output',
      'dlq.topic' = 'large_output_errors');
