-- @app: casting_demo
-- @description: CAST between numbers, text and decimals; a record whose CAST fails is not emitted: it goes to the dead letters (as the reference engine does).
CREATE STREAM casting_output AS
SELECT id,
       raw_value,
       CAST(raw_value AS DOUBLE) AS value_double,
       CAST(CAST(raw_value AS DOUBLE) AS INTEGER) AS value_int,
       CAST(amount AS STRING) AS amount_text,
       ROUND(CAST(raw_value AS DECIMAL), 2) AS value_decimal
FROM cast_samples
EMIT CHANGES
WITH ('cast_samples.type' = 'kafka_source', 'cast_samples.config_file' = '../configs/simple_records_source.yaml', 'cast_samples.topic.name' = 'cast_samples',
      'casting_output.type' = 'file_sink', 'casting_output.path' = 'output/casting_output.jsonl',
      'casting_output.format' = 'jsonl',
      'dlq.topic' = 'casting_dead_letters');
