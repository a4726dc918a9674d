-- @app: passthrough_demo
-- @description: Every input record comes out unchanged (SELECT *).
-- @metric: passthrough_records_total
-- @metric_type: counter
-- @metric_help: "records passed through"
CREATE STREAM passthrough_output AS
SELECT *
FROM simple_records
EMIT CHANGES
WITH ('simple_records.type' = 'kafka_source', 'simple_records.config_file' = '../configs/simple_records_source.yaml',
      'passthrough_output.type' = 'kafka_sink', 'passthrough_output.config_file' = '../configs/common_kafka_sink.yaml', 'passthrough_output.topic.name' = 'passthrough_output');
