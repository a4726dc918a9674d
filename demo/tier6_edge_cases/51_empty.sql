-- @app: empty_demo
-- @description: Zero input records: the run must finish promptly and produce nothing.
CREATE STREAM empty_output AS
SELECT id, value
FROM simple_records
WHERE value > 0
EMIT CHANGES
WITH ('simple_records.type' = 'kafka_source', 'simple_records.config_file' = '../configs/simple_records_source.yaml',
      'empty_output.type' = 'kafka_sink', 'empty_output.config_file' = '../configs/common_kafka_sink.yaml', 'empty_output.topic.name' = 'empty_output');
