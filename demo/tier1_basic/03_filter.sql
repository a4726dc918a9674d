-- @app: filter_demo
-- @description: Keeps only large values of category A.
CREATE STREAM filter_output AS
SELECT id, value, category, amount
FROM simple_records
WHERE value > 500 AND category = 'A'
EMIT CHANGES
WITH ('simple_records.type' = 'kafka_source', 'simple_records.config_file' = '../configs/simple_records_source.yaml',
      'filter_output.type' = 'kafka_sink', 'filter_output.config_file' = '../configs/common_kafka_sink.yaml', 'filter_output.topic.name' = 'filter_output');
